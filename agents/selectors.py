"""Reads of the agents: the one name and code a customer sees, and who is there to chat."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import AgentProfile, ConsoleConnection, TeamMembership
from agents.roles import desk_role


def agent_identity(user: AbstractBaseUser) -> tuple[str, str]:
    """The name and official agent code a customer sees (the profile is cached on the user);
    an account without a profile goes by its own name and has no code ("-")."""
    try:
        profile = user.agent_profile
    except AgentProfile.DoesNotExist:
        return user.get_short_name() or user.get_username(), "-"
    return profile.display_name, profile.agent_code


def agent_signature(user: AbstractBaseUser | None) -> str:
    """How an agent signs what a customer reads: name and agent code, in the active language
    (/security/ tells customers to check the code); the desk's name when nobody signed."""
    if user is None:
        return _("Wallet Support")
    name, code = agent_identity(user)
    if code == "-":
        return name
    return _("%(name)s (agent code %(code)s)") % {"name": name, "code": code}


def console_timeout() -> int:
    """Seconds after its last heartbeat that a console stops counting as connected."""
    return settings.CHAT_CONSOLE_TIMEOUT_SECONDS


def is_chat_agent(user: AbstractBaseUser) -> bool:
    """May talk to customers: active staff with an agent profile (the code customers check) who
    are on a team, or admins with a profile."""
    role = desk_role(user)
    if not (role.is_admin or role.team_ids):
        return False
    try:
        return user.agent_profile is not None
    except AgentProfile.DoesNotExist:
        return False


def chat_agents() -> QuerySet[AgentProfile]:
    """The profiles of everyone is_chat_agent holds true for, in one query."""
    on_a_team = Exists(TeamMembership.objects.filter(user_id=OuterRef("user_id")))
    return AgentProfile.objects.filter(
        Q(user__is_superuser=True) | on_a_team, user__is_active=True, user__is_staff=True
    )


def chat_agents_available() -> QuerySet[AgentProfile]:
    """Chat agents who are online with a console connected and beating right now."""
    alive_since = timezone.now() - timedelta(seconds=console_timeout())
    console = Exists(
        ConsoleConnection.objects.filter(user_id=OuterRef("user_id"), seen_at__gte=alive_since)
    )
    return chat_agents().filter(console, availability=AgentProfile.Availability.ONLINE)


def verified_agent(code: str) -> AgentProfile | None:
    """The agent an official agent code belongs to, for /verify/: only current chat agents."""
    return chat_agents().filter(agent_code__iexact=code).only("display_name").first()
