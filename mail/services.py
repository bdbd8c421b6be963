"""Outgoing mail: one way to render and send a message, and one way for a task to send it once.

Every mail of the desk is rendered from three templates (`<template>_subject.txt`, `.txt`,
`.html`) in the recipient's language, sent from DEFAULT_FROM_EMAIL with replies to the support
inbox. Tasks that send call `send_once`, so a redelivered task run never mails twice.
"""

import hashlib
import logging
from collections.abc import Callable
from email.utils import make_msgid
from smtplib import SMTPException

from celery import Task
from celery.exceptions import Retry
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from mail.models import FailedMail, SentMail
from security.ratelimit import rate_limit_hit_client

logger = logging.getLogger(__name__)


def failed_mail_record(
    *, task_name: str, task_id: str, arguments: list, error: str, retries: int
) -> FailedMail:
    """Keep a mail task that gave up, once per task id (a redelivery updates the same row).
    Arguments are kept only when they are all ids: an address or a subject is not stored."""
    ids_only = all(type(value) is int for value in arguments)
    failed, _created = FailedMail.objects.update_or_create(
        task_id=task_id,
        defaults={
            "task_name": task_name,
            "arguments": list(arguments) if ids_only else None,
            "error": error[:200],
            "retries": retries,
            "resent_at": None,
        },
    )
    return failed


def failed_mail_resend(*, failed: FailedMail) -> None:
    """Queue the failed task again with its arguments (a new task id, so send_once sends)."""
    from celery import current_app

    if not failed.can_resend:
        return
    current_app.send_task(failed.task_name, args=failed.arguments)
    FailedMail.objects.filter(pk=failed.pk).update(resent_at=timezone.now())


class MailTask(Task):
    """A mail task that is never dropped unrecorded: network errors are retried (MAIL_RETRY);
    whatever makes it give up, any exception, is kept as a FailedMail row for staff."""

    def __call__(self, *args, **kwargs):
        # Run eagerly with errors propagating (the embedded default), Celery raises before it
        # calls on_failure: record here too (the same row, by task id).
        try:
            return super().__call__(*args, **kwargs)
        except Retry:
            raise
        except Exception as error:
            if self.request.is_eager:
                self.on_failure(error, self.request.id, args, kwargs, None)
            raise

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        logger.error("mail task %s gave up after %s: %s", self.name, type(exc).__name__, task_id)
        try:
            failed_mail_record(
                task_name=self.name,
                task_id=task_id or "",
                arguments=[*args, *kwargs.values()],
                error=type(exc).__name__,
                retries=self.request.retries or 0,
            )
        except Exception:  # the database is down too: the log line above is what remains
            logger.exception("could not record the failed mail task %s", task_id)


# The options of every Celery task that sends mail: retried while the mail server is away.
MAIL_RETRY = {
    "base": MailTask,
    "bind": True,
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
    "acks_late": True,
    "reject_on_worker_lost": True,
}

# Headers of mail no person wrote: RFC 3834 auto-responders (and Exchange's) stay silent.
AUTOMATIC_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def mail_domain() -> str:
    """The domain of our Message-IDs (inbound.services recognises replies by it)."""
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "wallet.example"


def message_id(*, idstring: str | None = None) -> str:
    return make_msgid(idstring=idstring, domain=mail_domain())


def mail_send(
    *,
    template: str,
    context: dict,
    to: str,
    language: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Render `template` in `language` and send it to `to`, plain text and HTML."""
    with translation.override(language):
        context = {"site_name": settings.SUPPORT_SITE_NAME, **context}
        subject = render_to_string(f"{template}_subject.txt", context)
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    mail = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[settings.SUPPORT_INBOX_EMAIL],
        headers=headers or {},
    )
    mail.attach_alternative(html, "text/html")
    mail.send()


def mail_limited(*, scope: str, thing: str, to: str) -> bool:
    """Count one mail a visitor asked for, per the thing it is about (a ticket, a chat) in
    `scope` and per recipient; True when either is over its limit, so nobody turns the desk into
    a mailer aimed at someone else's inbox. The address is hashed, never a cache key as is."""
    recipient = "to:" + hashlib.sha256(to.strip().lower().encode()).hexdigest()[:32]
    over_thing = rate_limit_hit_client(scope, address=None, session_key=thing)
    over_recipient = rate_limit_hit_client("mail_recipient", address=None, session_key=recipient)
    return over_thing is not None or over_recipient is not None


def send_once(task, send: Callable[[], None]) -> None:
    """Send unless this task run already did (a redelivery after the worker died)."""
    task_id = task.request.id
    if task_id and SentMail.objects.filter(task_id=task_id).exists():
        return
    send()
    if task_id:
        SentMail.objects.get_or_create(task_id=task_id)
