"""Writes of the ticket desk. Each runs in one transaction and queues its side effects on commit."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import Team
from common.errors import DeskError
from guard.agent_messages import agent_message_problem
from security.audit import Action, audit_record
from tickets import publish, signals, sla, tasks
from tickets.error_codes import TicketErrorCode
from tickets.models import (
    Attachment,
    AuthorKind,
    Channel,
    Message,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    new_access_key,
    new_reference,
    private_storage,
)
from tickets.problem_types import PROBLEM_TYPES, problem_type_facts
from tickets.validators import CheckedAttachment

logger = logging.getLogger(__name__)

REFERENCE_ATTEMPTS = 5
UNCHANGED = object()


class TicketError(DeskError):
    """A ticket write refused, with a message for the person who asked (codes: TicketErrorCode)."""


@dataclass(frozen=True)
class NewAttachment:
    """An uploaded file that passed tickets.validators.check_attachment."""

    upload: UploadedFile
    checked: CheckedAttachment


def ticket_create(
    *,
    problem_type: str,
    channel: str,
    subject: str,
    description: str,
    customer_email: str,
    customer_name: str = "",
    wallet_account_id: str = "",
    evidence: dict | None = None,
    transaction_hash: str = "",
    transaction_network: str = "",
    language: str = "en",
    attachments: Sequence[NewAttachment] = (),
    submission_key: UUID | None = None,
    customer: AbstractBaseUser | None = None,
    actor: AbstractBaseUser | None = None,
) -> Ticket:
    """File a ticket with its first message; a repeated submission key returns the first one."""
    if submission_key is not None:
        existing = Ticket.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing
    # An unknown problem type has no row; full_clean below refuses it with the model's message.
    facts = PROBLEM_TYPES.get(problem_type)
    for attempt in range(REFERENCE_ATTEMPTS):
        ticket = Ticket(
            reference=new_reference(),
            submission_key=submission_key,
            problem_type=problem_type,
            channel=channel,
            priority=facts.default_priority if facts else Priority.NORMAL,
            subject=subject,
            customer_email=customer_email,
            customer_name=customer_name,
            customer=customer,
            wallet_account_id=wallet_account_id,
            language=language,
            evidence=evidence or {},
            transaction_hash=transaction_hash,
            transaction_network=transaction_network,
        )
        ticket.full_clean(exclude=["access_key", "reference", "submission_key"])
        author_kind = AuthorKind.AGENT if actor is not None else AuthorKind.CUSTOMER
        try:
            with FilesRemovedOnError() as files, transaction.atomic():
                ticket.save()
                first = message_save(
                    ticket, author_kind, description, channel, attachments, actor, files
                )
                _event(ticket, TicketEvent.Kind.CREATED, new_value=ticket.status, actor=actor)
                signals.ticket_filed.send(sender=Ticket, ticket=ticket)
                publish.ticket_created(ticket, first)
        except IntegrityError:
            if submission_key is not None:
                existing = Ticket.objects.filter(submission_key=submission_key).first()
                if existing is not None:
                    return existing
            if attempt == REFERENCE_ATTEMPTS - 1:
                raise
            continue
        break
    # Routing first: the worker takes it ahead of the mail, which no agent waits for.
    transaction.on_commit(lambda: _queue_routing(ticket))
    transaction.on_commit(lambda: tasks.send_ticket_confirmation.delay(ticket.pk))
    logger.info("ticket %s filed via %s (%s)", ticket.reference, channel, problem_type)
    return ticket


def _queue_routing(ticket: Ticket) -> None:
    queue = problem_type_facts(ticket.problem_type).queue
    tasks.route_ticket.apply_async(args=[ticket.pk], queue=queue)


def message_post_customer(
    *,
    ticket: Ticket,
    body: str,
    attachments: Sequence[NewAttachment] = (),
    channel: str = Channel.WEB,
) -> Message:
    """Add the customer's reply; a ticket waiting for the customer goes back to the team."""
    with FilesRemovedOnError() as files, transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.status == Status.CLOSED:
            raise TicketError(
                str(_("This ticket is closed. Reopen it to write to us again.")),
                code=TicketErrorCode.CLOSED,
            )
        message = message_save(
            ticket, AuthorKind.CUSTOMER, body, channel, attachments, None, stored_files=files
        )
        if ticket.status in {Status.PENDING, Status.RESOLVED}:
            _set_status(ticket, Status.OPEN, actor=None, by="customer")
        else:
            ticket.save(update_fields=["updated_at"])
        _event(ticket, TicketEvent.Kind.REPLIED, new_value=AuthorKind.CUSTOMER)
        transaction.on_commit(lambda: tasks.send_customer_reply_notice.delay(message.pk))
    return message


