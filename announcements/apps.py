from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnouncementsConfig(AppConfig):
    name = "announcements"
    verbose_name = _("Service announcements")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from announcements import signals  # noqa: F401 - cache invalidation, ticket tagging
