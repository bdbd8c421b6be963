"""A customer's data: a copy on request, or its deletion (issue #8).

Customers have no accounts: a customer is the address they wrote from. On /privacy/ they ask for
an export or a deletion; a `DataRequest` is recorded and a confirmation link mailed only when the
desk holds something for that address, and the page answers the same either way. Once the
customer confirms, an admin carries the request out: an export is a JSON file under
MEDIA_ROOT/exports offered through a signed link for EXPORT_LINK_MAX_AGE; a deletion removes the
customer's tickets and everything hanging off them (files after commit) and leaves the request
with only a keyed hash of the address.

The address never travels in a link, a task's arguments or a log line (links carry a request
id and a key's fingerprint; tasks take ids), and the audit log gets counts, not content.

Here are the writes and the mail; the reads are in privacy.selectors, the signed links in
privacy.links. What outlives its link (an export file, an unconfirmed request) is purged every
hour by privacy.tasks.purge_data_requests, and also on the way through data_request_ask and
data_request_carry_out, so the promise holds where beat does not run.
"""

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import DeskError
from guard.models import GuardEvent
from mail.services import mail_send
from privacy import tasks
from privacy.error_codes import PrivacyErrorCode
from privacy.links import CONFIRM_LINK_MAX_AGE, EXPORT_LINK_MAX_AGE, confirmation_url, export_url
from privacy.models import OPEN_STATES, DataRequest
from privacy.selectors import (
    customer_data_export,
    customer_holds_data,
    customer_tickets,
    email_fingerprint,
    email_normalized,
)
from security.audit import Action, audit_record
from tickets.models import (
    Attachment,
    Message,
    Ticket,
    TicketEvent,
    WebhookDelivery,
    private_storage,
)
from webhooks.services import deliveries_forget_tickets

logger = logging.getLogger(__name__)


class PrivacyError(DeskError):
    """A data request refused, with a message for the customer or the admin (PrivacyErrorCode)."""


def data_request_ask(*, email: str, kind: str, language: str) -> DataRequest | None:
    """Record a customer's request and mail them the confirmation link, only when the desk
    holds data for the address. The caller answers the same either way; asking again reuses
    the open request and mails its link again."""
    if kind not in DataRequest.Kind.values:
        raise PrivacyError(
            str(_("Choose an export or a deletion.")), code=PrivacyErrorCode.INVALID_KIND
        )
    # Beat purges every hour too; this one indexed delete keeps the promise without beat.
    data_requests_purge_unconfirmed()
    email = email_normalized(email)
    if not customer_holds_data(email=email):
        return None
    email_hash = email_fingerprint(email)
    with transaction.atomic():
        open_request = _open_request(kind=kind, email_hash=email_hash)
        if open_request is None:
            try:
                with transaction.atomic():
                    open_request = DataRequest.objects.create(
                        kind=kind, email=email, email_hash=email_hash, language=language
                    )
            except IntegrityError:
                # Asked twice at the same moment: the other request won.
                open_request = _open_request(kind=kind, email_hash=email_hash)
        elif open_request.status == DataRequest.State.AWAITING:
            # A fresh link for an old request: it stays until this one expires too.
            open_request.requested_at = timezone.now()
            open_request.language = language
            open_request.save(update_fields=["requested_at", "language"])
        pk = open_request.pk
        transaction.on_commit(lambda: tasks.send_data_request_confirmation.delay(pk))
    logger.info("data request %s (%s) asked for", pk, kind)
    return open_request


def _open_request(*, kind: str, email_hash: str) -> DataRequest | None:
    return (
        DataRequest.objects.select_for_update()
        .filter(kind=kind, email_hash=email_hash, status__in=OPEN_STATES)
        .first()
    )


@transaction.atomic
def data_request_confirm(*, data_request: DataRequest) -> DataRequest:
    """The customer confirmed through the mailed link; confirming again changes nothing."""
    data_request = DataRequest.objects.select_for_update().get(pk=data_request.pk)
    if data_request.status == DataRequest.State.AWAITING:
        data_request.status = DataRequest.State.CONFIRMED
        data_request.confirmed_at = timezone.now()
        data_request.save(update_fields=["status", "confirmed_at"])
        logger.info("data request %s confirmed", data_request.pk)
    return data_request


