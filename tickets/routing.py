"""Routing: which team and priority a new or reopened ticket gets, and who takes it.

`ticket_route` is what the Celery task runs. It takes the ticket's row lock and acts only while
`needs_routing` is set, so running it twice (a redelivered task, two workers) changes nothing more.
The SLA clocks are started by tickets.sla, the agent is picked by tickets.assignment.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agents.models import AgentProfile, Team
from tickets.assignment import agent_pick
from tickets.models import (
    ProblemType,
    RoutingRule,
    Ticket,
    TicketEvent,
    WebhookDelivery,
)
from tickets.problem_types import problem_type_facts
from tickets.sla import sla_clocks_start

logger = logging.getLogger(__name__)

SECURITY_WEBHOOK_EVENT = "account_security.reported"


@dataclass(frozen=True)
class RoutingDecision:
    team: Team | None
    priority: str
    rule: RoutingRule | None


def routing_decide(*, problem_type: str, text: str) -> RoutingDecision:
    """The first active rule matching the ticket: its team and priority (with no rule, no team
    and the problem type's default priority)."""
    for rule in RoutingRule.objects.filter(is_active=True).select_related("team"):
        if rule.matches(problem_type=problem_type, text=text):
            return RoutingDecision(rule.team, rule.priority, rule)
    return RoutingDecision(None, problem_type_facts(problem_type).default_priority, None)


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
        sla_clocks_start(ticket=ticket, now=now, first_routing=first_routing)
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
        queue = problem_type_facts(ticket.problem_type).queue
        transaction.on_commit(
            lambda: tasks.deliver_webhook.apply_async(args=[delivery.pk], queue=queue)
        )
