import secrets
from pathlib import Path
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from tickets.validators import validate_transaction_hash

# Crockford's base32 without 0/O and 1/I/L: references read aloud over the phone without mistakes.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 8


class ProblemType(models.TextChoices):
    ACCOUNT_SECURITY = "account_security", _("Account security")
    ABNORMAL_TRANSACTION = "abnormal_transaction", _("Abnormal transaction")
    TOPUP_WITHDRAWAL = "topup_withdrawal", _("Top-up or withdrawal")
    ACCOUNT_FROZEN = "account_frozen", _("Frozen or locked account")
    OTHER = "other", _("Something else")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Live chat")
    PHONE = "phone", _("Phone")
    SOCIAL = "social", _("Social media")
    IN_APP = "in_app", _("In-app")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Waiting on the customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# The customer's own words for a status, where the desk's label would read wrong to them.
CUSTOMER_STATUS_LABELS = {Status.PENDING: _("Waiting for your reply")}

# Every status change goes through this table (tickets.services.ticket_change_status).
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.PENDING, Status.RESOLVED, Status.CLOSED}),
    Status.PENDING: frozenset({Status.OPEN, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.OPEN}),
}


# A ticket still being worked on, and one that is done; Ticket.is_open says which.
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)
SOLVED_STATUSES = (Status.RESOLVED, Status.CLOSED)


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


def new_reference() -> str:
    """A ticket reference like WS-7K3M9QXD: random, so one reference says nothing of another."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"WS-{body}"


def new_access_key() -> str:
    return secrets.token_urlsafe(24)


class PrivateFileStorage(FileSystemStorage):
    """Attachments under MEDIA_ROOT, which no URL serves: only permission-checked views do."""

    def url(self, name: str | None) -> str:
        raise ValueError("private files have no public URL")


private_storage = PrivateFileStorage(directory_permissions_mode=0o700)


def attachment_path(instance: "Attachment", filename: str) -> str:
    """A random stored name: the customer's file name is never used on disk."""
    extension = Path(filename).suffix.lower()
    return f"attachments/{uuid4().hex[:2]}/{uuid4().hex}{extension}"


