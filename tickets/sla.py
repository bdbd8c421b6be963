"""The SLA clock: its targets, when its clocks start, pausing while the ticket waits on the
customer, the periodic check that marks tickets at risk (80% of a target) and breached and
escalates each ticket once, and the clock a ticket shows.

A ticket has two clocks, both counted in its team's business hours (`team_calendar`): the first
response and the resolution. `CLOCKS` says which statuses run each, what stops it, and the fields
that hold its deadlines and marks; the check, the agents' queue and the dashboard read them there.

The check is set-based: the tickets due for a mark are selected `WHERE <mark> IS NULL` and locked,
then marked and their events written in bulk in the same transaction, so of two
beat processes or a redelivered task checking the same ticket exactly one takes it; escalation
re-checks `escalated_at IS NULL` under the lock, so a breach is never escalated twice.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import Team
from common.business_hours import BusinessCalendar, add_business_time, business_time_between
from tickets.models import (
    OPEN_STATUSES,
    SOLVED_STATUSES,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.routing_config import RoutingConfig, calendar_of, routing_config

logger = logging.getLogger(__name__)

AT_RISK_FRACTION = 0.8
# Used when no SLAPolicy row covers a ticket: minutes of business time.
FALLBACK_TARGETS = {
    Priority.URGENT: (30, 8 * 60),
    Priority.HIGH: (2 * 60, 2 * 8 * 60),
    Priority.NORMAL: (4 * 60, 3 * 8 * 60),
    Priority.LOW: (8 * 60, 5 * 8 * 60),
}
ESCALATED_PRIORITY = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}


@dataclass(frozen=True)
class Clock:
    """One SLA clock: the statuses it runs in, the field that stops it, its deadline fields."""

    name: str
    running_statuses: tuple[str, ...]
    stopped_by: str  # the clock runs while this field is empty
    warn_field: str
    due_field: str
    at_risk_mark: str
    breached_mark: str

    def running(self) -> Q:
        """Tickets whose clock runs now."""
        return Q(status__in=self.running_statuses, **{f"{self.stopped_by}__isnull": True})

    def targeted(self) -> Q:
        """Tickets this clock has a deadline for."""
        return Q(**{f"{self.due_field}__isnull": False})

    def met(self) -> Q:
        """Tickets with a deadline on this clock that it has not (yet) marked breached."""
        return self.targeted() & Q(**{f"{self.breached_mark}__isnull": True})


FIRST_RESPONSE = Clock(
    name="first_response",
    running_statuses=OPEN_STATUSES,
    stopped_by="first_responded_at",
    warn_field="first_response_warn_at",
    due_field="first_response_due",
    at_risk_mark="first_response_at_risk_at",
    breached_mark="first_response_breached_at",
)
# Waiting on the customer (pending) stops the resolution clock; resuming pushes its deadlines.
RESOLUTION = Clock(
    name="resolution",
    running_statuses=(Status.NEW, Status.OPEN),
    stopped_by="resolution_paused_at",
    warn_field="resolution_warn_at",
    due_field="resolution_due",
    at_risk_mark="resolution_at_risk_at",
    breached_mark="resolution_breached_at",
)
CLOCKS = (FIRST_RESPONSE, RESOLUTION)


class SlaTargets(NamedTuple):
    first_response: timedelta
    resolution: timedelta


@dataclass
class SlaReport:
    at_risk: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)


def sla_targets(
    *, problem_type: str, priority: str, config: RoutingConfig | None = None
) -> SlaTargets:
    """First-response and resolution targets of a problem type and priority, in business time."""
    config = config or routing_config()
    minutes = config.policies.get((problem_type, priority)) or FALLBACK_TARGETS.get(
        priority, FALLBACK_TARGETS[Priority.NORMAL]
    )
    return SlaTargets(timedelta(minutes=minutes[0]), timedelta(minutes=minutes[1]))


def team_calendar(team: Team | None, *, config: RoutingConfig | None = None) -> BusinessCalendar:
    """The team's business hours; a ticket without a team is counted around the clock.

    Read from this process's snapshot (tickets.routing_config), refreshed when an editor saves."""
    if team is None:
        return calendar_of(None)
    return (config or routing_config()).calendars.get(team.pk) or calendar_of(team)


