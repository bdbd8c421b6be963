from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.privacy_request, name="request"),
    path("confirm/<str:token>/", views.privacy_confirm, name="confirm"),
    path("export/<str:token>/", views.privacy_export, name="export"),
]
