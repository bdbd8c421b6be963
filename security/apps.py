from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = _("Security")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from security import signals  # noqa: F401 - connects the log-in hooks
