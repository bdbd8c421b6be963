from uuid import uuid4

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import ProblemType, Ticket


class Conversation(models.Model):
    """A live chat, recorded on its ticket: the ticket's chat messages are the conversation."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for an agent")
        ACTIVE = "active", _("With an agent")
        # Nobody took it in time: the customer may still write, and the team answers the ticket.
        UNANSWERED = "unanswered", _("Kept as a message")
        CLOSED = "closed", _("Closed")

    public_id = models.UUIDField(default=uuid4, unique=True, editable=False)
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="conversation")
    # A random id kept in the visitor's session: only that session may open the socket.
    visitor_key = models.CharField(max_length=64, db_index=True, editable=False)
    visitor_name = models.CharField(_("name"), max_length=60)
    problem_type = models.CharField(_("problem type"), max_length=32, choices=ProblemType.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("agent"),
    )
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    # When it last went back to the queue (a transfer to a team): its wait for an agent counts
    # from here. Its place in the queue still follows queued_at.
    requeued_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    customer_read_up_to = models.BigIntegerField(default=0)
    agent_read_up_to = models.BigIntegerField(default=0)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        ordering = ["queued_at", "id"]
        indexes = [models.Index(fields=["status", "queued_at", "id"], name="conversation_queue")]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return f"{self.ticket.reference} chat ({self.status})"

    @property
    def group_name(self) -> str:
        return f"chat.{self.public_id.hex}"