@transaction.atomic
def message_post_agent(
    *,
    ticket: Ticket,
    author: AbstractBaseUser,
    body: str,
    is_internal: bool = False,
    seen_up_to: int | None = None,
    client_id: UUID | None = None,
) -> Message:
    """An agent's reply (emailed to the customer) or internal note (never shown to them).

    `seen_up_to` is the newest message id on the page the agent answered from: if someone else
    has written since, the reply is refused, so it never silently crosses theirs.
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if client_id is not None:
        # The same form sent twice (a double click, a resubmitted page): stored and sent once.
        sent = Message.objects.filter(ticket=ticket, client_id=client_id).first()
        if sent is not None:
            return sent
    if not body.strip():
        raise TicketError(str(_("Write a message first.")), code=TicketErrorCode.EMPTY)
    if not is_internal and (problem := agent_message_problem(body)):
        raise TicketError(problem, code=TicketErrorCode.AGENT_GUARD)
    if (
        seen_up_to is not None
        and Message.objects.filter(ticket=ticket, id__gt=seen_up_to).exclude(author=author).exists()
    ):
        raise TicketError(
            str(
                _(
                    "Someone wrote on this ticket after you opened it. Read the new message "
                    "below; your draft is kept."
                )
            ),
            code=TicketErrorCode.STALE,
        )
    message = message_save(
        ticket,
        AuthorKind.AGENT,
        body,
        Channel.WEB,
        (),
        author,
        is_internal=is_internal,
        client_id=client_id,
    )
    if not is_internal and ticket.first_responded_at is None:
        # The first agent reply stops the first-response clock.
        ticket.first_responded_at = message.created_at
    if not is_internal and ticket.status == Status.NEW:
        _set_status(ticket, Status.OPEN, actor=author)  # saves the ticket
    ticket.save(update_fields=["first_responded_at", "updated_at"])
    kind_of_reply = "note" if is_internal else AuthorKind.AGENT
    _event(ticket, TicketEvent.Kind.REPLIED, new_value=kind_of_reply, actor=author)
    if not is_internal:
        transaction.on_commit(lambda: tasks.send_agent_reply.delay(message.pk))
        publish.agent_replied(ticket, message)
    return message


@transaction.atomic
def ticket_change_status(
    *, ticket: Ticket, status: str, actor: AbstractBaseUser | None = None
) -> Ticket:
    """Move a ticket along STATUS_TRANSITIONS; an impossible move is refused."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == status:
        return ticket
    if not ticket.can_move_to(status):
        raise TicketError(
            str(
                _("A ticket that is %(current)s cannot become %(new)s.")
                % {"current": ticket.get_status_display(), "new": Status(status).label}
            ),
            code=TicketErrorCode.INVALID_TRANSITION,
        )
    _set_status(ticket, status, actor=actor)
    return ticket


