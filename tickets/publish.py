"""The desk's changes as event webhooks (webhooks.services.event_publish): ids and states in
`data`; the text of messages, comments and reports apart, sent only to subscriptions that
include text. No email address or phone number: the wallet's backend knows its user by
`wallet_account_id`, and the ticket's reference names the ticket (docs/api.md)."""

from tickets.models import Message, Ticket
from webhooks.events import EventType
from webhooks.services import event_publish


def ticket_data(ticket: Ticket) -> dict:
    """The ticket as every event carries it."""
    return {
        "ticket": {
            "reference": ticket.reference,
            "status": ticket.status,
            "problem_type": ticket.problem_type,
            "priority": ticket.priority,
            "channel": ticket.channel,
            "language": ticket.language,
            "wallet_account_id": ticket.wallet_account_id,
        }
    }


def message_data(message: Message) -> dict:
    return {
        "id": message.pk,
        "channel": message.channel,
        "created_at": message.created_at.isoformat(),
    }


def ticket_created(ticket: Ticket, first_message: Message) -> None:
    event_publish(
        event=EventType.TICKET_CREATED,
        data={**ticket_data(ticket), "message": message_data(first_message)},
        text={"ticket": {"subject": ticket.subject}, "message": {"text": first_message.body}},
    )


def ticket_status_changed(ticket: Ticket, *, old: str, actor_kind: str) -> None:
    event_publish(
        event=EventType.TICKET_STATUS_CHANGED,
        data={
            **ticket_data(ticket),
            "change": {"from": old, "to": ticket.status, "by": actor_kind},
        },
    )


def agent_replied(ticket: Ticket, message: Message) -> None:
    """A reply the customer sees (never an internal note), on the ticket or in its chat."""
    event_publish(
        event=EventType.TICKET_AGENT_REPLIED,
        data={**ticket_data(ticket), "message": message_data(message)},
        text={"message": {"text": message.body}},
    )


def rating_received(ticket: Ticket, *, score: int, source: str, comment: str = "") -> None:
    event_publish(
        event=EventType.RATING_RECEIVED,
        data={**ticket_data(ticket), "rating": {"score": score, "source": source}},
        text={"rating": {"comment": comment}} if comment else None,
    )
