"""The email channel's writes: an incoming email becomes a ticket, or a reply on its ticket.

Both ways in end in `inbound_email_receive`: the IMAP task (`mailbox_fetch`, run by Celery
beat) and the `receive_email` command a mail server pipes each message to. Tickets and replies
go through tickets.services, so routing, SLA clocks and notifications apply as on the web.

A reply lands on an existing ticket only when its sender is the ticket's customer: the From
header is easy to forge, so a message naming someone else's ticket (in its subject or its
threading headers) becomes a new ticket of its own, with a note for the agent, and never an
addition to the other customer's conversation.
"""

import contextlib
import hashlib
import imaplib
import logging
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import getaddresses

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guard.detect import SecretKind, scan_conversation
from guard.models import GuardEvent
from guard.refusals import Refusal, refuse_secrets
from guard.services import refusals_record
from inbound import parse as inbound
from inbound import tasks
from inbound.models import InboundEmail
from inbound.parse import AutomaticKind, ParsedEmail
from mail.services import mail_domain, mail_send, message_id
from security.ratelimit import rate_limit_hit_client
from tickets import selectors, services
from tickets import tasks as ticket_tasks
from tickets.error_codes import TicketErrorCode
from tickets.forms import DESCRIPTION_MAX_LENGTH
from tickets.models import REFERENCE_ALPHABET, AuthorKind, Channel, Message, ProblemType, Ticket
from tickets.validators import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    check_attachment,
    safe_filename,
)

logger = logging.getLogger(__name__)

Outcome = InboundEmail.Outcome
SUBJECT_MAX_LENGTH = Ticket._meta.get_field("subject").max_length
# The guard reads a little past the length kept, so a secret astride the cut is removed whole
# rather than kept in part.
_SCANNED_CHARS = DESCRIPTION_MAX_LENGTH + 2_000
_REPLY_PREFIX_RE = re.compile(
    r"^\s*((re|fw|fwd|aw|sv|答复|回复|转发|回覆|轉寄)\s*(\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE
)


@dataclass(frozen=True)
class InboundResult:
    outcome: str
    ticket: Ticket | None = None
    duplicate: bool = False


def inbound_email_receive(*, raw: bytes, size: int | None = None) -> InboundResult:
    """File one raw email, once: a message seen before (by Message-ID, else by its bytes)
    changes nothing. `size` is the whole message's size when `raw` holds only its start."""
    size = len(raw) if size is None else size
    too_large = size > inbound.MAX_MESSAGE_BYTES
    try:
        parsed = inbound.parse_email(raw, headers_only=too_large)
    except inbound.UnreadableEmail as error:
        logger.warning("inbound email unreadable: %s", error)
        return _record_unreadable(raw=raw, size=size)
    key = inbound.dedupe_key(message_id=parsed.message_id, raw=raw)
    if InboundEmail.objects.filter(dedupe_key=key).exists():
        return _duplicate(key)
    try:
        with transaction.atomic():
            record = InboundEmail.objects.create(
                dedupe_key=key,
                message_id=parsed.message_id if len(parsed.message_id) <= 255 else "",
                raw_sha256=inbound.dedupe_key(message_id="", raw=raw),
                size=min(size, 2**31 - 1),
                outcome=Outcome.UNREADABLE,
            )
            result = _file(parsed, record, too_large=too_large)
            record.outcome = result.outcome
            record.ticket = result.ticket
            record.save(update_fields=["outcome", "ticket", "ticket_message"])
    except IntegrityError:
        # The same message, processed at this moment by another worker.
        if InboundEmail.objects.filter(dedupe_key=key).exists():
            return _duplicate(key)
        raise
    logger.info(
        "inbound email #%s: %s (ticket %s)",
        record.pk,
        result.outcome,
        result.ticket.reference if result.ticket else "-",
    )
    return result


def _duplicate(key: str) -> InboundResult:
    record = InboundEmail.objects.select_related("ticket").get(dedupe_key=key)
    logger.info("inbound email #%s seen before, skipped", record.pk)
    return InboundResult(record.outcome, record.ticket, duplicate=True)


def _record_unreadable(*, raw: bytes, size: int) -> InboundResult:
    """Remembered by its bytes, so the IMAP task flags it and moves on."""
    raw_sha256 = inbound.dedupe_key(message_id="", raw=raw)
    _record, created = InboundEmail.objects.get_or_create(
        dedupe_key=raw_sha256,
        defaults={
            "raw_sha256": raw_sha256,
            "size": min(size, 2**31 - 1),
            "outcome": Outcome.UNREADABLE,
        },
    )
    return InboundResult(Outcome.UNREADABLE, duplicate=not created)


