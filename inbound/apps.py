from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboundConfig(AppConfig):
    name = "inbound"
    verbose_name = _("Incoming email")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from inbound import signals  # noqa: F401 - mail records follow a merge