def data_request_carry_out(
    *,
    data_request: DataRequest,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> DataRequest:
    """An admin carries out a confirmed request: the export is written and its link mailed, or
    the customer's data is deleted. Audited with counts only."""
    # As in data_request_ask: one small query, so the promise holds without beat too.
    data_exports_purge_expired()
    written: list[str] = []
    try:
        with transaction.atomic():
            data_request = DataRequest.objects.select_for_update().get(pk=data_request.pk)
            if data_request.status != DataRequest.State.CONFIRMED:
                raise PrivacyError(
                    str(_("Only a confirmed request can be carried out; this one is %(status)s."))
                    % {"status": data_request.get_status_display()},
                    code=PrivacyErrorCode.NOT_CONFIRMED,
                )
            if data_request.kind == DataRequest.Kind.EXPORT:
                counts = _export_write(data_request, written)
                action = Action.EXPORT
                pk = data_request.pk
                transaction.on_commit(lambda: tasks.send_data_export_ready.delay(pk))
            else:
                counts = _customer_data_delete(data_request, actor=actor)
                action = Action.DELETE
            data_request.status = DataRequest.State.DONE
            data_request.completed_at = timezone.now()
            data_request.carried_out_by = actor
            data_request.summary = counts
            data_request.save(update_fields=["status", "completed_at", "carried_out_by", "summary"])
            audit_record(
                action,
                actor=actor,
                request=request,
                target=f"data request {data_request.pk}",
                detail={"data_request": data_request.pk, **counts},
            )
    except BaseException:
        # The export file of a transaction that did not commit.
        _files_remove(written)
        raise
    logger.info("data request %s (%s) carried out: %s", data_request.pk, data_request.kind, counts)
    return data_request


@transaction.atomic
def data_request_refuse(*, data_request: DataRequest, actor: AbstractBaseUser) -> DataRequest:
    """Close an open request without carrying it out (a duplicate, or one that is not genuine)."""
    data_request = DataRequest.objects.select_for_update().get(pk=data_request.pk)
    if not data_request.is_open:
        raise PrivacyError(
            str(_("This request is already %(status)s."))
            % {"status": data_request.get_status_display()},
            code=PrivacyErrorCode.NOT_OPEN,
        )
    data_request.status = DataRequest.State.REFUSED
    data_request.completed_at = timezone.now()
    data_request.carried_out_by = actor
    data_request.save(update_fields=["status", "completed_at", "carried_out_by"])
    audit_record(
        Action.DATA_REQUEST_REFUSED,
        actor=actor,
        target=f"data request {data_request.pk}",
        detail={"kind": data_request.kind},
    )
    return data_request


def _export_write(data_request: DataRequest, written: list[str]) -> dict[str, int]:
    export = customer_data_export(email=data_request.email)
    content = json.dumps(export, ensure_ascii=False, indent=2, sort_keys=True).encode()
    data_request.export_file.save("export.json", ContentFile(content), save=False)
    written.append(data_request.export_file.name)
    data_request.save(update_fields=["export_file"])
    tickets = export["tickets"]
    return {
        "tickets": len(tickets),
        "messages": sum(len(ticket["messages"]) for ticket in tickets),
        "attachments": sum(
            len(message["attachments"]) for ticket in tickets for message in ticket["messages"]
        ),
        "chats": sum(1 for ticket in tickets if ticket["chat"]),
        "refused_secrets": len(export["refused_secrets"]),
        "bytes": len(content),
    }


def _customer_data_delete(data_request: DataRequest, *, actor: AbstractBaseUser) -> dict[str, int]:
    """Delete every row holding the address or hanging off its tickets, within the caller's
    transaction; the files go once it commits. Only the audit log keeps the references."""
    email = data_request.email
    email_hash = data_request.email_hash
    ticket_ids = list(customer_tickets(email=email).values_list("pk", flat=True))
    files = list(
        Attachment.objects.filter(message__ticket_id__in=ticket_ids).values_list("file", flat=True)
    )
    same_address = DataRequest.objects.filter(email_hash=email_hash)
    exports = list(same_address.exclude(export_file="").values_list("export_file", flat=True))
    # The admin's change history names a ticket by its subject, which the customer wrote.
    history, _by_model = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket),
        object_id__in=[str(pk) for pk in ticket_ids],
    ).delete()
    references = list(Ticket.objects.filter(pk__in=ticket_ids).values_list("reference", flat=True))
    _total, deleted = Ticket.objects.filter(pk__in=ticket_ids).delete()
    event_deliveries = deliveries_forget_tickets(references=references)
    refusals, _by_model = GuardEvent.objects.filter(customer_email__iexact=email).delete()
    now = timezone.now()
    # Other open requests for the address have nothing left to act on.
    same_address.filter(status__in=OPEN_STATES).exclude(pk=data_request.pk).update(
        status=DataRequest.State.REFUSED, completed_at=now, carried_out_by=actor
    )
    same_address.update(email="", export_file="")
    data_request.email = ""
    data_request.export_file = ""
    removed = [*files, *exports]
    transaction.on_commit(lambda: _files_remove(removed))
    # Counted by model label, as Django's delete() reports them (a chat is livechat's, an app
    # above this one, so it is named rather than imported).
    return {
        "tickets": deleted.get(Ticket._meta.label, 0),
        "messages": deleted.get(Message._meta.label, 0),
        "attachments": deleted.get(Attachment._meta.label, 0),
        "chats": deleted.get("livechat.Conversation", 0),
        "ticket_events": deleted.get(TicketEvent._meta.label, 0),
        "webhook_deliveries": deleted.get(WebhookDelivery._meta.label, 0),
        "event_webhook_deliveries": event_deliveries,
        "refused_secrets": deleted.get(GuardEvent._meta.label, 0) + refusals,
        "admin_history": history,
        "exports": len(exports),
    }


