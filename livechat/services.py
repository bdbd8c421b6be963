"""Writes of the live chat. Each runs in one transaction and broadcasts only after it commits, so
a client never sees a message the database does not hold."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from agents import selectors as agents_selectors
from agents import services as agents_services
from agents.models import AgentProfile, Team
from agents.roles import desk_role
from agents.selectors import agent_identity
from common import realtime as broadcast
from common.errors import DeskError
from guard.agent_messages import agent_message_problem
from livechat import selectors
from livechat.error_codes import ChatErrorCode
from livechat.models import Conversation
from livechat.system_lines import system_line, system_line_text
from tickets import publish
from tickets import services as ticket_services
from tickets.models import AuthorKind, Channel, Message, Status, Ticket
from tickets.problem_types import chat_wait_minutes
from webhooks.events import EventType
from webhooks.services import event_publish

logger = logging.getLogger(__name__)

AGENTS_GROUP = "chat.agents"


class ChatError(DeskError):
    """A chat action refused, with a message for the person (codes: ChatErrorCode)."""


@dataclass(frozen=True)
class StartResult:
    conversation: Conversation | None
    ticket: Ticket

    @property
    def offline(self) -> bool:
        return self.conversation is None


def _broadcast(group: str, event: dict) -> None:
    broadcast.publish(group, event)


def _broadcast_on_commit(group: str, event: dict) -> None:
    transaction.on_commit(lambda: _broadcast(group, event))


def _chat_event(event: str, conversation: Conversation) -> None:
    """The chat's change as an event webhook (ids and states: webhooks, docs/api.md)."""
    event_publish(
        event=event,
        data={
            **publish.ticket_data(conversation.ticket),
            "chat": {"id": str(conversation.public_id), "status": conversation.status},
        },
    )


def _queue_changed_on_commit() -> None:
    """Agents refresh their queue view; waiting customers get their new position."""

    def announce() -> None:
        _broadcast(AGENTS_GROUP, {"type": "queue.changed"})
        for conversation, position, wait in selectors.queue_positions():
            _broadcast(
                conversation.group_name,
                {
                    "type": "chat.status",
                    "payload": selectors.status_payload(conversation, position, wait),
                },
            )

    transaction.on_commit(announce)


def conversation_start(
    *,
    name: str,
    email: str,
    problem_type: str,
    message: str,
    visitor_key: str,
    language: str = "en",
    email_verified: bool = False,
) -> StartResult:
    """Open a chat recorded on a new ticket; outside hours or with nobody online, only a ticket.
    `email_verified` when the address is vouched for (the wallet app's token), not typed."""
    with transaction.atomic():
        ticket = ticket_services.ticket_create(
            problem_type=problem_type,
            channel=Channel.CHAT,
            subject=_("Live chat: %(text)s") % {"text": message[:80]},
            description=message,
            customer_email=email,
            customer_name=name,
            language=language,
        )
        if email_verified:
            ticket_services.ticket_email_verify(ticket=ticket)
        if not selectors.live_chat_available():
            logger.info("chat for ticket %s filed as a ticket: no agent online", ticket.reference)
            return StartResult(None, ticket)
        conversation = Conversation.objects.create(
            ticket=ticket,
            visitor_key=visitor_key,
            visitor_name=name,
            problem_type=problem_type,
        )
        # A known fake named in the first message was warned about when the ticket was filed
        # (verification.services.ticket_flag_known_fakes): the history shows that line.
        _queue_changed_on_commit()
        _chat_event(EventType.CHAT_STARTED, conversation)
    return StartResult(conversation, ticket)


