from uuid import uuid4

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import new_access_key, private_storage


def export_path(instance: "DataRequest", filename: str) -> str:
    """A random name under MEDIA_ROOT/exports, which no URL serves: only the signed link does."""
    return f"exports/{uuid4().hex}{uuid4().hex}.json"


class DataRequest(models.Model):
    """A customer's request for a copy of their data, or for its deletion (privacy.services).

    Recorded only for an address the desk holds data for, confirmed through the link mailed to
    that address, carried out by an admin. After a deletion only `email_hash` is left of the
    address.
    """

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        DELETE = "delete", _("Deletion")

    class State(models.TextChoices):
        AWAITING = "awaiting", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")

    kind = models.CharField(_("request"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=State.choices, default=State.AWAITING, db_index=True
    )
    email = models.EmailField(_("email"), blank=True)
    # A keyed hash of the lower-cased address: finds the request again once the address is gone.
    email_hash = models.CharField(max_length=64, db_index=True, editable=False)
    language = models.CharField(_("language"), max_length=10, default="en")
    # Part of the confirmation link, like a ticket's access key.
    confirmation_key = models.CharField(max_length=64, default=new_access_key, editable=False)
    export_file = models.FileField(
        upload_to=export_path, storage=private_storage, max_length=200, blank=True, editable=False
    )
    # What was exported or deleted, as counts only.
    summary = models.JSONField(_("counts"), default=dict, blank=True, editable=False)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    completed_at = models.DateTimeField(_("carried out"), null=True, blank=True)
    carried_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("carried out by"),
    )

    class Meta:
        db_table = "tickets_datarequest"
        ordering = ["-requested_at", "-id"]
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        constraints = [
            # Asking again, or confirming twice, reuses the request still open.
            models.UniqueConstraint(
                fields=["kind", "email_hash"],
                condition=models.Q(status__in=["awaiting", "confirmed"]),
                name="tickets_one_open_data_request",
            )
        ]

    def __str__(self) -> str:
        # Never the address: this shows in the admin's history and messages.
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES


# The states in which a request still waits for the customer or an admin.
OPEN_STATES = (DataRequest.State.AWAITING, DataRequest.State.CONFIRMED)