def _file(parsed: ParsedEmail, record: InboundEmail, *, too_large: bool) -> InboundResult:
    if parsed.sender_email.lower() in _own_addresses():
        # Our own notices, when the support inbox is also the mailbox read here: no loops.
        return InboundResult(Outcome.OWN)
    if parsed.automatic:
        kind = Outcome.BOUNCE if parsed.automatic == AutomaticKind.BOUNCE else Outcome.AUTO_REPLY
        return InboundResult(kind)
    if too_large:
        transaction.on_commit(lambda: _send_too_large_notice(parsed))
        return InboundResult(Outcome.TOO_LARGE)
    ticket, foreign = _matching_ticket(parsed)
    if ticket is not None:
        try:
            message = _reply(ticket, parsed, record)
        except services.TicketError as error:
            if error.code != TicketErrorCode.CLOSED:
                raise
            with translation.override(settings.LANGUAGE_CODE):
                note = _(
                    "This email answers %(reference)s, which is closed, so it opened a new ticket."
                ) % {"reference": ticket.reference}
            return _new_ticket(parsed, record, note=note)
        return InboundResult(Outcome.REPLY, message.ticket)
    note = ""
    if foreign is not None:
        with translation.override(settings.LANGUAGE_CODE):
            note = _(
                "This email refers to %(reference)s, but it comes from another address than "
                "that ticket's customer, so it was not added there. Treat it as a separate "
                "request; the sender address may be forged."
            ) % {"reference": foreign.reference}
    return _new_ticket(parsed, record, note=note)


def _own_addresses() -> set[str]:
    own = {settings.SUPPORT_INBOX_EMAIL, settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL}
    return {address.lower() for _name, address in getaddresses(list(own)) if address}


# --- matching a reply to its ticket ---------------------------------------------------------


def _our_message_id_re() -> re.Pattern[str]:
    """Message-IDs we send: the thread id <ticket.ws-xxxxxxxx@domain> and each mail's own
    <...ws-xxxxxxxx@domain> (tickets.emails)."""
    return re.compile(
        rf"<[^<>@]*\.(ws-[{REFERENCE_ALPHABET}]{{8}})@{re.escape(mail_domain())}>",
        re.IGNORECASE,
    )


def _matching_ticket(parsed: ParsedEmail) -> tuple[Ticket | None, Ticket | None]:
    """The ticket a reply belongs to (threading headers first, then the subject), and a ticket
    it named that belongs to another address."""
    ours = _our_message_id_re()
    references = [m[1].upper() for mid in parsed.thread_ids if (m := ours.fullmatch(mid))]
    answered = dict(
        InboundEmail.objects.filter(message_id__in=parsed.thread_ids, ticket__isnull=False)
        .values_list("message_id", "ticket__reference")
        .order_by("id")
    )
    references += [answered[mid] for mid in parsed.thread_ids if mid in answered]
    references += parsed.subject_references
    references = list(dict.fromkeys(references))
    tickets = Ticket.objects.in_bulk(references, field_name="reference")
    foreign = None
    for reference in references:
        ticket = tickets.get(reference)
        if ticket is None:
            continue
        if ticket.customer_email.lower() == parsed.sender_email.lower():
            return ticket, None
        foreign = foreign or ticket
    return None, foreign


# --- writing --------------------------------------------------------------------------------


def _reply(ticket: Ticket, parsed: ParsedEmail, record: InboundEmail) -> Message:
    previous = selectors.customer_recent_texts(ticket=ticket)
    with translation.override(ticket.language):
        fields, refusals = _without_secrets(
            {"body": parsed.body[:_SCANNED_CHARS]}, previous=previous
        )
        attachments, refused = _checked_attachments(parsed)
        body = _body_with_notes(fields["body"], refused, cut=len(parsed.body) > _SCANNED_CHARS)
    message = services.message_post_customer(
        ticket=ticket, body=body, attachments=attachments, channel=Channel.EMAIL
    )
    record.ticket_message = message
    _guard_follow_up(message.ticket, refusals, parsed.sender_email)
    return message