def sla_clocks_start(
    *, ticket: Ticket, now: datetime, first_routing: bool, config: RoutingConfig | None = None
) -> None:
    """Due times in the team's business hours, counted from submission (or from the reopening).

    The first-response clock starts only while nobody has answered yet; the caller saves. A
    batch passes the snapshot it holds (`config`), so the cache is asked once, not per ticket.
    """
    config = config or routing_config()
    calendar = team_calendar(ticket.team, config=config)
    targets = sla_targets(problem_type=ticket.problem_type, priority=ticket.priority, config=config)
    start = ticket.created_at if first_routing else now
    if ticket.first_responded_at is None:
        ticket.first_response_due = add_business_time(start, targets.first_response, calendar)
        ticket.first_response_warn_at = add_business_time(
            start, targets.first_response * AT_RISK_FRACTION, calendar
        )
        ticket.first_response_at_risk_at = None
        ticket.first_response_breached_at = None
    ticket.resolution_due = add_business_time(start, targets.resolution, calendar)
    ticket.resolution_warn_at = add_business_time(
        start, targets.resolution * AT_RISK_FRACTION, calendar
    )
    ticket.resolution_paused_at = None
    ticket.resolution_at_risk_at = None
    ticket.resolution_breached_at = None


# Ids per UPDATE ... WHERE id IN (...): far below PostgreSQL's 65,535 parameters a statement.
MARK_CHUNK = 5000


def sla_check(*, now: datetime | None = None) -> SlaReport:
    """Mark tickets at risk and breached, and escalate breaches; safe to run concurrently.

    Set-based: per clock and mark, one SELECT ... FOR UPDATE of the tickets due (in id order),
    UPDATEs by id and the events in bulk, in one transaction. A run that waited for another's
    lock re-checks `<mark> IS NULL` on the row it gets (PostgreSQL's READ COMMITTED re-check),
    so of two runs at once each ticket goes to exactly one. (SKIP LOCKED would let one run's
    next mark skip the rows the other still holds for this one.)
    """
    now = now or timezone.now()
    report = SlaReport()
    for clock in CLOCKS:
        with transaction.atomic():
            report.at_risk += _mark_due(clock, clock.warn_field, clock.at_risk_mark, now)
        with transaction.atomic():
            breached = _mark_due(clock, clock.due_field, clock.breached_mark, now)
            report.breached += breached
            report.escalated += tickets_escalate(ticket_ids=breached, now=now, reason=clock.name)
    return report


