"""Reads of the agents' queue: who may see and reassign what, the saved views, the SLA clock.

Roles come from the desk's own data, not from Django permissions: admins (superusers) see every
ticket; an agent (a staff member with an agent profile or a team) sees the tickets of their teams
and those assigned to them; a team lead may also reassign their teams' tickets.

Every list here stays cheap at a million tickets: views filter on indexed columns and the open
backlog, counts stop at QUEUE_COUNT_CAP, and nothing counts the whole table.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    Max,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from tickets import selectors
from tickets.forms import evidence_display
from tickets.models import (
    OPEN_STATUSES,
    SOLVED_STATUSES,
    AgentProfile,
    Attachment,
    Status,
    TeamMembership,
    Ticket,
)
from tickets.sla import FIRST_RESPONSE_RUNNING, RESOLUTION_RUNNING

# New or open: still in an agent's hands (not waiting on the customer); the resolution clock runs.
WORKING_STATUSES = RESOLUTION_RUNNING
RECENTLY_SOLVED_DAYS = 7
QUEUE_COUNT_CAP = 999


@dataclass(frozen=True)
class DeskRole:
    is_admin: bool
    team_ids: frozenset[int]
    lead_team_ids: frozenset[int]
    is_agent: bool

    def can_reassign_team(self, team_id: int | None) -> bool:
        return self.is_admin or (team_id is not None and team_id in self.lead_team_ids)


def desk_role(user: AbstractBaseUser) -> DeskRole:
    """The user's role on the desk, computed once per user object (one query)."""
    cached = getattr(user, "_desk_role", None)
    if cached is not None:
        return cached
    if not (user.is_authenticated and user.is_active and user.is_staff):
        role = DeskRole(False, frozenset(), frozenset(), False)
    else:
        memberships = list(
            TeamMembership.objects.filter(user=user).values_list("team_id", "is_lead")
        )
        team_ids = frozenset(team_id for team_id, _lead in memberships)
        lead_ids = frozenset(team_id for team_id, lead in memberships if lead)
        is_agent = bool(team_ids) or user.is_superuser or _has_profile(user)
        role = DeskRole(user.is_superuser, team_ids, lead_ids, is_agent)
    user._desk_role = role
    return role


def _has_profile(user: AbstractBaseUser) -> bool:
    try:
        return user.agent_profile is not None
    except AgentProfile.DoesNotExist:
        return False


def tickets_visible_to(user: AbstractBaseUser) -> QuerySet[Ticket]:
    role = desk_role(user)
    tickets = Ticket.objects.all()
    if role.is_admin:
        return tickets
    if not role.is_agent:
        return tickets.none()
    return tickets.filter(Q(team_id__in=role.team_ids) | Q(assignee=user))


def ticket_visible_to(*, user: AbstractBaseUser, ticket: Ticket) -> bool:
    role = desk_role(user)
    if role.is_admin:
        return True
    return role.is_agent and (ticket.team_id in role.team_ids or ticket.assignee_id == user.pk)


def can_reassign(*, user: AbstractBaseUser, ticket: Ticket) -> bool:
    """Admins move any ticket; team leads the tickets of their teams."""
    return desk_role(user).can_reassign_team(ticket.team_id)


# The SLA clock that runs now: the first response until it is given, then the resolution
# (stopped while the ticket waits on the customer), none once the ticket is solved.
NEXT_DUE = Case(
    When(status__in=SOLVED_STATUSES, then=Value(None)),
    When(
        first_responded_at__isnull=True,
        first_response_due__isnull=False,
        then=F("first_response_due"),
    ),
    When(Q(status=Status.PENDING) | Q(resolution_paused_at__isnull=False), then=Value(None)),
    default=F("resolution_due"),
    output_field=DateTimeField(),
)


def _first_response_running() -> Q:
    return Q(status__in=FIRST_RESPONSE_RUNNING, first_responded_at__isnull=True)


def _resolution_running() -> Q:
    # As in tickets.sla: the resolution clock runs from the start, paused while pending.
    return Q(status__in=RESOLUTION_RUNNING, resolution_paused_at__isnull=True)


def breached_q(now: datetime) -> Q:
    return (_first_response_running() & Q(first_response_due__lte=now)) | (
        _resolution_running() & Q(resolution_due__lte=now)
    )


def at_risk_q(now: datetime) -> Q:
    """Past the warning point of the running clock, not yet past its deadline."""
    return (
        _first_response_running()
        & Q(first_response_warn_at__lte=now)
        & (Q(first_response_due__gt=now) | Q(first_response_due__isnull=True))
    ) | (
        _resolution_running()
        & Q(resolution_warn_at__lte=now)
        & (Q(resolution_due__gt=now) | Q(resolution_due__isnull=True))
    )


@dataclass(frozen=True)
class SavedView:
    code: str
    label: str


SAVED_VIEWS = (
    SavedView("mine", _("My open tickets")),
    SavedView("team_unassigned", _("My teams' unassigned")),
    SavedView("at_risk", _("At risk")),
    SavedView("breached", _("Breached")),
    SavedView("waiting", _("Waiting on the customer")),
    SavedView("solved", _("Recently solved")),
    SavedView("all", _("All tickets")),
)
DEFAULT_VIEW = "open"  # every ticket still being worked, the queue's first page


