"""The SLA clock: its targets, when its clocks start, pausing while the ticket waits on the
customer, the periodic check that marks tickets at risk (80% of a target) and breached and
escalates each ticket once, and the clock a ticket shows.

A ticket has two clocks, both counted in its team's business hours (`team_calendar`): the first
response and the resolution. `CLOCKS` says which statuses run each, what stops it, and the fields
that hold its deadlines and marks; the check, the agents' queue and the dashboard read them there.

Every mark is a conditional UPDATE (`... WHERE <mark> IS NULL`): of two beat processes or a
redelivered task checking the same ticket, exactly one wins and writes the event, so a breach is
never missed and never escalated twice.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import Team
from common.business_hours import BusinessCalendar, add_business_time, business_time_between
from tickets.assignment import agent_pick
from tickets.models import (
    OPEN_STATUSES,
    SOLVED_STATUSES,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.routing_config import calendar_of, routing_config

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


def sla_targets(*, problem_type: str, priority: str) -> SlaTargets:
    """First-response and resolution targets of a problem type and priority, in business time."""
    minutes = routing_config().policies.get((problem_type, priority)) or FALLBACK_TARGETS.get(
        priority, FALLBACK_TARGETS[Priority.NORMAL]
    )
    return SlaTargets(timedelta(minutes=minutes[0]), timedelta(minutes=minutes[1]))


def team_calendar(team: Team | None) -> BusinessCalendar:
    """The team's business hours; a ticket without a team is counted around the clock.

    Read from this process's snapshot (tickets.routing_config), refreshed when an editor saves."""
    if team is None:
        return calendar_of(None)
    return routing_config().calendars.get(team.pk) or calendar_of(team)


def sla_clocks_start(*, ticket: Ticket, now: datetime, first_routing: bool) -> None:
    """Due times in the team's business hours, counted from submission (or from the reopening).

    The first-response clock starts only while nobody has answered yet; the caller saves.
    """
    calendar = team_calendar(ticket.team)
    targets = sla_targets(problem_type=ticket.problem_type, priority=ticket.priority)
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


def sla_check(*, now: datetime | None = None) -> SlaReport:
    """Mark tickets at risk and breached, and escalate breaches; safe to run concurrently."""
    now = now or timezone.now()
    report = SlaReport()
    for clock in CLOCKS:
        running_tickets = Ticket.objects.filter(clock.running())
        at_risk_ids = running_tickets.filter(
            **{f"{clock.warn_field}__lte": now, f"{clock.at_risk_mark}__isnull": True}
        ).values_list("pk", flat=True)
        for ticket_id in at_risk_ids:
            if _mark(ticket_id, clock.at_risk_mark, now, TicketEvent.Kind.SLA_AT_RISK, clock.name):
                report.at_risk.append(ticket_id)
        breached_ids = running_tickets.filter(
            **{f"{clock.due_field}__lte": now, f"{clock.breached_mark}__isnull": True}
        ).values_list("pk", flat=True)
        for ticket_id in breached_ids:
            if _mark(
                ticket_id, clock.breached_mark, now, TicketEvent.Kind.SLA_BREACHED, clock.name
            ):
                report.breached.append(ticket_id)
                if ticket_escalate(ticket_id=ticket_id, now=now, reason=clock.name):
                    report.escalated.append(ticket_id)
    return report


def _mark(ticket_id: int, mark: str, now: datetime, kind: str, clock: str) -> bool:
    with transaction.atomic():
        won = Ticket.objects.filter(pk=ticket_id, **{f"{mark}__isnull": True}).update(**{mark: now})
        if won:
            TicketEvent.objects.create(ticket_id=ticket_id, kind=kind, field=clock)
    return bool(won)


def ticket_escalate(*, ticket_id: int, now: datetime, reason: str) -> bool:
    """Raise the priority, tell the team lead, optionally reassign: once per ticket, ever."""
    from tickets import tasks

    with transaction.atomic():
        won = Ticket.objects.filter(pk=ticket_id, escalated_at__isnull=True).update(
            escalated_at=now
        )
        if not won:
            return False
        ticket = (
            Ticket.objects.select_for_update(of=("self",)).select_related("team").get(pk=ticket_id)
        )
        old_priority = ticket.priority
        ticket.priority = ESCALATED_PRIORITY.get(ticket.priority, Priority.URGENT)
        old_assignee = ticket.assignee_id
        if settings.SLA_REASSIGN_ON_BREACH and ticket.team is not None:
            profile = agent_pick(team=ticket.team)
            if profile is not None and profile.user_id != old_assignee:
                ticket.assignee_id = profile.user_id
        ticket.save(update_fields=["priority", "assignee", "updated_at"])
        TicketEvent.objects.create(
            ticket=ticket,
            kind=TicketEvent.Kind.ESCALATED,
            field="priority",
            old_value=old_priority,
            new_value=ticket.priority,
        )
        if ticket.assignee_id != old_assignee:
            TicketEvent.objects.create(
                ticket=ticket,
                kind=TicketEvent.Kind.ASSIGNED,
                field="assignee",
                old_value=str(old_assignee or ""),
                new_value=str(ticket.assignee_id or ""),
            )
        transaction.on_commit(
            lambda: tasks.notify_escalation.apply_async(args=[ticket_id], queue="default")
        )
    logger.warning("ticket %s breached its %s target; escalated", ticket.reference, reason)
    return True


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
