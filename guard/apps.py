from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuardConfig(AppConfig):
    name = "guard"
    verbose_name = _("Secret guard")
    default_auto_field = "django.db.models.BigAutoField"
