"""The audit log of agents' sensitive actions (written once, never changed or deleted), and the
recovery codes of agents' two-factor log-in."""

import hashlib
import secrets

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_CODE_LENGTH = 10
RECOVERY_CODE_COUNT = 10


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
        DATA_REQUEST_REFUSED = "data_request_refused", _("Refused a data request")

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


def _recovery_code_digest(salt: str, code: str) -> str:
    normalised = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(f"{salt}:{normalised}".encode()).hexdigest()


class RecoveryCodeDevice(Device):
    """One-time recovery codes for an agent who lost their authenticator, as a django-otp
    device. Only salted hashes are stored: the codes are shown once, when they are made.
    (django-otp's own static device keeps its codes in clear text.)"""

    salt = models.CharField(max_length=32, editable=False)
    code_digests = models.JSONField(default=list, editable=False)

    class Meta:
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def codes_renew(self) -> list[str]:
        """Replace every code; returns the new ones (the only time they exist in clear)."""
        codes = [
            "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
            for _ in range(RECOVERY_CODE_COUNT)
        ]
        self.salt = secrets.token_hex(16)
        self.code_digests = [_recovery_code_digest(self.salt, code) for code in codes]
        self.save()
        return [f"{code[:5]}-{code[5:]}" for code in codes]

    @property
    def codes_left(self) -> int:
        return len(self.code_digests)

    def verify_token(self, token) -> bool:
        if not isinstance(token, str) or not self.salt:
            return False
        digest = _recovery_code_digest(self.salt, token)
        with transaction.atomic():
            # The row lock makes a code good for exactly one log-in, even in parallel.
            current = type(self).objects.select_for_update().get(pk=self.pk)
            if digest not in current.code_digests:
                return False
            current.code_digests.remove(digest)
            current.save(update_fields=["code_digests"])
        self.code_digests = current.code_digests
        return True
