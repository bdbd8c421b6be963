"""Builders for agents and teams in routing and SLA tests."""

from itertools import count

from django.contrib.auth import get_user_model

from agents.models import AgentProfile, Team, TeamMembership

_numbers = count(1)


def make_agent(
    team_code: str,
    *,
    availability: str = AgentProfile.Availability.ONLINE,
    capacity: int = 20,
    is_lead: bool = False,
    email: str | None = None,
):
    number = next(_numbers)
    user = get_user_model().objects.create_user(
        username=f"agent{number}",
        email=email or f"agent{number}@support.example",
        password="a-long-test-password",
        is_staff=True,
    )
    AgentProfile.objects.create(
        user=user,
        display_name=f"Agent {number}",
        agent_code=f"A{number:04d}",
        availability=availability,
        capacity=capacity,
    )
    TeamMembership.objects.create(team=Team.objects.get(code=team_code), user=user, is_lead=is_lead)
    return user