def _new_ticket(parsed: ParsedEmail, record: InboundEmail, *, note: str) -> InboundResult:
    # A sender address is easy to forge: new tickets per address are limited like the contact
    # form's per session, so nobody can file dozens in someone's name and flood their inbox.
    sender_key = "email:" + hashlib.sha256(parsed.sender_email.lower().encode()).hexdigest()
    if rate_limit_hit_client("contact", address=None, session_key=sender_key):
        logger.warning("inbound email #%s: too many new tickets from one sender", record.pk)
        return InboundResult(Outcome.RATE_LIMITED)
    with translation.override(parsed.language):
        fields, refusals = _without_secrets(
            {
                "subject": _subject(parsed),
                "body": parsed.body[:_SCANNED_CHARS],
                "name": parsed.sender_name,
            }
        )
        attachments, refused = _checked_attachments(parsed)
        body = _body_with_notes(fields["body"], refused, cut=len(parsed.body) > _SCANNED_CHARS)
    ticket = services.ticket_create(
        problem_type=ProblemType.OTHER,
        channel=Channel.EMAIL,
        subject=fields["subject"][:SUBJECT_MAX_LENGTH],
        description=body,
        customer_email=parsed.sender_email,
        customer_name=fields["name"][:100],
        language=parsed.language,
        attachments=attachments,
    )
    record.ticket_message = ticket.messages.order_by("id").first()
    if note:
        _internal_note(ticket, note)
    _guard_follow_up(ticket, refusals, parsed.sender_email)
    return InboundResult(Outcome.NEW_TICKET, ticket)


def _subject(parsed: ParsedEmail) -> str:
    subject = _REPLY_PREFIX_RE.sub("", parsed.subject).strip()
    if not subject:
        first_line = next((line for line in parsed.body.splitlines() if line.strip()), "")
        subject = first_line.strip()[:80]
    return subject or _("(no subject)")


def _internal_note(ticket: Ticket, text: str) -> Message:
    """A note for the agents only, from the desk itself."""
    return Message.objects.create(
        ticket=ticket,
        author_kind=AuthorKind.SYSTEM,
        body=text,
        channel=Channel.EMAIL,
        is_internal=True,
    )


_REMOVED = {
    SecretKind.RECOVERY_PHRASE: lambda: _("[removed: recovery phrase]"),
    SecretKind.PRIVATE_KEY: lambda: _("[removed: private key]"),
    SecretKind.CARD_NUMBER: lambda: _("[removed: card number]"),
}


def _without_secrets(
    fields: dict[str, str], *, previous: Sequence[str] = ()
) -> tuple[dict[str, str], list[Refusal]]:
    """The fields with every secret replaced by a note saying what was removed (in the active
    language), and what was refused; the guard is the one every form uses. `previous`: the
    sender's last messages on the ticket, so the part of a split secret in this mail goes."""
    refusals = refuse_secrets(fields, previous=previous)
    cleaned = dict(fields)
    for name in {refusal.field for refusal in refusals}:
        text = fields[name]
        pieces, position = [], 0
        for finding in scan_conversation([*previous, text]):
            if finding.end <= position:  # inside a secret already removed
                continue
            pieces += [text[position : max(position, finding.start)], _REMOVED[finding.kind]()]
            position = finding.end
        cleaned[name] = "".join([*pieces, text[position:]])
    return cleaned, refusals


def _guard_follow_up(ticket: Ticket, refusals: list[Refusal], sender: str) -> None:
    """Count what was removed (kind and field only) and warn the sender in their language."""
    if not refusals:
        return
    refusals_record(refusals, source=GuardEvent.Source.EMAIL, ticket=ticket, customer_email=sender)
    kinds = list(dict.fromkeys(str(refusal.kind) for refusal in refusals))
    transaction.on_commit(lambda: ticket_tasks.send_guard_warning.delay(ticket.pk, kinds))


def _checked_attachments(
    parsed: ParsedEmail,
) -> tuple[list[services.NewAttachment], list[str]]:
    """The files that pass the contact form's checks, and a line per refused file."""
    accepted, refused = [], []
    for attachment in parsed.attachments:
        upload = SimpleUploadedFile(attachment.name, attachment.content)
        name = safe_filename(attachment.name)
        if len(accepted) >= MAX_ATTACHMENTS:
            problem = ngettext(
                "Attach at most %(max)d file.", "Attach at most %(max)d files.", MAX_ATTACHMENTS
            ) % {"max": MAX_ATTACHMENTS}
            refused.append(_("“%(name)s”: %(problem)s") % {"name": name, "problem": problem})
            continue
        try:
            checked = check_attachment(upload)
        except ValidationError as error:
            for problem in error.error_list:
                text = problem.message % problem.params if problem.params else problem.message
                refused.append(_("“%(name)s”: %(problem)s") % {"name": name, "problem": text})
        else:
            accepted.append(services.NewAttachment(upload=upload, checked=checked))
    return accepted, refused


