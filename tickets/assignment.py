"""Who takes a ticket: the online team member with room and the fewest open tickets."""

from django.db.models import Count, F, Q

from agents.models import AgentProfile, Team
from tickets.models import OPEN_STATUSES, Ticket


def agent_pick(*, team: Team) -> AgentProfile | None:
    """The online team member with room and the fewest open tickets (longest idle breaks ties).

    Counts are read without locks, then the chosen agent's row is locked and recounted, so two
    routings at once cannot push an agent past capacity. Call it inside a transaction.
    """
    candidates = (
        AgentProfile.objects.filter(
            availability=AgentProfile.Availability.ONLINE,
            user__is_active=True,
            user__team_memberships__team=team,
        )
        .annotate(
            open_tickets=Count(
                "user__assigned_tickets",
                filter=Q(user__assigned_tickets__status__in=OPEN_STATUSES),
            )
        )
        .order_by("open_tickets", F("last_assigned_at").asc(nulls_first=True), "id")
    )
    for candidate in candidates:
        if candidate.open_tickets >= candidate.capacity:
            continue
        profile = AgentProfile.objects.select_for_update().get(pk=candidate.pk)
        open_now = Ticket.objects.filter(
            assignee_id=profile.user_id, status__in=OPEN_STATUSES
        ).count()
        if open_now < profile.capacity:
            return profile
    return None
