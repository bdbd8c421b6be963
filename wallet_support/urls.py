from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from faq import views as faq_views
from wallet_support import metrics, views

admin.site.site_header = settings.SUPPORT_SITE_NAME
admin.site.site_title = settings.SUPPORT_SITE_NAME
admin.site.index_title = _("Support desk")
# The queue's list needs the width more than a second navigation column.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", faq_views.home, name="home"),
    path("security/", faq_views.security, name="security"),
    path("faq/", include("faq.urls")),
    path("", include("tickets.urls")),
    path("privacy/", include("privacy.urls")),
    path("", include("livechat.urls")),
    path("", include("verification.urls")),
    path("chain/", include("chain.urls")),
    path("agent/dashboard/", include("dashboard.urls")),
    path("agent/", include("security.urls")),
    path("api/v1/", include("api.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    # The same under /ws/, which the proxy sends to the sockets server: its processes' counters
    # (open sockets, frames) are theirs, not the pages server's (docs/metrics.md).
    path("ws/metrics", metrics.metrics, name="socket-metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler500 = "wallet_support.views.server_error"
