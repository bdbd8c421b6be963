from django.contrib import admin
from django.urls import include, path

from faq import views as faq_views
from wallet_support import views

urlpatterns = [
    path("", faq_views.home, name="home"),
    path("security/", faq_views.security, name="security"),
    path("faq/", include("faq.urls")),
    path("", include("tickets.urls")),
    path("", include("livechat.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
