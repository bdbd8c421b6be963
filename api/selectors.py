"""Reads of the in-app API: what the app's user may see."""

import re

from django.db.models import Prefetch, QuerySet

from api.tokens import AppUser
from tickets.models import Attachment, Message, Ticket
from tickets.selectors import tickets_of_app_user

REFERENCE_SHAPE = re.compile(r"[A-Z0-9-]{1,16}")


def app_user_tickets(*, app_user: AppUser) -> QuerySet[Ticket]:
    """The app user's tickets (tickets.selectors.tickets_of_app_user)."""
    return tickets_of_app_user(email=app_user.email, wallet_account_id=app_user.wallet_account_id)


def app_user_ticket(*, app_user: AppUser, reference: str) -> Ticket | None:
    reference = reference.strip().upper()
    # Never a reference: not worth a query (and PostgreSQL refuses NUL characters outright).
    if not REFERENCE_SHAPE.fullmatch(reference):
        return None
    return app_user_tickets(app_user=app_user).filter(reference=reference).first()


def ticket_thread(*, ticket: Ticket) -> list[Message]:
    """The conversation the customer sees, never internal notes: three queries."""
    return list(
        ticket.messages.filter(is_internal=False)
        .select_related("author__agent_profile")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )


def thread_message(*, message_id: int) -> Message:
    """One message as ticket_thread gives it (for the answer to a post)."""
    return (
        Message.objects.select_related("author__agent_profile")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .get(pk=message_id)
    )
