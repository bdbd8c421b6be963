"""Writes of the agents' own state."""

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from agents.error_codes import AgentErrorCode
from agents.models import AgentProfile
from common.errors import DeskError


def agent_set_presence(*, agent: AbstractBaseUser, availability: str) -> AgentProfile:
    """Set the agent's availability (creating their profile on first use)."""
    if availability not in AgentProfile.Availability.values:
        raise DeskError(_("Presence is online, away or offline."), code=AgentErrorCode.INVALID)
    profile, _created = AgentProfile.objects.get_or_create(
        user=agent,
        defaults={
            "display_name": agent.get_short_name() or agent.get_username(),
            "agent_code": f"WS-U{agent.pk}",
        },
    )
    profile.availability = availability
    profile.save(update_fields=["availability"])
    return profile
