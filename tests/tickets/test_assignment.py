"""The agent pick: the online team member with room and the fewest open tickets."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from agents.models import AgentProfile, Team
from tests.support.factories import make_agent, make_ticket
from tickets.assignment import agent_pick
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db


def give(agent, count: int, status: str = Status.OPEN) -> None:
    for _ in range(count):
        ticket = make_ticket()
        Ticket.objects.filter(pk=ticket.pk).update(
            assignee=agent, status=status, needs_routing=False
        )


def pick(team_code: str = "payments"):
    with transaction.atomic():
        profile = agent_pick(team=Team.objects.get(code=team_code))
    return profile.user if profile else None


def test_the_least_loaded_member_with_room_is_picked():
    busy = make_agent("payments", capacity=10)
    lighter = make_agent("payments", capacity=10)
    full = make_agent("payments", capacity=1)
    give(busy, 3)
    give(lighter, 2)
    give(full, 1)

    assert pick() == lighter


def test_a_member_at_capacity_is_skipped_even_when_least_loaded():
    full = make_agent("payments", capacity=2)
    room = make_agent("payments", capacity=10)
    give(full, 2)
    give(room, 5)

    assert pick() == room


def test_only_open_tickets_count_against_capacity():
    agent = make_agent("payments", capacity=1)
    give(agent, 3, status=Status.RESOLVED)
    give(agent, 2, status=Status.CLOSED)

    assert pick() == agent
    give(agent, 1, status=Status.PENDING)
    assert pick() is None


def test_nobody_when_every_member_is_full_away_or_in_another_team():
    full = make_agent("payments", capacity=1)
    give(full, 1)
    make_agent("payments", availability=AgentProfile.Availability.AWAY)
    make_agent("payments", availability=AgentProfile.Availability.OFFLINE)
    make_agent("transactions")

    assert pick() is None


def test_an_inactive_user_is_never_picked():
    gone = make_agent("payments")
    gone.is_active = False
    gone.save()

    assert pick() is None


def test_a_tie_goes_to_the_member_idle_longest():
    recent = make_agent("payments")
    idle = make_agent("payments")
    never = make_agent("payments")
    now = timezone.now()
    AgentProfile.objects.filter(user=recent).update(last_assigned_at=now)
    AgentProfile.objects.filter(user=idle).update(last_assigned_at=now - timedelta(hours=3))

    assert pick() == never
    AgentProfile.objects.filter(user=never).update(last_assigned_at=now)
    assert pick() == idle