def chat_message_post(
    *,
    conversation: Conversation,
    sender: str,
    body: str,
    client_id: UUID | None,
    author: AbstractBaseUser | None = None,
) -> tuple[Message, bool]:
    """Save a chat message (once per client_id), then broadcast it; returns (message, created).

    The busiest write of the desk: a row lock, the last message id, an insert and one ticket
    update. A resent client_id fails the insert on its unique constraint and is
    answered with the stored copy.
    """
    if sender == AuthorKind.AGENT and (problem := agent_message_problem(body)):
        raise ChatError(problem, code=ChatErrorCode.AGENT_GUARD)
    try:
        with transaction.atomic():
            locked = selectors.conversation_locked_with_last_message(conversation.pk)
            if locked.status == Conversation.Status.CLOSED:
                if stored := _stored_message(conversation, client_id):
                    return stored, False
                raise ChatError(_("This conversation is closed."), code=ChatErrorCode.CLOSED)
            if sender == AuthorKind.AGENT:
                # Who holds the chat and its status come from the locked row; its team from the
                # caller's copy (saving a query a message): a chat moved to another team is no
                # longer active, and the sockets that lost it were closed (consumers).
                locked.ticket = conversation.ticket
            if (
                sender == AuthorKind.AGENT
                and not selectors.chat_access(user=author, conversation=locked).speak
            ):
                raise ChatError(
                    _("Only the chat's agent, a lead of its team or an admin can write in it."),
                    code=ChatErrorCode.NOT_ALLOWED,
                )
            message = Message.objects.create(
                ticket_id=locked.ticket_id,
                author_kind=sender,
                author=author,
                body=body,
                channel=Channel.CHAT,
                client_id=client_id,
            )
            if changes := _ticket_clock_changes(locked, sender, message.created_at):
                Ticket.objects.filter(pk=locked.ticket_id).update(**changes)
            # The row lock orders this conversation's posts, so the last message seen under it
            # is the one before this.
            payload = selectors.message_payload(message, locked, prev=locked.last_message_id)
            _broadcast_on_commit(locked.group_name, {"type": "chat.message", "payload": payload})
            if sender == AuthorKind.AGENT:
                publish.agent_replied(conversation.ticket, message)
    except IntegrityError:
        if stored := _stored_message(conversation, client_id):
            return stored, False
        raise
    return message, True


# A ticket's "last activity" follows its chat to the minute. Updating the ticket row on every
# message was a third of a message's database time: the table's many indexes make each update
# write a new row version and index entries (docs/benchmarks.md).
CHAT_ACTIVITY_RESOLUTION = timedelta(seconds=60)


def _ticket_clock_changes(locked: Conversation, sender: str, at) -> dict:
    """What a chat message changes on its ticket: its last activity, once a minute at most,
    and the first agent reply stops the first-response clock."""
    changes = {}
    if sender == AuthorKind.AGENT and locked.ticket_first_responded_at is None:
        # Coalesce: another server's first reply may have been committed since the read.
        changes["first_responded_at"] = Coalesce("first_responded_at", Value(at))
    updated_at = locked.ticket_updated_at
    if changes or updated_at is None or at - updated_at >= CHAT_ACTIVITY_RESOLUTION:
        changes["updated_at"] = Greatest("updated_at", Value(at))
    return changes


def _stored_message(conversation: Conversation, client_id: UUID | None) -> Message | None:
    if client_id is None:
        return None
    return Message.objects.filter(ticket_id=conversation.ticket_id, client_id=client_id).first()


def _system_message(conversation: Conversation, key: str, **params: str) -> Message:
    """A line of the chat's own, stored in the customer's language with its key (each agent's
    socket renders it in theirs: livechat.selectors.in_language)."""
    line = system_line(key, **params)
    message = Message.objects.create(
        ticket_id=conversation.ticket_id,
        author_kind=AuthorKind.SYSTEM,
        body=system_line_text(line, language=conversation.ticket.language),
        system_line=line,
        channel=Channel.CHAT,
    )
    payload = selectors.message_payload(
        message, conversation, prev=selectors.previous_message_id(message)
    )
    _broadcast_on_commit(conversation.group_name, {"type": "chat.message", "payload": payload})
    return message


def _locked(public_id: str) -> Conversation:
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .filter(public_id=public_id)
        .first()
    )
    if conversation is None:
        raise ChatError(_("There is no such conversation."), code=ChatErrorCode.NOT_FOUND)
    return conversation