def saved_view_q(code: str, *, user: AbstractBaseUser, now: datetime) -> Q:
    """The filter of one saved view (applied on top of tickets_visible_to)."""
    if code == "mine":
        return Q(assignee=user, status__in=WORKING_STATUSES)
    if code == "team_unassigned":
        return Q(
            team_id__in=desk_role(user).team_ids, assignee__isnull=True, status__in=OPEN_STATUSES
        )
    if code == "at_risk":
        return at_risk_q(now)
    if code == "breached":
        return breached_q(now)
    if code == "waiting":
        return Q(status=Status.PENDING)
    if code == "solved":
        return Q(
            status__in=SOLVED_STATUSES,
            resolved_at__gte=now - timedelta(days=RECENTLY_SOLVED_DAYS),
        )
    if code == "all":
        return Q()
    return Q(status__in=OPEN_STATUSES)


def saved_view_ordering(code: str) -> tuple:
    if code == "solved":
        return ("-resolved_at", "-id")
    if code == "all":
        return ("-created_at", "-id")
    return (F("next_due").asc(nulls_last=True), "created_at", "id")


def queue_counts(*, user: AbstractBaseUser, now: datetime | None = None) -> dict[str, int]:
    """Tickets in each saved view, in one query over the open backlog and the recent solves.

    A view holding more than QUEUE_COUNT_CAP tickets reports QUEUE_COUNT_CAP + 1 ("999+").
    """
    now = now or timezone.now()
    working_set = tickets_visible_to(user).filter(
        Q(status__in=OPEN_STATUSES)
        | Q(
            status__in=SOLVED_STATUSES,
            resolved_at__gte=now - timedelta(days=RECENTLY_SOLVED_DAYS),
        )
    )
    counted = [view.code for view in SAVED_VIEWS if view.code != "all"]
    totals = working_set.aggregate(
        **{
            code: Count("pk", filter=saved_view_q(code, user=user, now=now))
            for code in [*counted, DEFAULT_VIEW]
        }
    )
    return {code: min(total, QUEUE_COUNT_CAP + 1) for code, total in totals.items()}


@dataclass(frozen=True)
class SlaClock:
    state: str  # "none", "paused", "on_time", "at_risk", "breached"
    label: str
    due: datetime | None
    clock: str  # "first_response" or "resolution" or ""


def sla_clock(ticket: Ticket, *, now: datetime | None = None) -> SlaClock:
    """The running clock of one ticket, as the list and the ticket page show it."""
    now = now or timezone.now()
    if ticket.status in SOLVED_STATUSES:
        return SlaClock("none", str(_("Solved")), None, "")
    if ticket.first_responded_at is None and ticket.first_response_due is not None:
        clock, due, warn = (
            "first_response",
            ticket.first_response_due,
            ticket.first_response_warn_at,
        )
    elif ticket.status == Status.PENDING or ticket.resolution_paused_at is not None:
        return SlaClock("paused", str(_("Paused: waiting on the customer")), None, "resolution")
    else:
        clock, due, warn = "resolution", ticket.resolution_due, ticket.resolution_warn_at
    if due is None:
        return SlaClock("none", str(_("No target")), None, clock)
    if due <= now:
        return SlaClock("breached", str(_("Breached")), due, clock)
    if warn is not None and warn <= now:
        return SlaClock("at_risk", str(_("At risk")), due, clock)
    return SlaClock("on_time", str(_("On time")), due, clock)


def latest_message_id(ticket: Ticket) -> int:
    """The newest message on the ticket (notes included): what a reply form was based on."""
    return ticket.messages.aggregate(last=Max("id"))["last"] or 0


def search_q(term: str) -> Q | None:
    """Exact, indexed lookups: a reference, an email, a transaction hash or a wallet account ID."""
    term = term.strip()
    if not term:
        return None
    upper = term.upper()
    if "@" in term:
        return Q(customer_email__iexact=term)
    lowered = term.lower()
    bare = lowered.removeprefix("0x")
    hashes = {term, lowered, bare, f"0x{bare}"}
    reference = upper if upper.startswith("WS-") else f"WS-{upper}"
    return Q(reference=reference) | Q(transaction_hash__in=hashes) | Q(wallet_account_id=term)


@dataclass
class Workspace:
    """Everything the ticket page shows beside the ticket's own fields."""

    thread: list
    seen_up_to: int
    evidence: list[tuple[str, str]]
    clock: SlaClock
    guard_events: list
    history: list
    canned_replies: list[str]
    same_transaction: list[Ticket]


def ticket_workspace(*, ticket: Ticket, agent: AbstractBaseUser) -> Workspace:
    """The ticket page in a fixed number of queries, whatever the length of the thread."""
    thread = list(
        ticket.messages.select_related("author__agent_profile").prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
        )
    )
    return Workspace(
        thread=thread,
        seen_up_to=max((message.id for message in thread), default=0),
        evidence=evidence_display(ticket.problem_type, ticket.evidence) if ticket.evidence else [],
        clock=sla_clock(ticket),
        guard_events=list(
            selectors.ticket_guard_events(ticket=ticket).order_by("-created_at")[:50]
        ),
        history=list(ticket.events.select_related("actor").order_by("-created_at", "-id")[:200]),
        canned_replies=canned_replies(ticket=ticket, agent=agent),
        same_transaction=list(
            selectors.tickets_sharing_hash(ticket=ticket).filter(
                pk__in=tickets_visible_to(agent).values("pk")
            )[:20]
        ),
    )


def canned_replies(*, ticket: Ticket, agent: AbstractBaseUser) -> list[str]:
    """SUPPORT_CANNED_REPLIES in the ticket's language, placeholders filled in.

    Placeholders: {name} (the customer), {reference}, {agent} (the agent's display name).
    """
    values = {
        "name": ticket.customer_name or ticket.customer_email,
        "reference": ticket.reference,
        "agent": selectors.agent_display_name(agent),
    }
    with translation.override(ticket.language or None):
        return [_fill(str(text), values) for text in settings.SUPPORT_CANNED_REPLIES]


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template
