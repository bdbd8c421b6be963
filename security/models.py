"""The audit log of agents' sensitive actions: written once, never changed or deleted."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Failed log-in")
        LOCKED_OUT = "locked_out", _("Locked out")
        LOGOUT = "logout", _("Logged out")
        TWO_FACTOR_ENROLLED = "two_factor_enrolled", _("Set up two-factor log-in")
        RECOVERY_CODE_USED = "recovery_code_used", _("Used a recovery code")
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("Renewed recovery codes")
        TWO_FACTOR_RESET = "two_factor_reset", _("Reset two-factor log-in")
        VIEW_TICKET = "view_ticket", _("Viewed a ticket's evidence")
        DOWNLOAD_ATTACHMENT = "download_attachment", _("Downloaded an attachment")
        REASSIGN = "reassign", _("Reassigned")
        MERGE = "merge", _("Merged tickets")
        EXPORT = "export", _("Exported data")
        DELETE = "delete", _("Deleted data")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # Plain copies rather than a foreign key: the row must outlive the account and never be
    # rewritten by an ON DELETE rule.
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices, db_index=True)
    ticket_reference = models.CharField(_("ticket"), max_length=32, blank=True, db_index=True)
    target = models.CharField(_("object"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        who = self.actor_username or "-"
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {who} {self.get_action_display()}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events cannot be deleted.")
