"""The ticket desk's outgoing mail: in the customer's language, plain text and HTML, threaded."""

from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tickets import selectors
from tickets.guard import SecretKind
from tickets.inbound import MAX_MESSAGE_BYTES
from tickets.links import ticket_absolute_url
from tickets.models import InboundEmail, Message, Ticket
from tickets.protection import REFUSAL_MESSAGES
from tickets.validators import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS


def mail_domain() -> str:
    """The domain of our Message-IDs (tickets.inbound_services recognises replies by it)."""
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "wallet.example"


def _thread_id(ticket: Ticket) -> str:
    """A stable Message-ID for the ticket's thread, so replies group in mail clients."""
    return f"<ticket.{ticket.reference.lower()}@{mail_domain()}>"


def _threading(ticket: Ticket, *, to: str) -> tuple[str, str]:
    """In-Reply-To and References: the ticket's thread, and for the customer also the last
    email they sent us, so their mail client files our answer under it."""
    thread = _thread_id(ticket)
    if to.lower() != ticket.customer_email.lower():
        return thread, thread
    last_email = (
        InboundEmail.objects.filter(ticket=ticket, ticket_message__isnull=False)
        .exclude(message_id="")
        .order_by("-id")
        .values_list("message_id", flat=True)
        .first()
    )
    if last_email is None:
        return thread, thread
    return last_email, f"{thread} {last_email}"


# Headers of mail no person wrote: RFC 3834 auto-responders (and Exchange's) stay silent.
AUTOMATIC_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def _send(
    ticket: Ticket,
    *,
    to: str,
    template: str,
    context: dict,
    language: str,
    automatic: bool = True,
) -> None:
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
    domain = mail_domain()
    in_reply_to, references = _threading(ticket, to=to)
    mail = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[settings.SUPPORT_INBOX_EMAIL],
        headers={
            "Message-ID": make_msgid(idstring=ticket.reference.lower(), domain=domain),
            "In-Reply-To": in_reply_to,
            "References": references,
            "X-Ticket-Reference": ticket.reference,
            **(AUTOMATIC_HEADERS if automatic else {}),
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


def send_too_large_notice(*, to: str, language: str, subject: str, in_reply_to: str) -> None:
    """Answer an email too large to accept (no ticket was opened), in the sender's language."""
    with translation.override(language):
        context = {
            "site_name": settings.SUPPORT_SITE_NAME,
            "language": language,
            "subject": subject,
            "max_mb": MAX_MESSAGE_BYTES // (1024 * 1024),
            "file_mb": MAX_ATTACHMENT_BYTES // (1024 * 1024),
            "max_files": MAX_ATTACHMENTS,
            "contact_url": settings.SUPPORT_SITE_URL.rstrip("/") + reverse("tickets:contact"),
        }
        subject_line = render_to_string("tickets/email/too_large_subject.txt", context)
        text = render_to_string("tickets/email/too_large.txt", context)
        html = render_to_string("tickets/email/too_large.html", context)
    headers = {
        "Message-ID": make_msgid(domain=mail_domain()),
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
    }
    if in_reply_to:
        headers.update({"In-Reply-To": in_reply_to, "References": in_reply_to})
    mail = EmailMultiAlternatives(
        subject=" ".join(subject_line.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[settings.SUPPORT_INBOX_EMAIL],
        headers=headers,
    )
    mail.attach_alternative(html, "text/html")
    mail.send()
