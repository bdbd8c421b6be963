"""Reads of a customer's data: what the desk holds for an address, and the export of it.

Customers have no accounts: a customer is the address they wrote from, matched in any letter
case. A request keeps a keyed hash of the address, so it is found again once the address is gone.
"""

from collections import defaultdict
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from guard.models import GuardEvent
from privacy.models import OPEN_STATES, DataRequest
from tickets.models import Attachment, Message, Ticket

# The salt of the module this code was first written in (tickets.privacy): every stored
# email_hash was made with it, and a changed salt would match none of them.
EMAIL_HASH_SALT = "tickets.privacy.email"
EXPORT_FORMAT = "wallet-support-export/1"


def email_normalized(email: str) -> str:
    return email.strip().lower()


def email_fingerprint(email: str) -> str:
    """A keyed hash of the address (SECRET_KEY): it matches the same address again, but a list
    of likely addresses cannot be hashed to find it without the key."""
    return salted_hmac(EMAIL_HASH_SALT, email_normalized(email), algorithm="sha256").hexdigest()


def customer_tickets(*, email: str) -> QuerySet[Ticket]:
    """Every ticket filed from this address, in any letter case (an indexed lookup)."""
    return Ticket.objects.filter(customer_email__iexact=email_normalized(email))


def customer_holds_data(*, email: str) -> bool:
    """Whether the desk holds anything for this address: tickets, refusals or an old request."""
    email = email_normalized(email)
    return (
        customer_tickets(email=email).exists()
        or GuardEvent.objects.filter(customer_email__iexact=email).exists()
        or DataRequest.objects.filter(email_hash=email_fingerprint(email))
        .exclude(email="")
        .exists()
    )


def data_request_open_get(*, data_request_id: int) -> DataRequest | None:
    """An open request that still holds its address: a closed one is mailed no link."""
    return (
        DataRequest.objects.filter(pk=data_request_id, status__in=OPEN_STATES)
        .exclude(email="")
        .first()
    )


def data_export_get(*, data_request_id: int) -> DataRequest | None:
    """An export whose file and address are both still there: a purged or deleted one is not."""
    return (
        DataRequest.objects.filter(pk=data_request_id, kind=DataRequest.Kind.EXPORT)
        .exclude(email="")
        .exclude(export_file="")
        .first()
    )


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def customer_data_export(*, email: str) -> dict:
    """Everything held for this address, as the customer may read it: tickets with their
    evidence, the conversation without internal notes, attachments by name and size, chats,
    ratings and refused secrets (kind and place only, as stored). Five queries."""
    email = email_normalized(email)
    tickets = list(
        customer_tickets(email=email).select_related("conversation").order_by("created_at", "id")
    )
    ticket_ids = [ticket.pk for ticket in tickets]
    messages = defaultdict(list)
    for message in (
        Message.objects.filter(ticket_id__in=ticket_ids, is_internal=False)
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("id")
    ):
        messages[message.ticket_id].append(
            {
                "sent_at": _when(message.created_at),
                "author": message.author_kind,
                "channel": message.channel,
                "text": message.body,
                "attachments": [
                    {"name": file.name, "size": file.size, "content_type": file.content_type}
                    for file in message.attachments.all()
                ],
            }
        )
    refusals = (
        GuardEvent.objects.filter(
            Q(ticket_id__in=ticket_ids) | Q(ticket__isnull=True, customer_email__iexact=email)
        )
        .select_related("ticket")
        .order_by("created_at", "id")
    )
    return {
        "format": EXPORT_FORMAT,
        "generated_at": _when(timezone.now()),
        "email": email,
        "tickets": [_ticket_export(ticket, messages[ticket.pk]) for ticket in tickets],
        "refused_secrets": [
            {
                "at": _when(event.created_at),
                "kind": event.kind,
                "where": event.source,
                "field": event.field,
                "ticket": event.ticket.reference if event.ticket else None,
            }
            for event in refusals
        ],
    }


def _ticket_export(ticket: Ticket, messages: list[dict]) -> dict:
    chat = None
    if hasattr(ticket, "conversation"):
        conversation = ticket.conversation
        chat = {
            "name": conversation.visitor_name,
            "status": conversation.status,
            "started_at": _when(conversation.queued_at),
            "accepted_at": _when(conversation.accepted_at),
            "closed_at": _when(conversation.closed_at),
            "rating": conversation.rating,
            "transcript": [message for message in messages if message["channel"] == "chat"],
        }
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "problem_type": ticket.problem_type,
        "channel": ticket.channel,
        "status": ticket.status,
        "language": ticket.language,
        "created_at": _when(ticket.created_at),
        "last_activity_at": _when(ticket.updated_at),
        "resolved_at": _when(ticket.resolved_at),
        "closed_at": _when(ticket.closed_at),
        "contact": {
            "email": ticket.customer_email,
            "name": ticket.customer_name,
            "wallet_account_id": ticket.wallet_account_id,
        },
        "evidence": ticket.evidence,
        "transaction": {"hash": ticket.transaction_hash, "network": ticket.transaction_network}
        if ticket.transaction_hash
        else None,
        "rating": {"score": ticket.satisfaction_rating, "comment": ticket.satisfaction_comment}
        if ticket.satisfaction_rating is not None
        else None,
        "messages": messages,
        "chat": chat,
    }
