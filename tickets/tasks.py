"""Celery tasks of the ticket desk: thin, id-taking, retried around the mail server."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from mail.services import MAIL_RETRY, send_once
from tickets import emails, notifications, routing, sla
from tickets.models import Message, Ticket


@shared_task(**MAIL_RETRY)
def send_ticket_confirmation(self, ticket_id: int) -> None:
    """Mail the customer their reference, expected response time and private link."""
    # The team with the ticket: the promise reads its calendar once the ticket is routed.
    ticket = Ticket.objects.select_related("team").filter(pk=ticket_id).first()
    if ticket is not None:
        send_once(self, lambda: emails.send_confirmation(ticket))


@shared_task(**MAIL_RETRY)
def send_agent_reply(self, message_id: int) -> None:
    """Mail an agent's reply to the customer."""
    message = Message.objects.select_related("ticket").filter(pk=message_id).first()
    if message is not None and not message.is_internal:
        send_once(self, lambda: emails.send_agent_reply(message))


@shared_task(**MAIL_RETRY)
def send_customer_reply_notice(self, message_id: int) -> None:
    """Tell the support inbox about a customer's reply."""
    message = Message.objects.select_related("ticket").filter(pk=message_id).first()
    if message is not None:
        send_once(self, lambda: emails.send_customer_reply_notice(message))


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
    routing.tickets_route(ticket_id=ticket_id)


@shared_task(**RELIABLE, autoretry_for=(OperationalError, InterfaceError), max_retries=3)
def route_waiting_tickets() -> int:
    """The periodic routing sweep (Celery beat, every ROUTING_SWEEP_SECONDS)."""
    return routing.tickets_route_waiting()


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
        send_once(self, lambda: emails.send_escalation(ticket))


@shared_task(**MAIL_RETRY)
def send_guard_warning(self, ticket_id: int, kinds: list[str]) -> None:
    """Warn the sender of an email that held a recovery phrase (or key, card) we removed."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is not None:
        send_once(self, lambda: emails.send_guard_warning(ticket, kinds))
