"""bench.fill_tickets: a small fill into the test database keeps the desk's invariants."""

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Count, Min

from agents.models import AgentProfile, Team, TeamMembership
from bench.fill_tickets import (
    AGENT_USERNAME_PREFIX,
    ESCALATED_PRIORITY,
    BusinessClock,
    agents_ensure,
    tickets_fill,
)
from common.business_hours import add_business_time
from tickets.models import REFERENCE_ALPHABET, AuthorKind, Message, Status, Ticket
from tickets.routing import routing_decide
from tickets.sla import sla_targets, team_calendar

NOW = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
OPEN = (Status.NEW, Status.OPEN, Status.PENDING)
SOLVED = (Status.RESOLVED, Status.CLOSED)
CHECK_INTERVAL = timedelta(minutes=1)
REFERENCE = re.compile(rf"WS-[{REFERENCE_ALPHABET}]{{8}}")


@pytest.fixture
def filled(postgres):
    """300 tickets over 60 days (three batches), so the open backlog is not empty."""
    return tickets_fill(tickets=300, seed=7, now=NOW, history_days=60, batch_size=120)


def thread(ticket: Ticket) -> list[Message]:
    return list(ticket.messages.order_by("id"))


def test_fill_tickets_counts_and_unique_references(filled):
    tickets = list(Ticket.objects.annotate(messages_count=Count("messages")))

    assert filled.tickets_added == filled.tickets_total == len(tickets) == 300
    assert filled.messages_added == Message.objects.count()
    assert all(2 <= ticket.messages_count <= 4 for ticket in tickets)
    references = [ticket.reference for ticket in tickets]
    assert len(set(references)) == 300
    assert all(REFERENCE.fullmatch(reference) for reference in references)
    assert len({ticket.access_key for ticket in tickets}) == 300


def test_fill_tickets_rows_pass_model_validation(filled):
    for ticket in Ticket.objects.all():
        ticket.full_clean()  # choices, emails, hashes per network, rating range, uniqueness
    for message in Message.objects.all()[:300]:
        message.full_clean()


def test_fill_tickets_threads_open_with_the_customer_in_time_order(filled):
    for ticket in Ticket.objects.all():
        messages = thread(ticket)
        first = messages[0]
        assert first.created_at == ticket.created_at
        assert not first.is_internal
        # An agent files phone and social-media tickets for the customer (the admin's form).
        expected = AuthorKind.AGENT if ticket.channel in ("phone", "social") else "customer"
        assert first.author_kind == expected
        times = [message.created_at for message in messages]
        assert times == sorted(times)
        assert times[-1] <= NOW


def test_fill_tickets_routes_as_the_routing_rules_do(filled):
    for ticket in Ticket.objects.select_related("team"):
        decision = routing_decide(
            problem_type=ticket.problem_type, text=f"{ticket.subject}\n{thread(ticket)[0].body}"
        )
        assert ticket.team == decision.team
        escalated = ESCALATED_PRIORITY[decision.priority]
        assert ticket.priority == (escalated if ticket.escalated_at else decision.priority)
        assert not ticket.needs_routing
        assert ticket.routed_at > ticket.created_at


def test_fill_tickets_open_tickets_have_a_team_and_assignees_belong_to_it(filled):
    open_tickets = Ticket.objects.filter(status__in=OPEN)
    assert open_tickets.exists()
    assert Ticket.objects.filter(status__in=SOLVED).count() > open_tickets.count()
    assert not open_tickets.filter(team__isnull=True).exists()
    members = set(TeamMembership.objects.values_list("team_id", "user_id"))
    for team_id, assignee_id in Ticket.objects.exclude(assignee__isnull=True).values_list(
        "team_id", "assignee_id"
    ):
        assert (team_id, assignee_id) in members
    assert not Ticket.objects.filter(status__in=SOLVED, assignee__isnull=True).exists()


def test_fill_tickets_sla_clocks_follow_business_hours(filled):
    for ticket in Ticket.objects.select_related("team"):
        # The clocks start with the routed priority; an escalation raises it afterwards.
        priority = routing_decide(
            problem_type=ticket.problem_type, text=f"{ticket.subject}\n{thread(ticket)[0].body}"
        ).priority
        first_target, resolution_target = sla_targets(
            problem_type=ticket.problem_type, priority=priority
        )
        calendar = team_calendar(ticket.team)
        created = ticket.created_at
        assert ticket.first_response_due == add_business_time(created, first_target, calendar)
        assert ticket.first_response_warn_at == add_business_time(
            created, first_target * 0.8, calendar
        )
        assert ticket.resolution_due == add_business_time(created, resolution_target, calendar)
        assert ticket.resolution_warn_at == add_business_time(
            created, resolution_target * 0.8, calendar
        )


