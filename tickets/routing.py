"""Routing: which team and priority a new or reopened ticket gets, and who takes it.

`ticket_route` is what the Celery task runs. It takes the ticket's row lock and acts only while
`needs_routing` is set, so running it twice (a redelivered task, two workers) changes nothing more.
In a burst the task routes many waiting tickets at once (`tickets_route`).
The SLA clocks are started by tickets.sla, the agent is picked by tickets.assignment.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, OuterRef, Subquery, Value, When
from django.utils import timezone

from agents.models import AgentProfile, Team
from tickets.assignment import TeamAssigner
from tickets.models import (
    Message,
    ProblemType,
    RoutingRule,
    Ticket,
    TicketEvent,
    WebhookDelivery,
)
from tickets.problem_types import problem_type_facts
from tickets.routing_config import RoutingConfig, routing_config
from tickets.sla import sla_clocks_start

logger = logging.getLogger(__name__)

SECURITY_WEBHOOK_EVENT = "account_security.reported"


@dataclass(frozen=True)
class RoutingDecision:
    team: Team | None
    priority: str
    rule: RoutingRule | None


# A routing task takes its own ticket and up to this many others waiting (account-security
# first), so a burst is routed in a few transactions instead of one per ticket.
ROUTING_BATCH_SIZE = 200
ROUTED_FIELDS = (
    "team",
    "priority",
    "assignee",
    "needs_routing",
    "routed_at",
    "updated_at",
    "first_response_due",
    "first_response_warn_at",
    "first_response_at_risk_at",
    "first_response_breached_at",
    "resolution_due",
    "resolution_warn_at",
    "resolution_paused_at",
    "resolution_at_risk_at",
    "resolution_breached_at",
)


def routing_decide(
    *, problem_type: str, text: str, config: RoutingConfig | None = None
) -> RoutingDecision:
    """The first active rule matching the ticket: its team and priority (with no rule, no team
    and the problem type's default priority). Rules come from this process's snapshot."""
    for rule in (config or routing_config()).rules:
        if rule.matches(problem_type=problem_type, text=text):
            return RoutingDecision(rule.team, rule.priority, rule)
    return RoutingDecision(None, problem_type_facts(problem_type).default_priority, None)


def ticket_route(*, ticket_id: int, now: datetime | None = None) -> Ticket | None:
    """Route a ticket that needs it: team, priority, SLA clocks, assignee; None if done already."""
    routed = tickets_route(ticket_id=ticket_id, limit=1, now=now)
    return routed[0] if routed else None


def tickets_route(
    *, ticket_id: int | None = None, limit: int = ROUTING_BATCH_SIZE, now: datetime | None = None
) -> list[Ticket]:
    """Route `ticket_id` (when it still needs it) and up to `limit` tickets in all that wait,
    account-security first, then oldest first, in one transaction.

    Its own ticket is locked waiting (so it is never left behind), the others with SKIP LOCKED:
    two workers draining a burst take disjoint sets, and what one holds the other leaves.
    Assignment takes each team's lock in team order, so least-loaded and capacity stay exact.
    """
    # In a burst most tasks find their ticket routed by another's batch, and nothing waiting:
    # one read of the partial index (tickets_waiting_idx), no transaction, no lock.
    if not Ticket.objects.filter(needs_routing=True).exists():
        return []
    now = now or timezone.now()
    with transaction.atomic():
        tickets = []
        if ticket_id is not None:
            tickets = list(_waiting().select_for_update(of=("self",)).filter(pk=ticket_id))
        room = limit - (1 if ticket_id is not None else 0)
        if room > 0:
            others = (
                _waiting()
                .exclude(pk=ticket_id)
                .select_for_update(of=("self",), skip_locked=True)
                .order_by(_security_first(), "id")
            )
            tickets += list(others[:room])
        if not tickets:
            return []
        _route_locked(tickets, now)
    for ticket in tickets:
        logger.info(
            "ticket %s routed to %s (%s), assignee %s",
            ticket.reference,
            ticket.team.code if ticket.team else "-",
            ticket.priority,
            ticket.assignee_id or "queue",
        )
    return tickets


def tickets_route_waiting(*, now: datetime | None = None) -> int:
    """Route every ticket still waiting: the periodic sweep for tickets whose own routing task
    never ran (the broker refused it while the ticket was saved). Returns how many it routed."""
    routed = 0
    while batch := tickets_route(now=now):
        routed += len(batch)
        if len(batch) < ROUTING_BATCH_SIZE:
            break
    return routed


def _waiting():
    first_message = Message.objects.filter(ticket=OuterRef("pk")).order_by("id").values("body")
    return Ticket.objects.filter(needs_routing=True).annotate(
        first_message=Subquery(first_message[:1])
    )


def _security_first() -> Case:
    return Case(When(problem_type=ProblemType.ACCOUNT_SECURITY, then=Value(0)), default=Value(1))


def _route_locked(tickets: list[Ticket], now: datetime) -> None:
    # One snapshot for the batch: one look at the version key in the cache.
    config = routing_config()
    decisions = []
    previous_assignees = {ticket.pk: ticket.assignee_id for ticket in tickets if ticket.routed_at}
    for ticket in tickets:
        decision = routing_decide(
            problem_type=ticket.problem_type,
            text=f"{ticket.subject}\n{ticket.first_message or ''}",
            config=config,
        )
        first_routing = ticket.routed_at is None
        decisions.append((decision, ticket.priority, first_routing))
        ticket.team = decision.team
        ticket.priority = decision.priority
        sla_clocks_start(ticket=ticket, now=now, first_routing=first_routing, config=config)
        ticket.assignee = None
        ticket.needs_routing = False
        ticket.routed_at = now
        ticket.updated_at = now
    kept = _kept_assignees(tickets, previous_assignees)
    teams = sorted({ticket.team_id for ticket in tickets if ticket.team_id is not None})
    picked: set[int] = set()
    for team_id in teams:
        assigner = TeamAssigner(team=config.teams.get(team_id) or Team(pk=team_id), now=now)
        for ticket in tickets:
            if ticket.pk in kept:
                ticket.assignee_id = kept[ticket.pk]
            elif ticket.team_id == team_id:
                profile = assigner.pick()
                ticket.assignee = profile.user if profile else None  # selected with the pick
        picked |= assigner.picked
    _tickets_save(tickets)
    if picked:
        AgentProfile.objects.filter(pk__in=picked).update(last_assigned_at=now)
    events = []
    for ticket, (decision, old_priority, first_routing) in zip(tickets, decisions, strict=True):
        events += _routing_events(ticket, decision, old_priority)
        if first_routing and ticket.problem_type == ProblemType.ACCOUNT_SECURITY:
            _queue_security_webhook(ticket)
    TicketEvent.objects.bulk_create(events)


def _kept_assignees(tickets: list[Ticket], previous: dict[int, int | None]) -> dict[int, int]:
    """A reopened ticket stays with its agent while they are available: active, online and on
    the team it is routed to (one query for the batch)."""
    wanted = {(previous[t.pk], t.team_id) for t in tickets if previous.get(t.pk) and t.team_id}
    if not wanted:
        return {}
    available = set(
        AgentProfile.objects.filter(
            user_id__in={user_id for user_id, _team in wanted},
            availability=AgentProfile.Availability.ONLINE,
            user__is_active=True,
            user__team_memberships__team_id__in={team_id for _user, team_id in wanted},
        ).values_list("user_id", "user__team_memberships__team_id")
    )
    return {
        ticket.pk: previous[ticket.pk]
        for ticket in tickets
        if (previous.get(ticket.pk), ticket.team_id) in available
    }


def _tickets_save(tickets: list[Ticket]) -> None:
    """Write the routed fields of many tickets in one statement.

    On PostgreSQL an UPDATE ... FROM (VALUES ...): `bulk_update` builds a CASE of every ticket
    for every field, which cost 70% of a batch's time in the burst benchmark."""
    if connection.vendor != "postgresql":
        Ticket.objects.bulk_update(tickets, ROUTED_FIELDS)
        return
    fields = [Ticket._meta.get_field(name) for name in ROUTED_FIELDS]
    quote = connection.ops.quote_name
    pk = Ticket._meta.pk
    columns = [pk.column] + [field.column for field in fields]
    casts = [pk.db_type(connection)] + [field.db_type(connection) for field in fields]
    row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    params = []
    for ticket in tickets:
        params.append(ticket.pk)
        params += [
            field.get_db_prep_save(getattr(ticket, field.attname), connection) for field in fields
        ]
    table = quote(Ticket._meta.db_table)
    assignments = ", ".join(f"{quote(column)} = v.{quote(column)}" for column in columns[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} "  # noqa: S608 - names from the model
            f"FROM (VALUES {', '.join([row] * len(tickets))}) "
            f"AS v({', '.join(quote(column) for column in columns)}) "
            f"WHERE t.{quote(pk.column)} = v.{quote(pk.column)}",
            params,
        )


def _routing_events(
    ticket: Ticket, decision: RoutingDecision, old_priority: str
) -> list[TicketEvent]:
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
    return events


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
