from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("contact/", views.contact, name="contact"),
    path("tickets/new-link/", views.new_link, name="new_link"),
    path("tickets/mine/<str:reference>/", views.owned, name="owned"),
    path("tickets/<str:token>/submitted/", views.submitted, name="submitted"),
    path("tickets/<str:token>/", views.detail, name="detail"),
    path("tickets/<str:token>/reply/", views.reply, name="reply"),
    path("tickets/<str:token>/rate/", views.rate, name="rate"),
    path("tickets/<str:token>/<str:action>/", views.change_status, name="change_status"),
    path(
        "tickets/<str:token>/attachments/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
]
