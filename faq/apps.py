from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    name = "faq"
    verbose_name = _("Help centre")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from faq import signals  # noqa: F401 - cached public pages forgotten on every edit