def _body_with_notes(body: str, refused: list[str], *, cut: bool) -> str:
    body = body.strip() or _("(The email had no text.)")
    if cut or len(body) > DESCRIPTION_MAX_LENGTH:
        limit = DESCRIPTION_MAX_LENGTH
        for removed in _REMOVED.values():  # never cut a "[removed: ...]" note in half
            note = removed()
            start = body.find(note, max(0, limit - len(note) + 1))
            if -1 < start < limit:
                limit = start + len(note)
        body = (
            body[:limit].rstrip()
            + "\n\n"
            + _("[The rest of this email was cut: it was longer than %(max)s characters.]")
            % {"max": DESCRIPTION_MAX_LENGTH}
        )
    notes = [_("[File not attached: %(reason)s]") % {"reason": reason} for reason in refused]
    return "\n\n".join([body, *notes]) if notes else body


def _send_too_large_notice(parsed: ParsedEmail) -> None:
    # The notice quotes the subject back: never a secret typed in it.
    with translation.override(parsed.language):
        subject = _without_secrets({"subject": parsed.subject})[0]["subject"]
    tasks.send_too_large_notice.delay(
        parsed.sender_email, parsed.language, subject, parsed.message_id
    )


def too_large_notice_send(*, to: str, language: str, subject: str, in_reply_to: str) -> None:
    """Answer an email too large to accept (no ticket was opened), in the sender's language."""
    headers = {
        "Message-ID": message_id(),
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
    }
    if in_reply_to:
        headers.update({"In-Reply-To": in_reply_to, "References": in_reply_to})
    mail_send(
        template="tickets/email/too_large",
        context={
            "language": language,
            "subject": subject,
            "max_mb": inbound.MAX_MESSAGE_BYTES // (1024 * 1024),
            "file_mb": MAX_ATTACHMENT_BYTES // (1024 * 1024),
            "max_files": MAX_ATTACHMENTS,
            "contact_url": settings.SUPPORT_SITE_URL.rstrip("/") + reverse("tickets:contact"),
        },
        to=to,
        language=language,
        headers=headers,
    )


# --- the IMAP mailbox -----------------------------------------------------------------------

IMAP_TIMEOUT_SECONDS = 30
IMAP_BATCH = 50
_SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """The mailbox refused a command (log-in, folder): settings to fix, not worth a retry."""


def _imap_connect() -> imaplib.IMAP4:
    host, port = settings.IMAP_HOST, settings.IMAP_PORT
    if settings.IMAP_USE_SSL:
        context = ssl.create_default_context()
        return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=IMAP_TIMEOUT_SECONDS)
    return imaplib.IMAP4(host, port, timeout=IMAP_TIMEOUT_SECONDS)


def _ok(response: tuple[str, list]) -> list:
    status, data = response
    if status != "OK":
        raise MailboxError(f"IMAP answered {status}")
    return data


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailbox_fetch(*, limit: int = IMAP_BATCH) -> dict[str, int]:
    """Read the unseen mail of the IMAP folder: each message filed once, then flagged \\Seen.

    Messages are fetched with BODY.PEEK, so one is flagged only after it was filed; a crash in
    between leaves it unseen, and the next run finds it already filed (InboundEmail) and only
    flags it. A message that fails for another reason stays unseen and is logged.
    """
    report = {"fetched": 0, "filed": 0, "duplicates": 0, "failed": 0}
    client = _imap_connect()
    try:
        try:
            _ok(client.login(settings.IMAP_USER, settings.IMAP_PASSWORD))
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as error:
            raise MailboxError("IMAP log-in refused") from error
        _ok(client.select(_quoted(settings.IMAP_FOLDER)))
        uids = _ok(client.uid("SEARCH", None, "UNSEEN"))[0].split()[:limit]
        for uid in uids:
            raw, size = _fetch(client, uid)
            if raw is None:
                continue  # expunged meanwhile
            report["fetched"] += 1
            try:
                result = inbound_email_receive(raw=raw, size=size)
            except (OSError, imaplib.IMAP4.abort, OperationalError, InterfaceError):
                raise  # temporary: the task retries, the message stays unseen
            except Exception:
                logger.exception("inbound email (IMAP uid %s) could not be filed", uid.decode())
                report["failed"] += 1
                continue
            report["duplicates" if result.duplicate else "filed"] += 1
            _ok(client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)"))
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return report


def _fetch(client: imaplib.IMAP4, uid: bytes) -> tuple[bytes | None, int]:
    """The message's bytes (only its header when it is too large) and its full size."""
    data = _ok(client.uid("FETCH", uid, "(RFC822.SIZE)"))
    sizes = [_SIZE_RE.search(item) for item in data if isinstance(item, bytes)]
    size = next((int(found[1]) for found in sizes if found), None)
    if size is None:
        return None, 0
    part = "BODY.PEEK[HEADER]" if size > inbound.MAX_MESSAGE_BYTES else "BODY.PEEK[]"
    data = _ok(client.uid("FETCH", uid, f"({part})"))
    raw = next((item[1] for item in data if isinstance(item, tuple)), None)
    return raw, size
