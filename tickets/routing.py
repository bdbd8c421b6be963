"""Routing: which team, priority and agent a new or reopened ticket goes to, and its SLA clocks.

`ticket_route` is what the Celery task runs. It takes the ticket's row lock and acts only while
`needs_routing` is set, so running it twice (a redelivered task, two workers) changes nothing more.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from agents.models import AgentProfile, Team
from common.business_hours import BusinessCalendar, add_business_time
from tickets.models import (
    OPEN_STATUSES,
    Priority,
    ProblemType,
    RoutingRule,
    SLAPolicy,
    Ticket,
    TicketEvent,
    WebhookDelivery,
)

logger = logging.getLogger(__name__)

AT_RISK_FRACTION = 0.8
# Used when no SLAPolicy row covers a ticket: minutes of business time.
FALLBACK_TARGETS = {
    Priority.URGENT: (30, 8 * 60),
    Priority.HIGH: (2 * 60, 2 * 8 * 60),
    Priority.NORMAL: (4 * 60, 3 * 8 * 60),
    Priority.LOW: (8 * 60, 5 * 8 * 60),
}
QUEUE_FOR_PROBLEM = {
    ProblemType.ACCOUNT_SECURITY: "security",
    ProblemType.ACCOUNT_FROZEN: "security",
    ProblemType.ABNORMAL_TRANSACTION: "transactions",
    ProblemType.TOPUP_WITHDRAWAL: "payments",
    ProblemType.OTHER: "default",
}
SECURITY_WEBHOOK_EVENT = "account_security.reported"


def queue_for(problem_type: str) -> str:
    """The Celery queue of a problem type, so each can have workers of its own."""
    return QUEUE_FOR_PROBLEM.get(problem_type, "default")


@dataclass(frozen=True)
class RoutingDecision:
    team: Team | None
    priority: str
    rule: RoutingRule | None


def routing_decide(*, problem_type: str, text: str) -> RoutingDecision:
    """The first active rule matching the ticket: its team and priority."""
    for rule in RoutingRule.objects.filter(is_active=True).select_related("team"):
        if rule.matches(problem_type=problem_type, text=text):
            return RoutingDecision(rule.team, rule.priority, rule)
    return RoutingDecision(None, Priority.NORMAL, None)


def team_calendar(team: Team | None) -> BusinessCalendar:
    """The team's business hours; a ticket without a team is counted around the clock."""
    if team is None:
        return BusinessCalendar.from_config(time_zone=settings.TIME_ZONE, hours="always")
    return BusinessCalendar.from_config(
        time_zone=team.time_zone,
        hours=team.working_hours or "always",
        holidays=team.holidays.values_list("date", flat=True),
    )


def sla_targets(*, problem_type: str, priority: str) -> tuple[timedelta, timedelta]:
    """First-response and resolution targets of a problem type and priority."""
    policy = SLAPolicy.objects.filter(problem_type=problem_type, priority=priority).first()
    if policy is not None:
        minutes = (policy.first_response_minutes, policy.resolution_minutes)
    else:
        minutes = FALLBACK_TARGETS.get(priority, FALLBACK_TARGETS[Priority.NORMAL])
    return timedelta(minutes=minutes[0]), timedelta(minutes=minutes[1])


def agent_pick(*, team: Team) -> AgentProfile | None:
    """The online team member with room and the fewest open tickets (longest idle breaks ties).

    Counts are read without locks, then the chosen agent's row is locked and recounted, so two
    routings at once cannot push an agent past capacity.
    """
    candidates = (
        AgentProfile.objects.filter(
            availability=AgentProfile.Availability.ONLINE,
            user__is_active=True,
            user__team_memberships__team=team,
        )
        .annotate(
            open_tickets=Count(
                "user__assigned_tickets",
                filter=Q(user__assigned_tickets__status__in=OPEN_STATUSES),
            )
        )
        .order_by("open_tickets", F("last_assigned_at").asc(nulls_first=True), "id")
    )
    for candidate in candidates:
        if candidate.open_tickets >= candidate.capacity:
            continue
        profile = AgentProfile.objects.select_for_update().get(pk=candidate.pk)
        open_now = Ticket.objects.filter(
            assignee_id=profile.user_id, status__in=OPEN_STATUSES
        ).count()
        if open_now < profile.capacity:
            return profile
    return None


