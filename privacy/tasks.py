"""Celery tasks of the customers' data requests: the two mails, and the hourly purge.

The mail tasks are named as they were before privacy had an app of its own, so a task already
queued under the old name still runs.
"""

from celery import shared_task

from mail.services import MAIL_RETRY, send_once
from privacy import selectors


# Tasks take the request's id, never the address: a task's arguments reach the broker and
# Celery's own log lines.
@shared_task(name="tickets.privacy.send_data_request_confirmation", **MAIL_RETRY)
def send_data_request_confirmation(self, data_request_id: int) -> None:
    """Mail the confirmation link of a request that is still open."""
    from privacy.services import data_request_confirmation_send  # services queue this task

    data_request = selectors.data_request_open_get(data_request_id=data_request_id)
    if data_request is not None:
        send_once(self, lambda: data_request_confirmation_send(data_request=data_request))


@shared_task(name="tickets.privacy.send_data_export_ready", **MAIL_RETRY)
def send_data_export_ready(self, data_request_id: int) -> None:
    """Mail the customer the download link of their export."""
    from privacy.services import data_export_ready_send  # services queue this task

    data_request = selectors.data_export_get(data_request_id=data_request_id)
    if data_request is not None:
        send_once(self, lambda: data_export_ready_send(data_request=data_request))


# Beat runs it hourly (CELERY_BEAT_SCHEDULE); its counts are the result Celery logs.
@shared_task(name="privacy.tasks.purge_data_requests", ignore_result=True)
def purge_data_requests() -> dict[str, int]:
    """Delete what has outlived its link even when no customer asks and no admin acts: export
    files past EXPORT_LINK_MAX_AGE and unconfirmed requests, which hold an address."""
    from privacy.services import data_exports_purge_expired, data_requests_purge_unconfirmed

    return {
        "exports": data_exports_purge_expired(),
        "unconfirmed_requests": data_requests_purge_unconfirmed(),
    }
