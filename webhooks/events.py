"""The events a subscription may ask for: one list, which the admin, the payloads and
docs/api.md name."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_STATUS_CHANGED = "ticket.status_changed", _("Ticket status changed")
    TICKET_AGENT_REPLIED = "ticket.agent_replied", _("Agent replied")
    CHAT_STARTED = "chat.started", _("Chat started")
    CHAT_ACCEPTED = "chat.accepted", _("Chat accepted")
    CHAT_CLOSED = "chat.closed", _("Chat closed")
    RATING_RECEIVED = "rating.received", _("Rating received")
    SECURITY_REPORT_FILED = "security_report.filed", _("Security report filed")


# Sent by the admin's "Send test event" button only, to the one subscription.
TEST_EVENT = "webhook.test"