def _check_capacity(agent: AbstractBaseUser, *, refusal: str) -> None:
    # The profile's row lock makes two chats handed to one agent at once count one another.
    profile = AgentProfile.objects.select_for_update().filter(user=agent).first()
    capacity = profile.chat_capacity if profile else 1
    active = Conversation.objects.filter(agent=agent, status=Conversation.Status.ACTIVE).count()
    if active >= capacity:
        raise ChatError(refusal % {"count": active}, code=ChatErrorCode.NOT_ALLOWED)


def _hand_ticket_to(conversation: Conversation, agent: AbstractBaseUser, *, actor) -> None:
    """The chat's ticket goes with it: assigned to its agent, and open once someone has it."""
    ticket_services.ticket_reassign(ticket=conversation.ticket, actor=actor, assignee=agent)
    if conversation.ticket.status == Status.NEW:
        ticket_services.ticket_change_status(
            ticket=conversation.ticket, status=Status.OPEN, actor=actor
        )


def _status_on_commit(conversation: Conversation) -> None:
    _broadcast_on_commit(
        conversation.group_name,
        {"type": "chat.status", "payload": selectors.status_payload(conversation)},
    )


@transaction.atomic
def conversation_accept(*, public_id: str, agent: AbstractBaseUser) -> Conversation:
    """A chat agent of its team takes a waiting chat, within their chat capacity."""
    conversation = _locked(public_id)
    access = selectors.chat_access(user=agent, conversation=conversation, fresh=True)
    if conversation.status != Conversation.Status.QUEUED:
        raise ChatError(_("This chat is no longer waiting."), code=ChatErrorCode.NOT_ALLOWED)
    if not access.accept:
        raise ChatError(_("This chat is for another team."), code=ChatErrorCode.NOT_ALLOWED)
    _check_capacity(agent, refusal=_("You already have %(count)d chats open, your limit."))
    conversation.agent = agent
    conversation.status = Conversation.Status.ACTIVE
    conversation.accepted_at = timezone.now()
    conversation.save(update_fields=["agent", "status", "accepted_at"])
    _hand_ticket_to(conversation, agent, actor=agent)
    name, code = agent_identity(agent)
    _system_message(conversation, "joined", name=name, code=code)
    _status_on_commit(conversation)
    _queue_changed_on_commit()
    _chat_event(EventType.CHAT_ACCEPTED, conversation)
    return conversation


@transaction.atomic
def conversation_close(*, public_id: str, by: AbstractBaseUser | None = None) -> Conversation:
    """End a chat, by the people who run it or by its visitor (`by` None). A chat an agent
    answered resolves its ticket; one ended before any agent joined stays open as the
    customer's message, to be answered by email."""
    conversation = _locked(public_id)
    if (
        by is not None
        and not selectors.chat_access(user=by, conversation=conversation, fresh=True).manage
    ):
        raise ChatError(
            _("Only the chat's agent, a lead of its team or an admin can end it."),
            code=ChatErrorCode.NOT_ALLOWED,
        )
    if conversation.status == Conversation.Status.CLOSED:
        return conversation
    was = conversation.status
    conversation.status = Conversation.Status.CLOSED
    conversation.closed_at = timezone.now()
    conversation.save(update_fields=["status", "closed_at"])
    ticket = conversation.ticket
    if was == Conversation.Status.QUEUED and conversation.accepted_at is None:
        _system_message(conversation, "ended_unanswered", reference=ticket.reference)
    else:
        _system_message(conversation, "ended")
    if was == Conversation.Status.ACTIVE and ticket.can_move_to(Status.RESOLVED):
        ticket_services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=by)
    _status_on_commit(conversation)
    if was == Conversation.Status.QUEUED:
        _queue_changed_on_commit()
    _chat_event(EventType.CHAT_CLOSED, conversation)
    return conversation


