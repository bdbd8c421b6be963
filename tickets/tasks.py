"""Celery tasks of the ticket desk: thin, id-taking, retried around the mail server."""

from smtplib import SMTPException

from celery import shared_task

from tickets import emails
from tickets.models import Message, Ticket

MAIL_RETRY = {
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(**MAIL_RETRY)
def send_ticket_confirmation(ticket_id: int) -> None:
    """Mail the customer their reference, expected response time and private link."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is not None:
        emails.send_confirmation(ticket)


@shared_task(**MAIL_RETRY)
def send_agent_reply(message_id: int) -> None:
    """Mail an agent's reply to the customer."""
    message = Message.objects.select_related("ticket").filter(pk=message_id).first()
    if message is not None and not message.is_internal:
        emails.send_agent_reply(message)


@shared_task(**MAIL_RETRY)
def send_customer_reply_notice(message_id: int) -> None:
    """Tell the support inbox about a customer's reply."""
    message = Message.objects.select_related("ticket").filter(pk=message_id).first()
    if message is not None:
        emails.send_customer_reply_notice(message)
