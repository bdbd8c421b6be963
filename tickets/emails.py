"""The ticket desk's outgoing mail: in the customer's language, plain text and HTML, threaded."""

from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tickets import selectors
from tickets.links import ticket_absolute_url
from tickets.models import Message, Ticket


def _thread_id(ticket: Ticket) -> str:
    """A stable Message-ID for the ticket's thread, so replies group in mail clients."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "wallet.example"
    return f"<ticket.{ticket.reference.lower()}@{domain}>"


def _send(ticket: Ticket, *, to: str, template: str, context: dict, language: str) -> None:
    with translation.override(language):
        context = {
            "ticket": ticket,
            "site_name": settings.SUPPORT_SITE_NAME,
            "ticket_url": ticket_absolute_url(ticket),
            **context,
        }
        subject = render_to_string(f"tickets/email/{template}_subject.txt", context)
        text = render_to_string(f"tickets/email/{template}.txt", context)
        html = render_to_string(f"tickets/email/{template}.html", context)
    domain = _thread_id(ticket).split("@", 1)[1].rstrip(">")
    thread = _thread_id(ticket)
    mail = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[settings.SUPPORT_INBOX_EMAIL],
        headers={
            "Message-ID": make_msgid(idstring=ticket.reference.lower(), domain=domain),
            "In-Reply-To": thread,
            "References": thread,
            "X-Ticket-Reference": ticket.reference,
        },
    )
    mail.attach_alternative(html, "text/html")
    mail.send()


def send_confirmation(ticket: Ticket) -> None:
    """The customer's receipt: reference, expected first response, private link."""
    with translation.override(ticket.language):
        expected = selectors.expected_first_response_text(
            problem_type=ticket.problem_type, channel=ticket.channel
        )
    _send(
        ticket,
        to=ticket.customer_email,
        template="confirmation",
        context={"expected": expected},
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


def send_escalation(ticket: Ticket) -> None:
    """Tell the team leads (or the support inbox) that a ticket breached its target."""
    leads = []
    if ticket.team is not None:
        leads = [
            email
            for email in ticket.team.memberships.filter(is_lead=True).values_list(
                "user__email", flat=True
            )
            if email
        ]
    for address in leads or [settings.SUPPORT_INBOX_EMAIL]:
        _send(
            ticket,
            to=address,
            template="escalation",
            context={"admin_url": settings.SUPPORT_SITE_URL.rstrip("/") + admin_path(ticket)},
            language=settings.LANGUAGE_CODE,
        )


def admin_path(ticket: Ticket) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def send_chat_transcript(ticket: Ticket) -> None:
    """The live chat's messages, to the customer."""
    messages = ticket.messages.filter(is_internal=False, channel="chat").order_by("id")
    _send(
        ticket,
        to=ticket.customer_email,
        template="chat_transcript",
        context={"chat_messages": list(messages.select_related("author"))},
        language=ticket.language,
    )
