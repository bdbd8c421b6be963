from django.urls import path

from chain import views

app_name = "chain"

urlpatterns = [
    path("status/", views.status, name="status"),
]
