"""Who is who on the desk. Roles come from the desk's own data, not from Django permissions:
admins (superusers) see every ticket; an agent (a staff member with an agent profile or a team)
sees the tickets of their teams and those assigned to them; a team lead may also reassign their
teams' tickets."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from agents.models import AgentProfile, TeamMembership


@dataclass(frozen=True)
class DeskRole:
    is_admin: bool
    team_ids: frozenset[int]
    lead_team_ids: frozenset[int]
    is_agent: bool

    def can_reassign_team(self, team_id: int | None) -> bool:
        return self.is_admin or (team_id is not None and team_id in self.lead_team_ids)


def desk_role(user: AbstractBaseUser, *, fresh: bool = False) -> DeskRole:
    """The user's role on the desk, computed once per user object (one query); `fresh` reads it
    again (a socket's user object lives as long as the socket)."""
    cached = None if fresh else getattr(user, "_desk_role", None)
    if cached is not None:
        return cached
    if not (user.is_authenticated and user.is_active and user.is_staff):
        role = DeskRole(False, frozenset(), frozenset(), False)
    else:
        memberships = list(
            TeamMembership.objects.filter(user=user).values_list("team_id", "is_lead")
        )
        team_ids = frozenset(team_id for team_id, _lead in memberships)
        lead_ids = frozenset(team_id for team_id, lead in memberships if lead)
        is_agent = bool(team_ids) or user.is_superuser or _has_profile(user)
        role = DeskRole(user.is_superuser, team_ids, lead_ids, is_agent)
    user._desk_role = role
    return role


def _has_profile(user: AbstractBaseUser) -> bool:
    try:
        return user.agent_profile is not None
    except AgentProfile.DoesNotExist:
        return False
