"""Reads of the in-app API: what the app's user may see."""

import re

from django.db.models import Prefetch, Q, QuerySet

from api.tokens import AppUser
from livechat.models import Conversation
from livechat.selectors import conversation_by_public_id
from tickets.models import Attachment, Channel, Message, Ticket

REFERENCE_SHAPE = re.compile(r"[A-Z0-9-]{1,16}")


def app_user_tickets(*, app_user: AppUser) -> QuerySet[Ticket]:
    """The app user's tickets: those filed with their email, or filed in the app by their account.

    The email is vouched for by the wallet backend, and it is what the desk already grants a
    ticket to (its private link is mailed there). A wallet account ID typed into the web form is
    not verified, so it alone opens nothing; one set from a token (channel in_app) is.
    """
    return Ticket.objects.filter(
        Q(customer_email__iexact=app_user.email)
        | Q(channel=Channel.IN_APP, wallet_account_id=app_user.wallet_account_id)
    )


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


def app_user_conversation(*, app_user: AppUser, public_id: str) -> Conversation | None:
    """A live chat of one of the app user's tickets, or None."""
    conversation = conversation_by_public_id(public_id)
    if conversation is None:
        return None
    if not app_user_tickets(app_user=app_user).filter(pk=conversation.ticket_id).exists():
        return None
    return conversation
