from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = _("Verification and known fakes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from verification import signals  # noqa: F401 - a new ticket naming a known fake is flagged
