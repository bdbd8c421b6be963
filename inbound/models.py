from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Message, Ticket


class InboundEmail(models.Model):
    """An incoming email already handled, by the IMAP task or the pipe command
    (inbound.services): a message fetched or delivered twice is processed once.

    Keyed by its Message-ID, or by a hash of its bytes when it has none. Holds neither the
    sender's address nor any text, so a customer's data deletion leaves nothing of theirs here.
    """

    class Outcome(models.TextChoices):
        NEW_TICKET = "new_ticket", _("New ticket")
        REPLY = "reply", _("Reply on a ticket")
        AUTO_REPLY = "auto_reply", _("Automatic reply, ignored")
        BOUNCE = "bounce", _("Bounce, ignored")
        OWN = "own", _("Our own mail, ignored")
        TOO_LARGE = "too_large", _("Too large, refused")
        UNREADABLE = "unreadable", _("Unreadable, refused")
        RATE_LIMITED = "rate_limited", _("Too many from one sender, refused")

    # SHA-256 of the Message-ID, or of the raw message when it has no Message-ID.
    dedupe_key = models.CharField(max_length=64, unique=True, editable=False)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    raw_sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_emails",
        verbose_name=_("ticket"),
    )
    # The message it became; the agent's answer is sent "In-Reply-To" its Message-ID.
    ticket_message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        db_table = "tickets_inboundemail"
        ordering = ["-received_at", "-id"]
        verbose_name = _("incoming email")
        verbose_name_plural = _("incoming emails")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} #{self.pk}"
