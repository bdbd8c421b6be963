"""Reads of the agents: the one name and code a customer sees."""

from django.contrib.auth.models import AbstractBaseUser

from agents.models import AgentProfile


def agent_identity(user: AbstractBaseUser) -> tuple[str, str]:
    """The name and official agent code a customer sees (the profile is cached on the user);
    an account without a profile goes by its own name and has no code ("-")."""
    try:
        profile = user.agent_profile
    except AgentProfile.DoesNotExist:
        return user.get_short_name() or user.get_username(), "-"
    return profile.display_name, profile.agent_code
