"""The ticket desk's outgoing mail: in the customer's language, plain text and HTML, threaded."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from guard.detect import SecretKind
from guard.refusals import REFUSAL_MESSAGES
from mail.services import AUTOMATIC_HEADERS, mail_domain, mail_send, message_id
from tickets import selectors
from tickets.links import ticket_absolute_url, ticket_mailed_url
from tickets.models import AuthorKind, Message, Ticket, TicketEvent


def _thread_id(ticket: Ticket) -> str:
    """A stable Message-ID for the ticket's thread, so replies group in mail clients."""
    return f"<ticket.{ticket.reference.lower()}@{mail_domain()}>"


def _threading(ticket: Ticket, *, to: str) -> tuple[str, str]:
    """In-Reply-To and References: the ticket's thread, and for the customer also the last
    email they sent us, so their mail client files our answer under it."""
    thread = _thread_id(ticket)
    if to.lower() != ticket.customer_email.lower():
        return thread, thread
    # Through the reverse relation of inbound.InboundEmail, which this app does not import.
    last_email = (
        ticket.inbound_emails.filter(ticket_message__isnull=False)
        .exclude(message_id="")
        .order_by("-id")
        .values_list("message_id", flat=True)
        .first()
    )
    if last_email is None:
        return thread, thread
    return last_email, f"{thread} {last_email}"


def _send(
    ticket: Ticket,
    *,
    to: str,
    template: str,
    context: dict,
    language: str,
    automatic: bool = True,
) -> None:
    in_reply_to, references = _threading(ticket, to=to)
    mail_send(
        template=f"tickets/email/{template}",
        context={"ticket": ticket, "ticket_url": ticket_absolute_url(ticket), **context},
        to=to,
        language=language,
        headers={
            "Message-ID": message_id(idstring=ticket.reference.lower()),
            "In-Reply-To": in_reply_to,
            "References": references,
            "X-Ticket-Reference": ticket.reference,
            **(AUTOMATIC_HEADERS if automatic else {}),
        },
    )


def send_confirmation(ticket: Ticket) -> None:
    """The customer's receipt: reference, expected first response, private link."""
    with translation.override(ticket.language):
        expected = selectors.ticket_first_response_promise(ticket=ticket).text
    _send(
        ticket,
        to=ticket.customer_email,
        template="confirmation",
        context={"expected": expected, "ticket_url": ticket_mailed_url(ticket)},
        language=ticket.language,
    )


def send_agent_reply(message: Message) -> None:
    """The agent's answer, to the customer."""
    _send(
        message.ticket,
        to=message.ticket.customer_email,
        template="agent_reply",
        context={"message": message},
        language=message.ticket.language,
        automatic=False,
    )


def send_customer_reply_notice(message: Message) -> None:
    """Tell the support inbox that the customer wrote; the reference matches it to the ticket."""
    _send(
        message.ticket,
        to=settings.SUPPORT_INBOX_EMAIL,
        template="customer_reply",
        context={"message": message},
        language=settings.LANGUAGE_CODE,
    )


def send_escalation(ticket: Ticket, *, template: str = "escalation") -> None:
    """Tell the team leads (or the support inbox) that a ticket breached its target, or (with
    template "chat_unanswered") that its live chat waited too long for an agent."""
    leads = []
    if ticket.team is not None:
        leads = [
            email
            # In one order every time: a redelivered run knows its mails by their number.
            for email in ticket.team.memberships.filter(is_lead=True)
            .order_by("pk")
            .values_list("user__email", flat=True)
            if email
        ]
    escalation = (
        ticket.events.filter(kind=TicketEvent.Kind.ESCALATED).order_by("-id").first()
        if template == "escalation"
        else None
    )
    with translation.override(settings.LANGUAGE_CODE):
        about = _about_line(ticket)
    for address in leads or [settings.SUPPORT_INBOX_EMAIL]:
        _send(
            ticket,
            to=address,
            template=template,
            context={
                "admin_url": settings.SUPPORT_SITE_URL.rstrip("/") + admin_path(ticket),
                "priority_raised": escalation is not None
                and escalation.old_value != escalation.new_value,
                "about": about,
            },
            language=settings.LANGUAGE_CODE,
        )


def _about_line(ticket: Ticket) -> str:
    """The problem type and the team, the team left out when it is named like the type."""
    problem_type = str(ticket.get_problem_type_display())
    team = str(ticket.team) if ticket.team else "-"
    return (
        problem_type if team.casefold() == problem_type.casefold() else f"{problem_type} · {team}"
    )


def admin_path(ticket: Ticket) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def send_chat_transcript(ticket: Ticket) -> None:
    """The live chat's messages, to the customer."""
    messages = ticket.messages.filter(is_internal=False, channel="chat").order_by("id")
    if ticket.email_verified_at is None:
        # Until the address proved it is the customer's, whoever typed it could be anyone: the
        # mail carries the desk's words only, never the visitor's.
        messages = messages.exclude(author_kind=AuthorKind.CUSTOMER)
    _send(
        ticket,
        to=ticket.customer_email,
        template="chat_transcript",
        context={
            "chat_messages": list(messages.select_related("author__agent_profile")),
            "visitor_lines_left_out": ticket.email_verified_at is None,
        },
        language=ticket.language,
    )


def send_guard_warning(ticket: Ticket, kinds: list[str]) -> None:
    """Tell the sender of an email that held a secret that we removed it, and what to do."""
    with translation.override(ticket.language):
        warnings = [str(REFUSAL_MESSAGES[SecretKind(kind)]) for kind in kinds]
    _send(
        ticket,
        to=ticket.customer_email,
        template="guard_warning",
        context={"warnings": warnings},
        language=ticket.language,
    )
