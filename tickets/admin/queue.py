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
from django.db.models import Case, Count, DateTimeField, F, Prefetch, Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from agents.roles import desk_role
from agents.selectors import agent_identity
from tickets import selectors, sla
from tickets.canned import canned_replies_for, customer_salutation
from tickets.forms import evidence_display
from tickets.models import OPEN_STATUSES, SOLVED_STATUSES, Attachment, Status, Ticket

# New or open: still in an agent's hands (not waiting on the customer); the resolution clock runs.
WORKING_STATUSES = sla.RESOLUTION.running_statuses
RECENTLY_SOLVED_DAYS = 7
QUEUE_COUNT_CAP = 999


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


def breached_q(now: datetime) -> Q:
    """Past the deadline of a running clock."""
    return _breached(sla.FIRST_RESPONSE, now) | _breached(sla.RESOLUTION, now)


def at_risk_q(now: datetime) -> Q:
    """Past the warning point of the running clock, not yet past its deadline."""
    return _at_risk(sla.FIRST_RESPONSE, now) | _at_risk(sla.RESOLUTION, now)


def _breached(clock: sla.Clock, now: datetime) -> Q:
    return clock.running() & Q(**{f"{clock.due_field}__lte": now})


def _at_risk(clock: sla.Clock, now: datetime) -> Q:
    return (
        clock.running()
        & Q(**{f"{clock.warn_field}__lte": now})
        & (Q(**{f"{clock.due_field}__gt": now}) | Q(**{f"{clock.due_field}__isnull": True}))
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
    working_set = selectors.tickets_visible_to(user).filter(
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
    clock: sla.SlaClock
    guard_events: list
    history: list
    canned_replies: list[str]
    same_transaction: list[Ticket]
    # The service announcements the ticket was tagged with (announcements app, by its relation).
    announcements: list


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
        clock=sla.sla_clock(ticket),
        guard_events=list(
            selectors.ticket_guard_events(ticket=ticket).order_by("-created_at")[:50]
        ),
        history=selectors.ticket_history(ticket=ticket),
        canned_replies=canned_replies(ticket=ticket, agent=agent),
        same_transaction=list(
            selectors.tickets_sharing_hash(ticket=ticket).filter(
                pk__in=selectors.tickets_visible_to(agent).values("pk")
            )[:20]
        ),
        announcements=list(ticket.announcements.order_by("-starts_at")[:5]),
    )


def canned_replies(*, ticket: Ticket, agent: AbstractBaseUser) -> list[str]:
    """The canned replies that fit the ticket, in its language, placeholders filled in.

    Placeholders: {name} (the customer), {reference}, {agent} (the agent's display name).
    """
    language = ticket.language or settings.LANGUAGE_CODE
    values = {
        "name": customer_salutation(name=ticket.customer_name, language=language),
        "reference": ticket.reference,
        "agent": agent_identity(agent)[0],
    }
    with translation.override(language):
        return [
            _fill(str(text), values)
            for text in canned_replies_for(problem_type=ticket.problem_type, language=language)
        ]


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template