@transaction.atomic
def ticket_reassign(
    *,
    ticket: Ticket,
    actor: AbstractBaseUser | None,
    team: object = UNCHANGED,
    assignee: object = UNCHANGED,
    priority: object = UNCHANGED,
) -> Ticket:
    """Change team, assignee or priority by hand, each change written to the history."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    changes = {"team": team, "assignee": assignee, "priority": priority}
    kinds = {
        "team": TicketEvent.Kind.ROUTED,
        "assignee": TicketEvent.Kind.ASSIGNED,
        "priority": TicketEvent.Kind.PRIORITY,
    }
    changed = []
    for field, value in changes.items():
        if value is UNCHANGED or getattr(ticket, field) == value:
            continue
        old = getattr(ticket, field)
        setattr(ticket, field, value)
        changed.append(field)
        _event(ticket, kinds[field], field, _neutral(old), _neutral(value), actor=actor)
    if changed:
        ticket.save(update_fields=[*changed, "updated_at"])
    moved = {"team", "assignee"} & set(changed)
    if moved and actor is not None:
        audit_record(
            Action.REASSIGN,
            actor=actor,
            ticket_reference=ticket.reference,
            detail={field: getattr(ticket, f"{field}_id") for field in sorted(moved)},
        )
    return ticket


@transaction.atomic
def ticket_merge(*, tickets: Sequence[Ticket], actor: AbstractBaseUser) -> Ticket:
    """Fold duplicate tickets of one customer into the oldest still open: their messages (and
    files) move over in order, each copy is closed with a pointer to it.

    Customers are known only by the address they typed, so anyone could have filed one of the
    copies: the merged ticket gets a new private link, mailed to that address, and every link
    given out before stops working.
    """
    ids = sorted({ticket.pk for ticket in tickets})
    if len(ids) < 2:
        raise TicketError(
            str(_("Choose at least two tickets to merge.")), code=TicketErrorCode.MERGE_NOTHING
        )
    locked = list(
        Ticket.objects.select_for_update().filter(pk__in=ids).order_by("created_at", "id")
    )
    still_open = [ticket for ticket in locked if ticket.is_open]
    if not still_open:
        raise TicketError(
            str(_("All these tickets are solved; reopen the one to keep first.")),
            code=TicketErrorCode.MERGE_ALL_SOLVED,
        )
    target = still_open[0]
    others = [ticket for ticket in locked if ticket.pk != target.pk]
    for other in others:
        if other.customer_email.lower() != target.customer_email.lower():
            raise TicketError(
                str(
                    _("%(reference)s belongs to another customer; only their own tickets merge.")
                    % {"reference": other.reference}
                ),
                code=TicketErrorCode.MERGE_OTHER_CUSTOMER,
            )
        if hasattr(other, "conversation"):
            raise TicketError(
                str(
                    _("%(reference)s is a live chat; merge other tickets into it instead.")
                    % {"reference": other.reference}
                ),
                code=TicketErrorCode.MERGE_CHAT,
            )
    Message.objects.filter(ticket__in=others).update(ticket=target)
    signals.tickets_merged.send(sender=Ticket, target=target, others=others)
    for other in others:
        _event(target, TicketEvent.Kind.MERGED, "reference", "", other.reference, actor=actor)
        _event(other, TicketEvent.Kind.MERGED, "merged_into", "", target.reference, actor=actor)
        if other.status != Status.CLOSED:
            _set_status(other, Status.CLOSED, actor=actor)
    target.access_key = new_access_key()
    target.save(update_fields=["access_key", "updated_at"])
    ticket_send_link(ticket=target)
    audit_record(
        Action.MERGE,
        actor=actor,
        ticket_reference=target.reference,
        detail={"merged": [other.reference for other in others]},
    )
    return target


@transaction.atomic
def ticket_rate(*, ticket: Ticket, rating: int, comment: str = "") -> Ticket:
    """The customer's satisfaction rating, once the ticket is resolved; a new one replaces it."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status not in {Status.RESOLVED, Status.CLOSED}:
        raise TicketError(
            str(_("You can rate the help you received once the ticket is resolved.")),
            code=TicketErrorCode.NOT_RESOLVED,
        )
    if not 1 <= rating <= 5:
        raise TicketError(
            str(_("Choose a rating from 1 to 5.")), code=TicketErrorCode.INVALID_RATING
        )
    old = ticket.satisfaction_rating
    ticket.satisfaction_rating = rating
    ticket.satisfaction_comment = comment
    ticket.save(update_fields=["satisfaction_rating", "satisfaction_comment", "updated_at"])
    _event(ticket, TicketEvent.Kind.RATED, "satisfaction_rating", old or "", rating)
    publish.rating_received(ticket, score=rating, source="ticket", comment=comment)
    return ticket


