from django.db import models
from django.utils.translation import gettext_lazy as _


class TransactionState(models.TextChoices):
    UNCHECKED = "unchecked", _("Not checked yet")
    NOT_FOUND = "not_found", _("Not found on the network")
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    FAILED = "failed", _("Failed")


class TransactionCheck(models.Model):
    """What the network said about the hash a ticket reports, refreshed until it is final."""

    ticket = models.OneToOneField(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="transaction_check",
        verbose_name=_("ticket"),
    )
    # The hash and network checked: a ticket whose hash changes is checked again from scratch.
    network = models.CharField(_("network"), max_length=20)
    transaction_hash = models.CharField(_("transaction hash"), max_length=128)
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=TransactionState.choices,
        default=TransactionState.UNCHECKED,
    )
    confirmations = models.PositiveIntegerField(_("confirmations"), default=0)
    block_number = models.PositiveBigIntegerField(_("block"), null=True, blank=True)
    block_time = models.DateTimeField(_("block time"), null=True, blank=True)
    from_address = models.CharField(_("from"), max_length=128, blank=True)
    to_address = models.CharField(_("to"), max_length=128, blank=True)
    amount = models.CharField(_("amount"), max_length=80, blank=True)
    asset = models.CharField(_("asset"), max_length=16, blank=True)
    token_contract = models.CharField(_("token contract"), max_length=128, blank=True)
    # Bitcoin: every output as [address, amount].
    outputs = models.JSONField(_("outputs"), default=list, blank=True)
    is_final = models.BooleanField(_("final"), default=False)
    # Provider answers and failures: the last failure, if later than the last answer, means the
    # status shown is older than it could be ("could not check yet" when there is none).
    checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    failed_at = models.DateTimeField(_("last failed check"), null=True, blank=True)
    failures = models.PositiveIntegerField(_("failed checks in a row"), default=0)
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("transaction check")
        verbose_name_plural = _("transaction checks")
        indexes = [
            models.Index(
                fields=["next_check_at"],
                condition=models.Q(is_final=False),
                name="chain_check_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.transaction_hash[:18]}… {self.state}"

    @property
    def could_not_check(self) -> bool:
        """Every attempt so far failed: the desk knows nothing yet."""
        return self.state == TransactionState.UNCHECKED and self.failed_at is not None
