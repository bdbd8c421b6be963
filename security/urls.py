from django.urls import path

from security import views

app_name = "security"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("two-factor/", views.two_factor_view, name="two_factor"),
]