def _assert_mark(mark, threshold, stop) -> None:
    """A minutely check marks a running clock once it passes the threshold, never otherwise."""
    if mark is None:
        assert threshold + CHECK_INTERVAL >= stop
    else:
        assert threshold < mark <= threshold + CHECK_INTERVAL
        assert mark < stop


def test_fill_tickets_sla_marks_match_the_clocks(filled):
    tickets = list(Ticket.objects.all())
    for ticket in tickets:
        first_stop = ticket.first_responded_at or NOW
        _assert_mark(ticket.first_response_at_risk_at, ticket.first_response_warn_at, first_stop)
        _assert_mark(ticket.first_response_breached_at, ticket.first_response_due, first_stop)
        resolution_stop = min(
            moment
            for moment in (ticket.resolved_at, ticket.resolution_paused_at, NOW)
            if moment is not None
        )
        _assert_mark(ticket.resolution_at_risk_at, ticket.resolution_warn_at, resolution_stop)
        _assert_mark(ticket.resolution_breached_at, ticket.resolution_due, resolution_stop)
        breaches = [
            mark
            for mark in (ticket.first_response_breached_at, ticket.resolution_breached_at)
            if mark is not None
        ]
        assert ticket.escalated_at == (min(breaches) if breaches else None)
    assert any(ticket.first_response_breached_at for ticket in tickets)
    assert any(ticket.first_response_at_risk_at for ticket in tickets)


def test_fill_tickets_status_matches_the_thread(filled):
    for ticket in Ticket.objects.all():
        messages = thread(ticket)
        answers = [
            message
            for message in messages[1:]
            if message.author_kind == AuthorKind.AGENT and not message.is_internal
        ]
        if ticket.status == Status.NEW:
            assert ticket.first_responded_at is None
            assert not answers
        else:
            assert ticket.first_responded_at == answers[0].created_at
        assert (ticket.resolved_at is not None) == (ticket.status in SOLVED)
        assert (ticket.closed_at is not None) == (ticket.status == Status.CLOSED)
        if ticket.status == Status.PENDING:
            assert ticket.resolution_paused_at == answers[-1].created_at
        else:
            assert ticket.resolution_paused_at is None
        if ticket.satisfaction_rating is not None:
            assert ticket.status in SOLVED
        assert ticket.updated_at >= messages[-1].created_at


def test_fill_tickets_recent_tickets_are_denser(filled):
    middle = NOW - timedelta(days=30)
    recent = Ticket.objects.filter(created_at__gte=middle).count()

    assert recent > 300 - recent


def test_fill_tickets_agents_spread_over_the_teams_with_leads(filled):
    agents = AgentProfile.objects.filter(user__username__startswith=AGENT_USERNAME_PREFIX)
    assert agents.count() == 50
    assert not agents.filter(user__team_memberships__isnull=True).exists()
    for team in Team.objects.all():
        assert team.memberships.filter(is_lead=True).exists(), team.code
        assert team.memberships.count() >= 5

    agents_ensure()

    assert AgentProfile.objects.count() == 50


def test_fill_tickets_tops_up_and_resets(postgres):
    first = tickets_fill(tickets=100, seed=3, now=NOW, history_days=30)
    again = tickets_fill(tickets=100, seed=3, now=NOW, history_days=30)
    topped = tickets_fill(tickets=150, seed=3, now=NOW, history_days=30)

    assert (first.tickets_added, again.tickets_added, topped.tickets_added) == (100, 0, 50)
    assert Ticket.objects.values("reference").distinct().count() == 150
    assert Ticket.objects.exclude(submission_key=None).values(
        "submission_key"
    ).distinct().count() == (Ticket.objects.exclude(submission_key=None).count())

    reset = tickets_fill(tickets=40, reset=True, seed=3, now=NOW, history_days=30)

    assert reset.tickets_total == Ticket.objects.count() == 40
    assert Message.objects.count() == reset.messages_added
    assert Ticket.objects.aggregate(first=Min("id"))["first"] == 1


def test_business_clock_matches_add_business_time(db):
    rng = random.Random(5)
    first, last = NOW - timedelta(days=40), NOW + timedelta(days=60)
    for team in [*Team.objects.all(), None]:
        calendar = team_calendar(team)
        clock = BusinessClock(calendar, first=first, last=last)
        for _ in range(200):
            start = NOW - timedelta(
                seconds=rng.randrange(30 * 86400), microseconds=rng.randrange(10**6)
            )
            duration = timedelta(minutes=rng.choice((0, 15, 60, 240, 540, 1620, 2700)))
            expected = add_business_time(start, duration, calendar)
            epoch = datetime(1970, 1, 1, tzinfo=UTC)
            start_us = (start - epoch) // timedelta(microseconds=1)
            got = epoch + timedelta(
                microseconds=clock.add(start_us, duration // timedelta(microseconds=1))
            )
            assert got == expected, (team, start, duration)
