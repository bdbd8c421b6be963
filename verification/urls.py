from django.urls import path

from verification import views

app_name = "verification"

urlpatterns = [
    path("verify/report/", views.fake_report, name="report"),
]
