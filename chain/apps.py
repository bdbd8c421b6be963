from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainConfig(AppConfig):
    name = "chain"
    verbose_name = _("Transaction status from the chain")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chain import signals  # noqa: F401 - a new ticket's hash is looked up on the chain
