"""Celery tasks of the customers' data requests.

Named as they were before privacy had an app of its own, so a task already queued under the
old name still runs.
"""

from celery import shared_task

from mail.services import MAIL_RETRY, send_once
from privacy.models import DataRequest


# Tasks take the request's id, never the address: a task's arguments reach the broker and
# Celery's own log lines.
@shared_task(name="tickets.privacy.send_data_request_confirmation", **MAIL_RETRY)
def send_data_request_confirmation(self, data_request_id: int) -> None:
    """Mail the confirmation link of a request that is still open."""
    from privacy.services import OPEN_STATES, data_request_confirmation_send  # its own service

    data_request = (
        DataRequest.objects.filter(pk=data_request_id, status__in=OPEN_STATES)
        .exclude(email="")
        .first()
    )
    if data_request is not None:
        send_once(self, lambda: data_request_confirmation_send(data_request))


@shared_task(name="tickets.privacy.send_data_export_ready", **MAIL_RETRY)
def send_data_export_ready(self, data_request_id: int) -> None:
    """Mail the customer the download link of their export."""
    from privacy.services import data_export_ready_send  # the task's own service

    data_request = (
        DataRequest.objects.filter(pk=data_request_id, kind=DataRequest.Kind.EXPORT)
        .exclude(email="")
        .exclude(export_file="")
        .first()
    )
    if data_request is not None:
        send_once(self, lambda: data_export_ready_send(data_request))
