"""SLA clocks: pausing while waiting on the customer, and the periodic check that marks tickets
at risk (80% of a target), breached, and escalates each ticket once.

Every mark is a conditional UPDATE (`... WHERE <mark> IS NULL`): of two beat processes or a
redelivered task checking the same ticket, exactly one wins and writes the event, so a breach is
never missed and never escalated twice.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.business_hours import add_business_time, business_time_between
from tickets.models import OPEN_STATUSES, SOLVED_STATUSES, Priority, Status, Ticket, TicketEvent
from tickets.routing import agent_pick, team_calendar

logger = logging.getLogger(__name__)

ESCALATED_PRIORITY = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}
RESOLUTION_RUNNING = (Status.NEW, Status.OPEN)
FIRST_RESPONSE_RUNNING = OPEN_STATUSES


@dataclass
class SlaReport:
    at_risk: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)


# (clock, its running statuses, the field that stops it, warn field, due field, marks)
CLOCKS = (
    (
        "first_response",
        FIRST_RESPONSE_RUNNING,
        {"first_responded_at__isnull": True},
        "first_response_warn_at",
        "first_response_due",
        "first_response_at_risk_at",
        "first_response_breached_at",
    ),
    (
        "resolution",
        RESOLUTION_RUNNING,
        {"resolution_paused_at__isnull": True},
        "resolution_warn_at",
        "resolution_due",
        "resolution_at_risk_at",
        "resolution_breached_at",
    ),
)


def sla_check(*, now: datetime | None = None) -> SlaReport:
    """Mark tickets at risk and breached, and escalate breaches; safe to run concurrently."""
    now = now or timezone.now()
    report = SlaReport()
    for clock, statuses, running, warn_field, due_field, risk_mark, breach_mark in CLOCKS:
        running_tickets = Ticket.objects.filter(status__in=statuses, **running)
        at_risk_ids = running_tickets.filter(
            **{f"{warn_field}__lte": now, f"{risk_mark}__isnull": True}
        ).values_list("pk", flat=True)
        for ticket_id in at_risk_ids:
            if _mark(ticket_id, risk_mark, now, TicketEvent.Kind.SLA_AT_RISK, clock):
                report.at_risk.append(ticket_id)
        breached_ids = running_tickets.filter(
            **{f"{due_field}__lte": now, f"{breach_mark}__isnull": True}
        ).values_list("pk", flat=True)
        for ticket_id in breached_ids:
            if _mark(ticket_id, breach_mark, now, TicketEvent.Kind.SLA_BREACHED, clock):
                report.breached.append(ticket_id)
                if ticket_escalate(ticket_id=ticket_id, now=now, reason=clock):
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
