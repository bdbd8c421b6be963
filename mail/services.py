"""Outgoing mail: one way to render and send a message, and one way for a task to send it once.

Every mail of the desk is rendered from three templates (`<template>_subject.txt`, `.txt`,
`.html`) in the recipient's language, sent from DEFAULT_FROM_EMAIL with replies to the support
inbox. Tasks that send call `send_once`: each mail of a task run is marked before it is handed to
the mail server and again once the server accepted it, so a redelivered run (its worker died)
never sends a mail twice, and one whose hand-over was cut off is recorded instead of repeated
(at most once; docs/operations.md, "Workers killed mid-task").
"""

import hashlib
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import make_msgid
from smtplib import SMTPException, SMTPRecipientsRefused, SMTPResponseException
from uuid import uuid4

from celery.exceptions import Retry
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone, translation

from common.task_base import DeskTask
from mail.models import BROKER_UNAVAILABLE, FailedMail, SentMail
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


class MailTask(DeskTask):
    """A mail task that is never dropped unrecorded: network errors are retried (MAIL_RETRY);
    whatever makes it give up, any exception, is kept as a FailedMail row for staff, and so is a
    task the broker could not take."""

    def on_unqueued(self, *, args: list, kwargs: dict, error: Exception) -> None:
        try:
            failed_mail_record(
                task_name=self.name,
                task_id=f"unqueued-{uuid4().hex}",
                arguments=[*args, *kwargs.values()],
                error=BROKER_UNAVAILABLE,
                retries=0,
            )
        except Exception:
            logger.exception("could not record the unqueued mail task %s", self.name)

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
    run = _task_run.get()
    if run is None:
        mail.send()
    else:
        _hand_over_once(run, mail)


def mail_limited(*, scope: str, thing: str, to: str) -> bool:
    """Count one mail a visitor asked for, per the thing it is about (a ticket, a chat) in
    `scope` and per recipient; True when either is over its limit, so nobody turns the desk into
    a mailer aimed at someone else's inbox. The address is hashed, never a cache key as is."""
    recipient = "to:" + hashlib.sha256(to.strip().lower().encode()).hexdigest()[:32]
    over_thing = rate_limit_hit_client(scope, address=None, session_key=thing)
    over_recipient = rate_limit_hit_client("mail_recipient", address=None, session_key=recipient)
    return over_thing is not None or over_recipient is not None


class MailHandoverUncertain(Exception):
    """A worker died while the mail server was taking one of this run's mails: it may have been
    delivered, so it is not sent again; the run is kept as a FailedMail for staff to check."""


@dataclass
class _TaskRun:
    task_id: str
    mails: int = 0
    uncertain: int = 0


_task_run: ContextVar[_TaskRun | None] = ContextVar("mail_task_run", default=None)


def send_once(task, send: Callable[[], None]) -> None:
    """Run `send` so that each of its mails goes out at most once over every delivery of this
    task run, exactly once unless a worker dies in the middle of handing one over."""
    task_id = task.request.id
    if not task_id:
        send()
        return
    if SentMail.objects.filter(task_id=task_id, sent_at__isnull=False).exists():
        return  # a whole run recorded before mails were marked one by one
    run = _TaskRun(task_id=task_id)
    token = _task_run.set(run)
    try:
        send()
    finally:
        _task_run.reset(token)
    if run.uncertain:
        raise MailHandoverUncertain(f"{run.uncertain} of {run.mails} mails")


def _hand_over_once(run: _TaskRun, mail: EmailMultiAlternatives) -> None:
    """Send one mail of a task run, marked in SentMail (the run's id and the mail's number in
    it): `sent_at` empty while the server takes it, set once it has accepted it. The marker is
    written after the connection is up (nothing handed over yet) and before the message."""
    run.mails += 1
    key = f"{run.task_id}/{run.mails}"
    marker = SentMail.objects.filter(task_id=key).first()
    if marker is not None:
        if marker.sent_at is None:
            run.uncertain += 1  # an earlier delivery of this run died while handing it over
        return
    connection = get_connection()
    connection.open()  # connect, STARTTLS, AUTH: a failure here hands nothing over
    try:
        smtp = getattr(connection, "connection", None)  # the SMTP backend's smtplib.SMTP
        if hasattr(smtp, "ehlo_or_helo_if_needed"):
            smtp.ehlo_or_helo_if_needed()  # still nothing handed over: the greeting, done first
        marker = SentMail.objects.create(task_id=key, sent_at=None)
        try:
            connection.send_messages([mail])
        except (SMTPResponseException, SMTPRecipientsRefused):
            # The server answered with a refusal: it did not take the mail, a retry may send.
            marker.delete()
            raise
        SentMail.objects.filter(pk=marker.pk).update(sent_at=timezone.now())
    finally:
        connection.close()