def ticket_route(*, ticket_id: int, now: datetime | None = None) -> Ticket | None:
    """Route a ticket that needs it: team, priority, SLA clocks, assignee; None if done already."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id, needs_routing=True).first()
        if ticket is None:
            return None
        first_message = ticket.messages.order_by("id").values_list("body", flat=True).first()
        decision = routing_decide(
            problem_type=ticket.problem_type, text=f"{ticket.subject}\n{first_message or ''}"
        )
        first_routing = ticket.routed_at is None
        old_priority = ticket.priority
        ticket.team = decision.team
        ticket.priority = decision.priority
        _start_clocks(ticket, now=now, first_routing=first_routing)
        profile = agent_pick(team=decision.team) if decision.team else None
        ticket.assignee = profile.user if profile else None
        ticket.needs_routing = False
        ticket.routed_at = now
        ticket.save()
        if profile is not None:
            AgentProfile.objects.filter(pk=profile.pk).update(last_assigned_at=now)
        _record_routing(ticket, decision, old_priority)
        if first_routing and ticket.problem_type == ProblemType.ACCOUNT_SECURITY:
            _queue_security_webhook(ticket)
    logger.info(
        "ticket %s routed to %s (%s), assignee %s",
        ticket.reference,
        decision.team.code if decision.team else "-",
        ticket.priority,
        ticket.assignee_id or "queue",
    )
    return ticket


def _start_clocks(ticket: Ticket, *, now: datetime, first_routing: bool) -> None:
    """Due times in the team's business hours, counted from submission (or from the reopening)."""
    calendar = team_calendar(ticket.team)
    first_target, resolution_target = sla_targets(
        problem_type=ticket.problem_type, priority=ticket.priority
    )
    start = ticket.created_at if first_routing else now
    if ticket.first_responded_at is None:
        ticket.first_response_due = add_business_time(start, first_target, calendar)
        ticket.first_response_warn_at = add_business_time(
            start, first_target * AT_RISK_FRACTION, calendar
        )
        ticket.first_response_at_risk_at = None
        ticket.first_response_breached_at = None
    ticket.resolution_due = add_business_time(start, resolution_target, calendar)
    ticket.resolution_warn_at = add_business_time(
        start, resolution_target * AT_RISK_FRACTION, calendar
    )
    ticket.resolution_paused_at = None
    ticket.resolution_at_risk_at = None
    ticket.resolution_breached_at = None


def _record_routing(ticket: Ticket, decision: RoutingDecision, old_priority: str) -> None:
    rule = decision.rule.name if decision.rule else ""
    events = [
        TicketEvent(
            ticket=ticket,
            kind=TicketEvent.Kind.ROUTED,
            field="team",
            old_value=rule[:200],
            new_value=decision.team.code if decision.team else "",
        ),
        TicketEvent(
            ticket=ticket,
            kind=TicketEvent.Kind.ASSIGNED,
            field="assignee",
            # The username, as a hand-made assignment writes it (tickets.services).
            new_value=str(ticket.assignee or ""),
        ),
    ]
    if old_priority != ticket.priority:
        events.append(
            TicketEvent(
                ticket=ticket,
                kind=TicketEvent.Kind.PRIORITY,
                field="priority",
                old_value=old_priority,
                new_value=ticket.priority,
            )
        )
    TicketEvent.objects.bulk_create(events)


def _queue_security_webhook(ticket: Ticket) -> None:
    """Tell the wallet's backend at once, when the operator configured it; at most once a ticket."""
    if not settings.SECURITY_WEBHOOK_URL:
        return
    from tickets import tasks

    delivery, created = WebhookDelivery.objects.get_or_create(
        ticket=ticket,
        event=SECURITY_WEBHOOK_EVENT,
        defaults={
            "payload": {
                "event": SECURITY_WEBHOOK_EVENT,
                "ticket": ticket.reference,
                "wallet_account_id": ticket.wallet_account_id,
                "customer_email": ticket.customer_email,
                "reported_at": ticket.created_at.isoformat(),
                "evidence": ticket.evidence,
            }
        },
    )
    if created:
        transaction.on_commit(
            lambda: tasks.deliver_webhook.apply_async(args=[delivery.pk], queue="security")
        )
