from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = _("Agents and teams")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from agents import signals  # noqa: F401 - a changed team membership closes sockets