def _files_remove(names: Iterable[str]) -> None:
    for name in names:
        if name:
            private_storage.delete(name)


# --- purges (hourly on beat: privacy.tasks.purge_data_requests) ----------------------------


def data_exports_purge_expired(*, now: datetime | None = None) -> int:
    """Delete export files whose links have expired (a day's grace for a late mail)."""
    cutoff = (now or timezone.now()) - EXPORT_LINK_MAX_AGE - timedelta(days=1)
    expired = DataRequest.objects.filter(
        kind=DataRequest.Kind.EXPORT, completed_at__lt=cutoff
    ).exclude(export_file="")
    names = list(expired.values_list("export_file", flat=True))
    expired.update(export_file="")
    _files_remove(names)
    return len(names)


def data_requests_purge_unconfirmed(*, now: datetime | None = None) -> int:
    """Forget requests never confirmed once their link has expired: they hold an address."""
    cutoff = (now or timezone.now()) - CONFIRM_LINK_MAX_AGE
    deleted, _by_model = DataRequest.objects.filter(
        status=DataRequest.State.AWAITING, requested_at__lt=cutoff
    ).delete()
    return deleted


# --- mail ----------------------------------------------------------------------------------


def _mail(data_request: DataRequest, *, template: str, context: dict) -> None:
    """A privacy mail in the customer's language, plain text and HTML."""
    mail_send(
        template=f"privacy/email/{template}",
        context={"data_request": data_request, **context},
        to=data_request.email,
        language=data_request.language,
    )


def data_request_confirmation_send(*, data_request: DataRequest) -> None:
    _mail(
        data_request,
        template="privacy_confirm",
        context={
            "confirm_url": confirmation_url(data_request=data_request),
            "hours": int(CONFIRM_LINK_MAX_AGE.total_seconds() // 3600),
        },
    )


def data_export_ready_send(*, data_request: DataRequest) -> None:
    _mail(
        data_request,
        template="privacy_export",
        context={
            "download_url": export_url(data_request=data_request),
            "days": EXPORT_LINK_MAX_AGE.days,
        },
    )