class Ticket(models.Model):
    reference = models.CharField(_("reference"), max_length=16, unique=True, editable=False)
    # Part of every private link; rotating it revokes the links already sent.
    access_key = models.CharField(max_length=64, default=new_access_key, editable=False)
    # Set from the hidden key of the contact form, so a double submission files one ticket.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    problem_type = models.CharField(
        _("problem type"), max_length=32, choices=ProblemType.choices, default=ProblemType.OTHER
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    subject = models.CharField(_("subject"), max_length=200)
    customer_email = models.EmailField(_("customer email"), db_index=True)
    customer_name = models.CharField(_("customer name"), max_length=100, blank=True)
    # When the customer opened a link mailed to customer_email: until then the address is only
    # what someone typed, and the ticket stays out of that address's wallet app.
    email_verified_at = models.DateTimeField(
        _("email verified"), null=True, blank=True, editable=False
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="support_tickets",
        verbose_name=_("customer account"),
    )
    wallet_account_id = models.CharField(
        _("wallet account ID"), max_length=64, blank=True, db_index=True
    )
    language = models.CharField(_("language"), max_length=10, default="en")
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    transaction_hash = models.CharField(
        _("transaction hash"), max_length=128, blank=True, db_index=True
    )
    transaction_network = models.CharField(_("network"), max_length=20, blank=True)
    team = models.ForeignKey(
        "agents.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    # Set when the ticket is created or reopened; the routing task clears it (idempotency).
    needs_routing = models.BooleanField(default=True, editable=False)
    routed_at = models.DateTimeField(_("routed"), null=True, blank=True, editable=False)
    # SLA clocks, in the team's business hours (tickets.sla).
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    first_response_at_risk_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_response_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_at_risk_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last activity"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    satisfaction_rating = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    satisfaction_comment = models.TextField(_("satisfaction comment"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["first_response_warn_at"], name="tickets_fr_warn_idx"),
            models.Index(fields=["first_response_due"], name="tickets_fr_due_idx"),
            models.Index(fields=["resolution_warn_at"], name="tickets_res_warn_idx"),
            models.Index(fields=["resolution_due"], name="tickets_res_due_idx"),
            # The queue's views: newest first, recently solved, and search by email in any case.
            models.Index(fields=["created_at"], name="tickets_created_idx"),
            models.Index(fields=["status", "created_at"], name="tickets_status_created_idx"),
            models.Index(fields=["resolved_at"], name="tickets_resolved_idx"),
            models.Index(Upper("customer_email"), name="tickets_email_upper_idx"),
            # The tickets waiting for routing in the order a batch takes them (account-security
            # first, then oldest), a few rows however large the table; tickets.routing.
            models.Index(
                models.Case(
                    models.When(problem_type="account_security", then=models.Value(0)),
                    default=models.Value(1),
                ),
                "id",
                condition=models.Q(needs_routing=True),
                name="tickets_waiting_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction_rating__isnull=True)
                | models.Q(satisfaction_rating__gte=1, satisfaction_rating__lte=5),
                name="tickets_rating_between_1_and_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    def clean(self) -> None:
        if self.transaction_hash:
            if not self.transaction_network:
                raise ValidationError({"transaction_network": _("Choose the network.")})
            try:
                validate_transaction_hash(self.transaction_hash, self.transaction_network)
            except ValidationError as error:
                raise ValidationError({"transaction_hash": error.messages}) from error

    @property
    def is_open(self) -> bool:
        return self.status not in SOLVED_STATUSES

    def customer_status_display(self) -> str:
        """The status as the customer reads it on their ticket page."""
        return str(CUSTOMER_STATUS_LABELS.get(self.status, self.get_status_display()))

    def can_move_to(self, status: str) -> bool:
        return status in STATUS_TRANSITIONS[self.status]


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    body = models.TextField(_("message"))
    is_internal = models.BooleanField(_("internal note"), default=False)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB)
    # The sender's own id for a chat message: a resent message is not stored twice.
    client_id = models.UUIDField(null=True, blank=True, editable=False)
    # A chat's system line as data ({"key", "params"}, livechat.system_lines), so each reader gets
    # it in their own language; `body` holds it in the customer's.
    system_line = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "client_id"], name="tickets_message_client_id_once"
            )
        ]
        # A ticket's thread in order, and "the message before this one" without a table scan.
        indexes = [models.Index(fields=["ticket", "id"], name="message_ticket_thread")]

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.pk} {self.author_kind}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, storage=private_storage, max_length=200)
    name = models.CharField(_("file name"), max_length=100)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class TicketEvent(models.Model):
    """The audit trail: who changed what on a ticket, and when."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        REPLIED = "replied", _("Replied")
        RATED = "rated", _("Rated")
        GUARD = "guard", _("Secret refused")
        ROUTED = "routed", _("Routed")
        ASSIGNED = "assigned", _("Assigned")
        PRIORITY = "priority", _("Priority changed")
        SLA_AT_RISK = "sla_at_risk", _("SLA at risk")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        ESCALATED = "escalated", _("Escalated")
        WEBHOOK = "webhook", _("Wallet backend notified")
        MERGED = "merged", _("Merged")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    field = models.CharField(max_length=40, blank=True)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class RoutingRule(models.Model):
    """Which team and priority a ticket gets: the first active rule that matches wins.

    A rule matches a ticket of its problem type (any type when blank) whose subject or first
    message contains one of its keywords (one per line, any language, case-insensitive); a rule
    without keywords matches every ticket of its type.
    """

    order = models.PositiveIntegerField(_("order"), default=100)
    name = models.CharField(_("name"), max_length=100)
    problem_type = models.CharField(
        _("problem type"), max_length=32, choices=ProblemType.choices, blank=True
    )
    keywords = models.TextField(_("keywords"), blank=True, help_text=_("One per line."))
    team = models.ForeignKey("agents.Team", on_delete=models.PROTECT, verbose_name=_("team"))
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name

    @property
    def keyword_list(self) -> list[str]:
        return [line.strip().lower() for line in self.keywords.splitlines() if line.strip()]

    def matches(self, *, problem_type: str, text: str) -> bool:
        if self.problem_type and self.problem_type != problem_type:
            return False
        keywords = self.keyword_list
        if not keywords:
            return True
        lowered = text.lower()
        return any(keyword in lowered for keyword in keywords)


class SLAPolicy(models.Model):
    """Response-time targets, in business hours, per problem type and priority."""

    problem_type = models.CharField(_("problem type"), max_length=32, choices=ProblemType.choices)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response (business minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (business minutes)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["problem_type", "priority"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["problem_type", "priority"], name="tickets_one_policy_per_type_priority"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_problem_type_display()} / {self.get_priority_display()}"


class WebhookDelivery(models.Model):
    """One notification to the wallet's backend; its attempts are recorded below."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="webhooks")
    event = models.CharField(max_length=60)
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "event"], name="tickets_one_webhook_event")
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.ticket_id} {self.state}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attempted_at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error}"
