"""Celery tasks of the ticket desk: thin, id-taking, retried around the mail server."""

import imaplib
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from tickets import emails, notifications, reports, routing, sla
from tickets.models import Message, SentMail, Ticket

MAIL_RETRY = {
    "bind": True,
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


def _send_once(task, send) -> None:
    """Send unless this task run already did (a redelivery after the worker died)."""
    task_id = task.request.id
    if task_id and SentMail.objects.filter(task_id=task_id).exists():
        return
    send()
    if task_id:
        SentMail.objects.get_or_create(task_id=task_id)


@shared_task(**MAIL_RETRY)
def send_ticket_confirmation(self, ticket_id: int) -> None:
    """Mail the customer their reference, expected response time and private link."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is not None:
        _send_once(self, lambda: emails.send_confirmation(ticket))


@shared_task(**MAIL_RETRY)
def send_agent_reply(self, message_id: int) -> None:
    """Mail an agent's reply to the customer."""
    message = Message.objects.select_related("ticket").filter(pk=message_id).first()
    if message is not None and not message.is_internal:
        _send_once(self, lambda: emails.send_agent_reply(message))


@shared_task(**MAIL_RETRY)
def send_customer_reply_notice(self, message_id: int) -> None:
    """Tell the support inbox about a customer's reply."""
    message = Message.objects.select_related("ticket").filter(pk=message_id).first()
    if message is not None:
        _send_once(self, lambda: emails.send_customer_reply_notice(message))


RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}
# Retry delays stay far below the Redis visibility timeout (settings), so a waiting retry is
# never delivered twice.
MAX_RETRY_DELAY_SECONDS = 600


@shared_task(
    **RELIABLE,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=10,
)
def route_ticket(ticket_id: int) -> None:
    """Route a new or reopened ticket (no-op when already routed)."""
    routing.ticket_route(ticket_id=ticket_id)


@shared_task(**RELIABLE, autoretry_for=(OperationalError, InterfaceError), max_retries=3)
def check_slas() -> dict[str, int]:
    """The periodic SLA check (Celery beat, every SLA_CHECK_INTERVAL_SECONDS)."""
    report = sla.sla_check()
    return {key: len(value) for key, value in vars(report).items()}


@shared_task(bind=True, **RELIABLE, max_retries=8)
def deliver_webhook(self, delivery_id: int) -> str:
    """POST a signed notification to the wallet's backend; retried with backoff."""
    result = notifications.webhook_attempt(delivery_id=delivery_id)
    if result is None or result.ok:
        return "done"
    if result.retryable and self.request.retries < self.max_retries:
        delay = min(MAX_RETRY_DELAY_SECONDS, 5 * 2**self.request.retries)
        raise self.retry(countdown=delay)
    notifications.webhook_give_up(delivery_id=delivery_id)
    return "failed"


@shared_task(**MAIL_RETRY)
def notify_escalation(self, ticket_id: int) -> None:
    """Mail the team lead (or the support inbox) about a breached, escalated ticket."""
    ticket = Ticket.objects.select_related("team").filter(pk=ticket_id).first()
    if ticket is not None:
        _send_once(self, lambda: emails.send_escalation(ticket))


@shared_task(ignore_result=True)
def refresh_dashboard() -> None:
    reports.dashboard_refresh()


@shared_task(**MAIL_RETRY)
def send_guard_warning(self, ticket_id: int, kinds: list[str]) -> None:
    """Warn the sender of an email that held a recovery phrase (or key, card) we removed."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is not None:
        _send_once(self, lambda: emails.send_guard_warning(ticket, kinds))


@shared_task(**MAIL_RETRY)
def send_too_large_notice(self, to: str, language: str, subject: str, in_reply_to: str) -> None:
    """Tell the sender of an email too large to accept; no ticket exists to take an id from."""
    _send_once(
        self,
        lambda: emails.send_too_large_notice(
            to=to, language=language, subject=subject, in_reply_to=in_reply_to
        ),
    )


@shared_task(
    **RELIABLE,
    # Network trouble and a busy database are retried; a refused log-in is not (settings).
    autoretry_for=(OSError, imaplib.IMAP4.abort, OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=MAX_RETRY_DELAY_SECONDS,
    max_retries=5,
)
def fetch_mail() -> dict[str, int]:
    """Poll the support mailbox over IMAP (Celery beat, when IMAP_HOST is set)."""
    if not settings.IMAP_HOST:
        return {}
    # Imported here: inbound_services builds on tickets.services, which imports this module.
    from tickets.inbound_services import mailbox_fetch

    return mailbox_fetch()
