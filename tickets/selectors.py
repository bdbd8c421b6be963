"""Reads of the ticket desk."""

from datetime import timedelta

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tickets.models import Attachment, GuardEvent, Message, ProblemType, Ticket
from tickets.validators import explorer_url

# Published first-response targets; the routing and SLA work refines them per team and hour.
FIRST_RESPONSE_TARGETS = {
    ProblemType.ACCOUNT_SECURITY: timedelta(minutes=30),
    ProblemType.ABNORMAL_TRANSACTION: timedelta(hours=2),
    ProblemType.TOPUP_WITHDRAWAL: timedelta(hours=4),
    ProblemType.ACCOUNT_FROZEN: timedelta(hours=8),
    ProblemType.OTHER: timedelta(hours=24),
}


def expected_first_response(*, problem_type: str) -> timedelta:
    return FIRST_RESPONSE_TARGETS.get(problem_type, FIRST_RESPONSE_TARGETS[ProblemType.OTHER])


def duration_text(duration: timedelta) -> str:
    """ "30 minutes", "2 hours", "1 day": how the customer reads a response target."""
    minutes = int(duration.total_seconds() // 60)
    if minutes < 60:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = minutes // 60
    if hours < 24 or hours % 24:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    days = hours // 24
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def expected_first_response_text(*, problem_type: str) -> str:
    return _("within %(duration)s") % {
        "duration": duration_text(expected_first_response(problem_type=problem_type))
    }


def ticket_public_thread(*, ticket: Ticket) -> list[Message]:
    """What the customer sees: every message but internal notes, with attachments (2 queries)."""
    return list(
        ticket.messages.filter(is_internal=False)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )


def ticket_explorer_url(*, ticket: Ticket) -> str | None:
    if not ticket.transaction_hash:
        return None
    return explorer_url(ticket.transaction_hash, ticket.transaction_network)


def tickets_sharing_hash(*, ticket: Ticket) -> QuerySet[Ticket]:
    """Other tickets that report the same transaction, for the agent to handle together."""
    if not ticket.transaction_hash:
        return Ticket.objects.none()
    return Ticket.objects.filter(transaction_hash=ticket.transaction_hash).exclude(pk=ticket.pk)


def ticket_guard_events(*, ticket: Ticket) -> QuerySet[GuardEvent]:
    """Refused secrets on this ticket or from its customer's address."""
    return GuardEvent.objects.filter(ticket=ticket) | GuardEvent.objects.filter(
        ticket__isnull=True, customer_email__iexact=ticket.customer_email
    )


def attachment_for_ticket(*, ticket: Ticket, attachment_id: int) -> Attachment | None:
    """An attachment of a customer-visible message of this ticket, or None."""
    return (
        Attachment.objects.filter(
            pk=attachment_id, message__ticket=ticket, message__is_internal=False
        )
        .select_related("message")
        .first()
    )