def _transfer_target(conversation: Conversation, agent_code: str) -> AbstractBaseUser:
    profile = (
        agents_selectors.chat_agents().select_related("user").filter(agent_code=agent_code).first()
    )
    if profile is None:
        raise ChatError(_("No agent has that code."), code=ChatErrorCode.INVALID)
    if not agents_selectors.chat_agents_available().filter(pk=profile.pk).exists():
        # A chat handed to someone who is not at their console would strand the customer.
        raise ChatError(
            _("That agent is not at their console now: transfer the chat to their team instead."),
            code=ChatErrorCode.NOT_ALLOWED,
        )
    target = profile.user
    role = desk_role(target)
    team_id = conversation.ticket.team_id
    if not role.is_admin and team_id is not None and team_id not in role.team_ids:
        raise ChatError(
            _("That agent is not on this chat's team: transfer it to their team instead."),
            code=ChatErrorCode.NOT_ALLOWED,
        )
    if target.pk != conversation.agent_id:
        _check_capacity(
            target, refusal=_("That agent already has %(count)d chats open, their limit.")
        )
    return target


@transaction.atomic
def conversation_transfer(
    *,
    public_id: str,
    by: AbstractBaseUser,
    agent_code: str | None = None,
    team_code: str | None = None,
) -> Conversation:
    """Hand a chat to another agent of its team, or back to the queue for another team: by its
    agent, a lead of its team or an admin."""
    conversation = _locked(public_id)
    if conversation.status in (Conversation.Status.CLOSED, Conversation.Status.UNANSWERED):
        raise ChatError(_("This conversation is closed."), code=ChatErrorCode.CLOSED)
    if not selectors.chat_access(user=by, conversation=conversation, fresh=True).manage:
        raise ChatError(
            _("Only the chat's agent, a lead of its team or an admin can transfer it."),
            code=ChatErrorCode.NOT_ALLOWED,
        )
    if agent_code and isinstance(agent_code, str):
        target = _transfer_target(conversation, agent_code)
        conversation.agent = target
        conversation.status = Conversation.Status.ACTIVE
        conversation.accepted_at = conversation.accepted_at or timezone.now()
        _hand_ticket_to(conversation, target, actor=by)
        name, code = agent_identity(target)
        _system_message(conversation, "transferred_to_agent", name=name, code=code)
    elif team_code and isinstance(team_code, str):
        team = Team.objects.filter(code=team_code).first()
        if team is None:
            raise ChatError(_("No team has that code."), code=ChatErrorCode.INVALID)
        conversation.agent = None
        conversation.status = Conversation.Status.QUEUED
        conversation.requeued_at = timezone.now()
        ticket_services.ticket_reassign(
            ticket=conversation.ticket, actor=by, team=team, assignee=None
        )
        _system_message(conversation, "transferred_to_team")
    else:
        raise ChatError(_("Name an agent code or a team."), code=ChatErrorCode.INVALID)
    conversation.save(update_fields=["agent", "status", "accepted_at", "requeued_at"])
    _status_on_commit(conversation)
    # The queue changes, and so do the giver's and the receiver's lists of open chats.
    _queue_changed_on_commit()
    return conversation


def conversation_read(*, conversation: Conversation, sender: str, up_to: int) -> int:
    """Move a reader's mark forward (never back) and tell the other side."""
    field = "customer_read_up_to" if sender == AuthorKind.CUSTOMER else "agent_read_up_to"
    with transaction.atomic():
        Conversation.objects.filter(pk=conversation.pk, **{f"{field}__lt": up_to}).update(
            **{field: up_to}
        )
        _broadcast_on_commit(
            conversation.group_name,
            {
                "type": "chat.read",
                "payload": {
                    "type": "read",
                    "sender": sender,
                    "up_to": up_to,
                    "conversation": str(conversation.public_id),
                },
            },
        )
    return up_to


def _availability_changed_on_commit() -> None:
    """The launcher and the channel guide say at once whether anyone is there to chat."""
    transaction.on_commit(selectors.live_chat_available_forget)


def presence_set(*, agent: AbstractBaseUser, availability: str) -> AgentProfile:
    """An agent's console sets their availability; the other consoles then refresh the queue."""
    with transaction.atomic():
        profile = agents_services.agent_set_presence(agent=agent, availability=availability)
        _availability_changed_on_commit()
        _queue_changed_on_commit()
    return profile


