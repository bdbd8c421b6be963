from django.urls import path

from dashboard import views as dashboard_views

app_name = "dashboard"

urlpatterns = [
    path("", dashboard_views.dashboard, name="index"),
    path("export.csv", dashboard_views.export_csv, name="export"),
]
