"""The tickets a browser session has shown it holds: filed in it, opened from their private link
or chatted on (a chat is a ticket). /verify/ tells such a customer whether a code is the agent on
one of these, and says nothing about any other ticket."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Q, QuerySet

from tickets.models import Status, Ticket

HELD_TICKETS_SESSION_KEY = "held_tickets"
# The newest are kept: a session is one customer's, and a few tickets are all they follow.
HELD_TICKETS_KEPT = 20


def ticket_hold(session: SessionBase, *, ticket: Ticket) -> None:
    """Remember that this session proved it holds `ticket` (only server code calls this)."""
    held = session.get(HELD_TICKETS_SESSION_KEY, [])
    if held[:1] == [ticket.pk]:
        return  # the session is not saved again for every visit of the page
    held = [pk for pk in held if pk != ticket.pk]
    session[HELD_TICKETS_SESSION_KEY] = [ticket.pk, *held][:HELD_TICKETS_KEPT]


def tickets_held(
    *, session: SessionBase, user: AbstractBaseUser | AnonymousUser
) -> QuerySet[Ticket]:
    """The open tickets this session holds, and a signed-in customer's own."""
    held = [pk for pk in session.get(HELD_TICKETS_SESSION_KEY, []) if isinstance(pk, int)]
    mine = Q(pk__in=held)
    if user.is_authenticated:
        mine |= Q(customer_id=user.pk)
    return Ticket.objects.filter(mine).exclude(status=Status.CLOSED)
