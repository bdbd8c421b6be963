"""Celery tasks of the email channel: reading the mailbox and answering mail we refuse.

Named as they were before the email channel had an app of its own, so a beat entry or a task
already queued under the old name still runs.
"""

import imaplib

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from mail.services import MAIL_RETRY, send_once


@shared_task(name="tickets.tasks.send_too_large_notice", **MAIL_RETRY)
def send_too_large_notice(self, to: str, language: str, subject: str, in_reply_to: str) -> None:
    """Tell the sender of an email too large to accept; no ticket exists to take an id from."""
    from inbound.services import too_large_notice_send  # the task's own service

    send_once(
        self,
        lambda: too_large_notice_send(
            to=to, language=language, subject=subject, in_reply_to=in_reply_to
        ),
    )


@shared_task(
    name="tickets.tasks.fetch_mail",
    acks_late=True,
    reject_on_worker_lost=True,
    # Network trouble and a busy database are retried; a refused log-in is not (settings).
    autoretry_for=(OSError, imaplib.IMAP4.abort, OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def fetch_mail() -> dict[str, int]:
    """Poll the support mailbox over IMAP (Celery beat, when IMAP_HOST is set)."""
    if not settings.IMAP_HOST:
        return {}
    # Imported here: the task's own service (inbound.services queues this module's tasks).
    from inbound.services import mailbox_fetch

    return mailbox_fetch()