def ticket_email_verify(*, ticket: Ticket) -> None:
    """The customer opened a link mailed to the ticket's address: it is theirs."""
    if ticket.email_verified_at is None:
        Ticket.objects.filter(pk=ticket.pk, email_verified_at__isnull=True).update(
            email_verified_at=timezone.now()
        )


def ticket_send_link(*, ticket: Ticket) -> None:
    """Mail the customer a fresh private link (their old one expired or was lost)."""
    transaction.on_commit(lambda: tasks.send_ticket_confirmation.delay(ticket.pk))


def message_save(
    ticket: Ticket,
    author_kind: str,
    body: str,
    channel: str,
    attachments: Sequence[NewAttachment],
    author: AbstractBaseUser | None,
    stored_files: list[str] | None = None,
    *,
    is_internal: bool = False,
    client_id: UUID | None = None,
) -> Message:
    """A message and its checked attachments, within the caller's transaction; each file written
    is named in `stored_files` (a FilesRemovedOnError list) so a failure removes it."""
    stored_files = [] if stored_files is None else stored_files
    message = Message.objects.create(
        ticket=ticket,
        author_kind=author_kind,
        author=author,
        body=body,
        channel=channel,
        is_internal=is_internal,
        client_id=client_id,
    )
    for attachment in attachments:
        stored = Attachment(
            message=message,
            name=attachment.checked.safe_name,
            content_type=attachment.checked.content_type,
            size=attachment.checked.size,
            sha256=attachment.checked.sha256,
        )
        attachment.upload.seek(0)
        content = attachment.checked.content
        # An image is stored as check_attachment saved it again, a PDF as it came.
        stored.file.save(
            f"upload{attachment.checked.extension}",
            attachment.upload if content is None else ContentFile(content),
            save=False,
        )
        stored_files.append(stored.file.name)  # before the row: a failed save still removes it
        stored.save()
    return message


class FilesRemovedOnError:
    """Files written inside a transaction that then fails are deleted, so none is orphaned."""

    def __enter__(self) -> list[str]:
        self.names: list[str] = []
        return self.names

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None:
            for name in self.names:
                private_storage.delete(name)


def _set_status(
    ticket: Ticket, status: str, *, actor: AbstractBaseUser | None, by: str = ""
) -> None:
    old = ticket.status
    ticket.status = status
    now = timezone.now()
    reopened = status == Status.OPEN and old in {Status.RESOLVED, Status.CLOSED}
    if status == Status.RESOLVED:
        ticket.resolved_at = now
    elif status == Status.CLOSED:
        ticket.closed_at = now
        # Closed without being resolved first is solved too (the queue and the dashboard ask).
        ticket.resolved_at = ticket.resolved_at or now
    elif status == Status.OPEN:
        ticket.resolved_at = None
        ticket.closed_at = None
    if status == Status.PENDING:
        sla.resolution_clock_pause(ticket, now=now)
    elif old == Status.PENDING:
        sla.resolution_clock_resume(ticket, now=now)
    if reopened:
        ticket.needs_routing = True
        transaction.on_commit(lambda: _queue_routing(ticket))
    ticket.save(
        update_fields=[
            "status",
            "resolved_at",
            "closed_at",
            "resolution_paused_at",
            "resolution_due",
            "resolution_warn_at",
            "needs_routing",
            "updated_at",
        ]
    )
    _event(ticket, TicketEvent.Kind.STATUS, "status", old, status, actor=actor)
    publish.ticket_status_changed(
        ticket, old=old, actor_kind=by or ("agent" if actor is not None else "system")
    )


def _neutral(value: object) -> str:
    """What the history stores for a team or a person: a value that reads the same whoever
    looks, in whatever language (a team's code, a username); the ticket page names it."""
    if value is None:
        return ""
    if isinstance(value, Team):
        return value.code
    if isinstance(value, AbstractBaseUser):
        return value.get_username()
    return str(value)


def _event(
    ticket: Ticket,
    kind: str,
    field: str = "",
    old_value: object = "",
    new_value: object = "",
    actor: AbstractBaseUser | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        field=field,
        old_value=str(old_value)[:200],
        new_value=str(new_value)[:200],
        actor=actor,
    )
