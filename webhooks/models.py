"""Event subscriptions of other systems (the wallet's backend first), their deliveries and
every attempt at one."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from webhooks.events import TEST_EVENT, EventType

# How much of a secret the admin shows again after it is saved: its last characters.
SECRET_HINT_LENGTH = 4


class Subscription(models.Model):
    """A receiver of signed event webhooks, edited in the admin."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    # Kept in clear because it signs every payload (HMAC needs the key itself); never shown
    # again in full after it is saved, never logged.
    secret = models.CharField(_("signing secret"), max_length=200)
    events = models.JSONField(_("events"), default=list)
    include_text = models.BooleanField(
        _("include message text"),
        default=False,
        help_text=_("Send the text of messages, comments and reports with the events."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        permissions = [("send_test_event", _("Can send a test event to a webhook subscription"))]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_hint(self) -> str:
        """The secret as the admin shows it once saved: its last characters only."""
        if not self.secret:
            return ""
        return "•" * 8 + self.secret[-SECRET_HINT_LENGTH:]

    def wants(self, event: str) -> bool:
        return self.is_active and event in self.events


class Delivery(models.Model):
    """One event for one subscription: delivered once, or given up after its last attempt."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    # The event's id: the Idempotency-Key header and the payload's "id" (the same for every
    # subscription that receives this event).
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4)
    event = models.CharField(
        _("event"), max_length=40, choices=[*EventType.choices, (TEST_EVENT, _("Test event"))]
    )
    payload = models.JSONField(_("payload"))
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.PENDING
    )
    # A worker holds the delivery until then while it posts: a second copy of the task (a
    # redelivered message) waits instead of posting the same event at the same time.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook event delivery")
        verbose_name_plural = _("webhook event deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhooks_one_delivery_per_event"
            )
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="webhooks_delivery_state")]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id} ({self.state})"


class Attempt(models.Model):
    """One POST of a delivery: when, how it ended and how long it took."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("delivery")
    )
    attempted_at = models.DateTimeField(_("attempted"), auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    # The error, with at most a short excerpt of the receiver's answer (webhooks.signing).
    error = models.CharField(_("error"), max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        ordering = ["attempted_at", "id"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error}"
