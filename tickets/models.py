import secrets
from pathlib import Path
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.guard import SecretKind
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
    PENDING = "pending", _("Waiting for you")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


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
        "Team",
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
        Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="guard_events"
    )
    customer_email = models.EmailField(blank=True, db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    kind = models.CharField(max_length=20, choices=SECRET_KIND_CHOICES)
    field = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
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


class AgentProfile(models.Model):
    """An agent's desk identity: availability, capacity and the official agent code."""

    class Availability(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    display_name = models.CharField(_("display name"), max_length=60)
    agent_code = models.CharField(_("agent code"), max_length=16, unique=True)
    availability = models.CharField(
        _("availability"),
        max_length=10,
        choices=Availability.choices,
        default=Availability.OFFLINE,
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity (open tickets)"), default=20, validators=[MinValueValidator(1)]
    )
    chat_capacity = models.PositiveSmallIntegerField(
        _("capacity (chats at once)"), default=3, validators=[MinValueValidator(1)]
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.agent_code})"


class Team(models.Model):
    """A group of agents with its own working hours, time zone and holidays."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=80)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    working_hours = models.JSONField(
        _("working hours"),
        default=list,
        help_text=_(
            'A list of {"days": [0-6, Monday=0], "open": "HH:MM", "close": "HH:MM"}, or "always".'
        ),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="support_teams"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name_en

    def clean(self) -> None:
        from tickets.business_hours import BusinessCalendar

        try:
            BusinessCalendar.from_config(time_zone=self.time_zone, hours=self.working_hours)
        except Exception as error:
            raise ValidationError({"working_hours": str(error)}) from error


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    is_lead = models.BooleanField(_("team lead"), default=False)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="tickets_one_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class TeamHoliday(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=80, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["team", "date"], name="tickets_one_holiday_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.date}"


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
    team = models.ForeignKey(Team, on_delete=models.PROTECT, verbose_name=_("team"))
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


class SentMail(models.Model):
    """Mail already sent by a task run: a redelivered task (worker died before acknowledging)
    finds its id here and does not send twice."""

    task_id = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sent mail")
        verbose_name_plural = _("sent mail")

    def __str__(self) -> str:
        return self.task_id


def export_path(instance: "DataRequest", filename: str) -> str:
    """A random name under MEDIA_ROOT/exports, which no URL serves: only the signed link does."""
    return f"exports/{uuid4().hex}{uuid4().hex}.json"


class DataRequest(models.Model):
    """A customer's request for a copy of their data, or for its deletion (tickets.privacy).

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
        return self.status in {self.State.AWAITING, self.State.CONFIRMED}


class InboundEmail(models.Model):
    """An incoming email already handled, by the IMAP task or the pipe command
    (tickets.inbound_services): a message fetched or delivered twice is processed once.

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
        ordering = ["-received_at", "-id"]
        verbose_name = _("incoming email")
        verbose_name_plural = _("incoming emails")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} #{self.pk}"
