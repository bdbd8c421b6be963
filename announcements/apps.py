from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnouncementsConfig(AppConfig):
    name = "announcements"
    verbose_name = _("Service announcements")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from announcements import signals  # noqa: F401 - cache invalidation, ticket tagging
        from announcements.selectors import CACHE_KEY, announcement_list_live_cached, live_among
        from common.page_cache import state_part

        def live_now(cached) -> str:
            live = live_among(cached) if cached is not None else announcement_list_live_cached()
            return ",".join(f"{a.pk}.{a.updated_at.timestamp()}" for a in live)

        # Pages show the announcements live at this moment: a start or an end is a new page.
        state_part(key=CACHE_KEY, read=live_now)