def console_open(*, agent: AbstractBaseUser, channel_name: str) -> None:
    with transaction.atomic():
        agents_services.console_connected(agent=agent, channel_name=channel_name)
        _availability_changed_on_commit()


def console_beat(*, agent: AbstractBaseUser, channel_name: str) -> None:
    agents_services.console_heartbeat(agent=agent, channel_name=channel_name)


def console_close(*, channel_name: str) -> None:
    with transaction.atomic():
        agents_services.console_disconnected(channel_name=channel_name)
        _availability_changed_on_commit()


def chats_expire_waiting(*, now=None) -> int:
    """Chats that waited longer than their problem type allows are kept as messages: the customer
    is told and may write on, the ticket stays in its team's queue, and a security chat's team
    leads are mailed. Returns how many."""
    now = now or timezone.now()
    expired = 0
    for conversation in selectors.chats_waiting_too_long(now=now):
        with transaction.atomic():
            locked = (
                Conversation.objects.select_for_update(of=("self",))
                .select_related("ticket")
                .filter(pk=conversation.pk, status=Conversation.Status.QUEUED)
                .first()
            )
            if locked is None:
                continue  # taken or ended meanwhile
            locked.status = Conversation.Status.UNANSWERED
            locked.closed_at = now
            locked.save(update_fields=["status", "closed_at"])
            _system_message(locked, "unanswered", reference=locked.ticket.reference)
            _status_on_commit(locked)
            _queue_changed_on_commit()
            _chat_event(EventType.CHAT_CLOSED, locked)
            if selectors.alerts_lead(locked):
                from livechat import tasks

                transaction.on_commit(lambda pk=locked.pk: tasks.alert_unanswered_chat.delay(pk))
            logger.warning(
                "chat of ticket %s unanswered after %d minutes",
                locked.ticket.reference,
                chat_wait_minutes(locked.problem_type),
            )
        expired += 1
    agents_services.consoles_prune()
    return expired


@transaction.atomic
def conversation_rate(*, conversation: Conversation, rating: int) -> Conversation:
    if conversation.status != Conversation.Status.CLOSED:
        raise ChatError(_("You can rate the chat once it has ended."), code=ChatErrorCode.INVALID)
    if not 1 <= rating <= 5:
        raise ChatError(_("Choose a rating from 1 to 5."), code=ChatErrorCode.INVALID)
    Conversation.objects.filter(pk=conversation.pk).update(rating=rating)
    conversation.rating = rating
    publish.rating_received(conversation.ticket, score=rating, source="chat")
    return conversation


def transcript_send(*, conversation: Conversation) -> None:
    """Mail the visitor the conversation so far (on commit, through Celery)."""
    from livechat import tasks

    transaction.on_commit(lambda: tasks.send_transcript.delay(conversation.pk))


def chat_attachment_post(
    *,
    conversation: Conversation,
    attachment: ticket_services.NewAttachment,
    client_id: UUID | None = None,
) -> tuple[Message, bool]:
    """A customer's screenshot in the chat: a message of the chat's ticket holding one checked
    attachment (tickets.validators), broadcast like any message; returns (message, created).

    Nothing is half-saved: a refusal or a failed write leaves neither a row nor a file.
    """
    with ticket_services.FilesRemovedOnError() as files, transaction.atomic():
        locked = selectors.conversation_locked_with_last_message(conversation.pk)
        if stored := _stored_message(conversation, client_id):
            return stored, False
        if locked.status == Conversation.Status.CLOSED:
            raise ChatError(_("This conversation is closed."), code=ChatErrorCode.CLOSED)
        message = ticket_services.message_save(
            conversation.ticket,
            AuthorKind.CUSTOMER,
            "",
            Channel.CHAT,
            [attachment],
            None,
            stored_files=files,
            client_id=client_id,
        )
        Ticket.objects.filter(pk=locked.ticket_id).update(updated_at=message.created_at)
        message = Message.objects.prefetch_related("attachments").get(pk=message.pk)
        payload = selectors.message_payload(message, locked, prev=locked.last_message_id)
        _broadcast_on_commit(locked.group_name, {"type": "chat.message", "payload": payload})
    return message, True
