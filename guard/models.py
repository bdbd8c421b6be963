from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from guard.detect import SecretKind

SECRET_KIND_CHOICES = [
    (SecretKind.RECOVERY_PHRASE.value, _("Recovery phrase")),
    (SecretKind.PRIVATE_KEY.value, _("Private key")),
    (SecretKind.CARD_NUMBER.value, _("Card number")),
]


class GuardEvent(models.Model):
    """A recovery phrase, private key or card number refused: counted, never stored."""

    class Source(models.TextChoices):
        CONTACT_FORM = "contact_form", _("Contact form")
        REPLY = "reply", _("Ticket reply")
        CHAT = "chat", _("Live chat")
        EMAIL = "email", _("Email")
        API = "api", _("API")

    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="guard_events",
    )
    customer_email = models.EmailField(blank=True, db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    kind = models.CharField(max_length=20, choices=SECRET_KIND_CHOICES)
    field = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "tickets_guardevent"
        ordering = ["-created_at"]
        verbose_name = _("guard event")
        verbose_name_plural = _("guard events")
        indexes = [
            models.Index(fields=["created_at"], name="guard_events_created_idx"),
            # The ticket page looks up refusals from the customer's address, in any case.
            models.Index(Upper("customer_email"), name="guard_events_email_upper_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} via {self.source}"
