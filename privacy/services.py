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
"""

import hashlib
import hmac
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from guard.models import GuardEvent
from mail.services import mail_send
from privacy import tasks
from privacy.models import DataRequest
from security.audit import Action, audit_record
from tickets.links import LinkExpired
from tickets.models import Attachment, Message, Ticket, private_storage
from tickets.services import TicketError

logger = logging.getLogger(__name__)

CONFIRM_SALT = "privacy.services.confirm"
EXPORT_SALT = "privacy.services.export"
EMAIL_HASH_SALT = "privacy.services.email"
CONFIRM_LINK_MAX_AGE = timedelta(days=1)
EXPORT_LINK_MAX_AGE = timedelta(days=7)
EXPORT_FORMAT = "wallet-support-export/1"
OPEN_STATES = (DataRequest.State.AWAITING, DataRequest.State.CONFIRMED)


def email_normalized(email: str) -> str:
    return email.strip().lower()


def email_fingerprint(email: str) -> str:
    """A keyed hash of the address (SECRET_KEY): it matches the same address again, but a list
    of likely addresses cannot be hashed to find it without the key."""
    return salted_hmac(EMAIL_HASH_SALT, email_normalized(email), algorithm="sha256").hexdigest()


# --- reads ---------------------------------------------------------------------------------


def customer_tickets(*, email: str) -> QuerySet[Ticket]:
    """Every ticket filed from this address, in any letter case (an indexed lookup)."""
    return Ticket.objects.filter(customer_email__iexact=email_normalized(email))


def customer_holds_data(*, email: str) -> bool:
    """Whether the desk holds anything for this address: tickets, refusals or an old request."""
    email = email_normalized(email)
    return (
        customer_tickets(email=email).exists()
        or GuardEvent.objects.filter(customer_email__iexact=email).exists()
        or DataRequest.objects.filter(email_hash=email_fingerprint(email))
        .exclude(email="")
        .exists()
    )


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def customer_data_export(*, email: str) -> dict:
    """Everything held for this address, as the customer may read it: tickets with their
    evidence, the conversation without internal notes, attachments by name and size, chats,
    ratings and refused secrets (kind and place only, as stored). Five queries."""
    email = email_normalized(email)
    tickets = list(
        customer_tickets(email=email).select_related("conversation").order_by("created_at", "id")
    )
    ticket_ids = [ticket.pk for ticket in tickets]
    messages = defaultdict(list)
    for message in (
        Message.objects.filter(ticket_id__in=ticket_ids, is_internal=False)
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("id")
    ):
        messages[message.ticket_id].append(
            {
                "sent_at": _when(message.created_at),
                "author": message.author_kind,
                "channel": message.channel,
                "text": message.body,
                "attachments": [
                    {"name": file.name, "size": file.size, "content_type": file.content_type}
                    for file in message.attachments.all()
                ],
            }
        )
    refusals = (
        GuardEvent.objects.filter(
            Q(ticket_id__in=ticket_ids) | Q(ticket__isnull=True, customer_email__iexact=email)
        )
        .select_related("ticket")
        .order_by("created_at", "id")
    )
    return {
        "format": EXPORT_FORMAT,
        "generated_at": _when(timezone.now()),
        "email": email,
        "tickets": [_ticket_export(ticket, messages[ticket.pk]) for ticket in tickets],
        "refused_secrets": [
            {
                "at": _when(event.created_at),
                "kind": event.kind,
                "where": event.source,
                "field": event.field,
                "ticket": event.ticket.reference if event.ticket else None,
            }
            for event in refusals
        ],
    }


def _ticket_export(ticket: Ticket, messages: list[dict]) -> dict:
    chat = None
    if hasattr(ticket, "conversation"):
        conversation = ticket.conversation
        chat = {
            "name": conversation.visitor_name,
            "status": conversation.status,
            "started_at": _when(conversation.queued_at),
            "accepted_at": _when(conversation.accepted_at),
            "closed_at": _when(conversation.closed_at),
            "rating": conversation.rating,
            "transcript": [message for message in messages if message["channel"] == "chat"],
        }
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "problem_type": ticket.problem_type,
        "channel": ticket.channel,
        "status": ticket.status,
        "language": ticket.language,
        "created_at": _when(ticket.created_at),
        "last_activity_at": _when(ticket.updated_at),
        "resolved_at": _when(ticket.resolved_at),
        "closed_at": _when(ticket.closed_at),
        "contact": {
            "email": ticket.customer_email,
            "name": ticket.customer_name,
            "wallet_account_id": ticket.wallet_account_id,
        },
        "evidence": ticket.evidence,
        "transaction": {"hash": ticket.transaction_hash, "network": ticket.transaction_network}
        if ticket.transaction_hash
        else None,
        "rating": {"score": ticket.satisfaction_rating, "comment": ticket.satisfaction_comment}
        if ticket.satisfaction_rating is not None
        else None,
        "messages": messages,
        "chat": chat,
    }


# --- links ---------------------------------------------------------------------------------


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:20]


def _absolute(path: str) -> str:
    return settings.SUPPORT_SITE_URL.rstrip("/") + path


def confirmation_url(data_request: DataRequest) -> str:
    token = signing.dumps(
        {"r": data_request.pk, "c": _fingerprint(data_request.confirmation_key)},
        salt=CONFIRM_SALT,
    )
    return _absolute(reverse("privacy:confirm", args=[token]))


def export_url(data_request: DataRequest) -> str:
    token = signing.dumps(
        {"r": data_request.pk, "f": _fingerprint(data_request.export_file.name)},
        salt=EXPORT_SALT,
    )
    return _absolute(reverse("privacy:export", args=[token]))


def _from_token(token: str, *, salt: str, max_age: timedelta) -> tuple[DataRequest, dict] | None:
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as expired:
        raise LinkExpired from expired
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), int):
        return None
    data_request = DataRequest.objects.filter(pk=payload["r"]).first()
    if data_request is None:
        return None
    return data_request, payload


def data_request_from_confirmation_link(token: str) -> DataRequest | None:
    """The request a confirmation link is for; None when forged; LinkExpired when too old."""
    found = _from_token(token, salt=CONFIRM_SALT, max_age=CONFIRM_LINK_MAX_AGE)
    if found is None:
        return None
    data_request, payload = found
    expected = _fingerprint(data_request.confirmation_key)
    if not hmac.compare_digest(str(payload.get("c")), expected):
        return None
    return data_request


def data_request_from_export_link(token: str) -> DataRequest | None:
    """The export a download link opens; None when forged or the file is gone (deleted or
    purged); LinkExpired when older than EXPORT_LINK_MAX_AGE."""
    found = _from_token(token, salt=EXPORT_SALT, max_age=EXPORT_LINK_MAX_AGE)
    if found is None:
        return None
    data_request, payload = found
    name = data_request.export_file.name
    if (
        data_request.kind != DataRequest.Kind.EXPORT
        or not name
        or not hmac.compare_digest(str(payload.get("f")), _fingerprint(name))
    ):
        return None
    if not private_storage.exists(name):
        raise LinkExpired
    return data_request


# --- writes --------------------------------------------------------------------------------


def data_request_ask(*, email: str, kind: str, language: str) -> DataRequest | None:
    """Record a customer's request and mail them the confirmation link, only when the desk
    holds data for the address. The caller answers the same either way; asking again reuses
    the open request and mails its link again."""
    if kind not in DataRequest.Kind.values:
        raise TicketError(str(_("Choose an export or a deletion.")), code="invalid_kind")
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
    data_exports_purge_expired()
    written: list[str] = []
    try:
        with transaction.atomic():
            data_request = DataRequest.objects.select_for_update().get(pk=data_request.pk)
            if data_request.status != DataRequest.State.CONFIRMED:
                raise TicketError(
                    str(_("Only a confirmed request can be carried out; this one is %(status)s."))
                    % {"status": data_request.get_status_display()},
                    code="not_confirmed",
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
        raise TicketError(
            str(_("This request is already %(status)s."))
            % {"status": data_request.get_status_display()},
            code="not_open",
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
    _total, deleted = Ticket.objects.filter(pk__in=ticket_ids).delete()
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
    return {
        "tickets": deleted.get("tickets.Ticket", 0),
        "messages": deleted.get("tickets.Message", 0),
        "attachments": deleted.get("tickets.Attachment", 0),
        "chats": deleted.get("livechat.Conversation", 0),
        "ticket_events": deleted.get("tickets.TicketEvent", 0),
        "webhook_deliveries": deleted.get("tickets.WebhookDelivery", 0),
        "refused_secrets": deleted.get("tickets.GuardEvent", 0) + refusals,
        "admin_history": history,
        "exports": len(exports),
    }


def _files_remove(names: Iterable[str]) -> None:
    for name in names:
        if name:
            private_storage.delete(name)


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


def data_request_confirmation_send(data_request: DataRequest) -> None:
    _mail(
        data_request,
        template="privacy_confirm",
        context={
            "confirm_url": confirmation_url(data_request),
            "hours": int(CONFIRM_LINK_MAX_AGE.total_seconds() // 3600),
        },
    )


def data_export_ready_send(data_request: DataRequest) -> None:
    _mail(
        data_request,
        template="privacy_export",
        context={"download_url": export_url(data_request), "days": EXPORT_LINK_MAX_AGE.days},
    )