def _mark_due(clock: Clock, deadline: str, mark: str, now: datetime) -> list[int]:
    due = (
        Ticket.objects.filter(clock.running(), **{f"{deadline}__lte": now, f"{mark}__isnull": True})
        .select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ticket_ids = list(due)
    kind = (
        TicketEvent.Kind.SLA_AT_RISK
        if mark == clock.at_risk_mark
        else TicketEvent.Kind.SLA_BREACHED
    )
    for chunk in _chunks(ticket_ids):
        Ticket.objects.filter(pk__in=chunk).update(**{mark: now})
    TicketEvent.objects.bulk_create(
        [TicketEvent(ticket_id=ticket_id, kind=kind, field=clock.name) for ticket_id in ticket_ids],
        batch_size=MARK_CHUNK,
    )
    return ticket_ids


def _chunks(ids: list[int]):
    for start in range(0, len(ids), MARK_CHUNK):
        yield ids[start : start + MARK_CHUNK]


def ticket_escalate(*, ticket_id: int, now: datetime, reason: str) -> bool:
    """Raise the priority, tell the team lead, optionally reassign: once per ticket, ever."""
    return bool(tickets_escalate(ticket_ids=[ticket_id], now=now, reason=reason))


def tickets_escalate(*, ticket_ids: list[int], now: datetime, reason: str) -> list[int]:
    """`ticket_escalate` for many tickets in one transaction; returns those escalated now."""
    from tickets import tasks

    if not ticket_ids:
        return []
    escalated: list[int] = []
    with transaction.atomic():
        for chunk in _chunks(sorted(ticket_ids)):
            rows = list(
                Ticket.objects.filter(pk__in=chunk, escalated_at__isnull=True)
                .select_for_update(of=("self",))
                .order_by("pk")
                .values_list("pk", "reference", "priority", "assignee_id", "team_id")
            )
            if rows:
                _escalate_rows(rows, now, reason)
                escalated += [row[0] for row in rows]
        for ticket_id in escalated:
            transaction.on_commit(
                lambda ticket_id=ticket_id: tasks.notify_escalation.apply_async(
                    args=[ticket_id], queue="default"
                )
            )
    return escalated


def _escalate_rows(rows: list[tuple], now: datetime, reason: str) -> None:
    from tickets.assignment import TeamAssigner

    ids = [row[0] for row in rows]
    Ticket.objects.filter(pk__in=ids).update(
        escalated_at=now,
        updated_at=now,
        priority=Case(
            *(When(priority=old, then=Value(new)) for old, new in ESCALATED_PRIORITY.items()),
            default=Value(Priority.URGENT),
        ),
    )
    events = []
    reassigned: dict[int, int] = {}
    usernames: dict[int, str] = {}
    if settings.SLA_REASSIGN_ON_BREACH:
        assigners: dict[int, TeamAssigner] = {}
        config_teams = routing_config().teams
        for ticket_id, _reference, _priority, assignee_id, team_id in sorted(
            rows, key=lambda row: (row[4] or 0, row[0])
        ):
            if team_id is None:
                continue
            if team_id not in assigners:
                team = config_teams.get(team_id) or Team(pk=team_id)
                assigners[team_id] = TeamAssigner(team=team, now=now)
            profile = assigners[team_id].pick()
            if profile is not None and profile.user_id != assignee_id:
                reassigned[ticket_id] = profile.user_id
                usernames[profile.user_id] = profile.user.get_username()
        for ticket_id, user_id in reassigned.items():
            Ticket.objects.filter(pk=ticket_id).update(assignee_id=user_id)
        # The history names people by username, as the other writers do (tickets.services).
        previous = {row[3] for row in rows if row[0] in reassigned and row[3]} - set(usernames)
        if previous:
            users = get_user_model()
            usernames.update(
                users.objects.filter(pk__in=previous).values_list("pk", users.USERNAME_FIELD)
            )
    for ticket_id, reference, priority, assignee_id, _team_id in rows:
        new_priority = ESCALATED_PRIORITY.get(priority, Priority.URGENT)
        events.append(
            TicketEvent(
                ticket_id=ticket_id,
                kind=TicketEvent.Kind.ESCALATED,
                field="priority",
                old_value=priority,
                new_value=new_priority,
            )
        )
        if ticket_id in reassigned:
            events.append(
                TicketEvent(
                    ticket_id=ticket_id,
                    kind=TicketEvent.Kind.ASSIGNED,
                    field="assignee",
                    old_value=usernames.get(assignee_id, ""),
                    new_value=usernames[reassigned[ticket_id]],
                )
            )
        logger.warning("ticket %s breached its %s target; escalated", reference, reason)
    TicketEvent.objects.bulk_create(events, batch_size=MARK_CHUNK)


def resolution_clock_pause(ticket: Ticket, *, now: datetime) -> None:
    """Waiting on the customer: the resolution clock stops (the caller saves the ticket)."""
    if ticket.resolution_due and ticket.resolution_paused_at is None:
        ticket.resolution_paused_at = now


def resolution_clock_resume(ticket: Ticket, *, now: datetime) -> None:
    """The customer answered: push the deadlines by the business time spent waiting."""
    if ticket.resolution_paused_at is None:
        return
    calendar = team_calendar(ticket.team)
    waited = business_time_between(ticket.resolution_paused_at, now, calendar)
    if ticket.resolution_due:
        ticket.resolution_due = add_business_time(ticket.resolution_due, waited, calendar)
    if ticket.resolution_warn_at:
        ticket.resolution_warn_at = add_business_time(ticket.resolution_warn_at, waited, calendar)
    ticket.resolution_paused_at = None


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
