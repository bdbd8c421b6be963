"""Who takes a ticket: the online team member with room and the fewest open tickets.

Routing serializes on the team's row (`FOR NO KEY UPDATE`, which does not block tickets
referencing the team), then reads the loads in a statement begun after the lock was granted, so
it sees every assignment committed before: the pick and the capacity check are one query, exact
under concurrent routings of the same team.
"""

import heapq
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from agents.models import AgentProfile, Team
from tickets.models import OPEN_STATUSES, Ticket


def team_lock(*, team: Team) -> None:
    """Serialize assignment within a team until the transaction ends; call it in one."""
    list(Team.objects.select_for_update(no_key=True).filter(pk=team.pk).values_list("pk"))


def _candidates(team: Team):
    open_tickets = (
        Ticket.objects.filter(assignee_id=OuterRef("user_id"), status__in=OPEN_STATUSES)
        .order_by()
        .values("assignee_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        AgentProfile.objects.filter(
            availability=AgentProfile.Availability.ONLINE,
            user__is_active=True,
            user__team_memberships__team=team,
        )
        .annotate(
            open_tickets=Coalesce(Subquery(open_tickets, output_field=IntegerField()), Value(0))
        )
        .filter(open_tickets__lt=F("capacity"))
        .select_related("user")
        .order_by("open_tickets", F("last_assigned_at").asc(nulls_first=True), "id")
    )


def agent_pick(*, team: Team) -> AgentProfile | None:
    """The online team member with room and the fewest open tickets (longest idle breaks ties).

    Takes the team's lock; call it inside a transaction."""
    team_lock(team=team)
    return _candidates(team).first()


@dataclass(order=True)
class _Slot:
    open_tickets: int
    idle_since: tuple  # (0, ) never assigned, else (1, last_assigned_at): longest idle first
    profile_id: int
    profile: AgentProfile = field(compare=False)


class TeamAssigner:
    """Many picks in one transaction: the team's loads read once under its lock, then kept in
    memory as tickets are handed out, so each pick is what `agent_pick` would have returned."""

    def __init__(self, *, team: Team, now: datetime) -> None:
        team_lock(team=team)
        self.now = now
        self.heap: list[_Slot] = []
        self.picked: set[int] = set()
        self.handed_out = 0
        for profile in _candidates(team):
            idle = (0,) if profile.last_assigned_at is None else (1, profile.last_assigned_at)
            heapq.heappush(self.heap, _Slot(profile.open_tickets, idle, profile.pk, profile))

    def pick(self) -> AgentProfile | None:
        while self.heap:
            slot = heapq.heappop(self.heap)
            if slot.open_tickets >= slot.profile.capacity:
                continue
            slot.open_tickets += 1
            # Just assigned: idle the shortest, as `last_assigned_at = now` makes it.
            self.handed_out += 1
            slot.idle_since = (2, self.now, self.handed_out)
            heapq.heappush(self.heap, slot)
            self.picked.add(slot.profile_id)
            return slot.profile
        return None
