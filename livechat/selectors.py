"""Reads of the live chat, and the JSON shapes of docs/chat-protocol.md."""

import functools
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db import connections
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from agents import selectors as agents_selectors
from agents.models import AgentProfile
from agents.roles import desk_role
from faq.channels import channel_guide
from livechat.models import Conversation
from livechat.system_lines import system_line_text
from security.two_factor import session_verified
from tickets.canned import customer_salutation
from tickets.models import Message, ProblemType, Ticket
from tickets.problem_types import chat_wait_minutes, problem_type_facts
from tickets.selectors import tickets_of_app_user

HISTORY_LIMIT = 500
AVERAGE_CHAT_SECONDS = 6 * 60


AVAILABILITY_CACHE_KEY = "livechat:available"
AVAILABILITY_CACHE_SECONDS = 10


def live_chat_available_cached() -> bool:
    """live_chat_available, cached briefly: the launcher on every page asks for it."""
    available = cache.get(AVAILABILITY_CACHE_KEY)
    if available is None:
        available = live_chat_available()
        cache.set(AVAILABILITY_CACHE_KEY, available, AVAILABILITY_CACHE_SECONDS)
    return available


def live_chat_available_forget() -> None:
    """Drop the cached answer when someone comes or goes, so no page says "chat now" for long
    after the last console closed."""
    cache.delete(AVAILABILITY_CACHE_KEY)


def live_chat_available() -> bool:
    """Live chat is in its hours and a chat agent is online with a console open right now."""
    in_hours = any(channel.is_open for channel in channel_guide() if channel.code == "live_chat")
    return in_hours and agents_selectors.chat_agents_available().exists()


@dataclass(frozen=True)
class ChatAccess:
    """What a staff member may do in one chat. The one rule, from teams and assignment as in the
    admin queue: a chat belongs to its ticket's team (any chat agent's while it has none yet);
    its agent, the team's leads and admins run it."""

    view: bool = False
    accept: bool = False
    speak: bool = False
    manage: bool = False  # transfer and close


NO_ACCESS = ChatAccess()


def may_open_console(user: AbstractBaseUser) -> bool:
    """The agent console is for chat agents, and for admins who supervise them."""
    return agents_selectors.is_chat_agent(user) or desk_role(user).is_admin


def chat_access(
    *, user: AbstractBaseUser | AnonymousUser, conversation: Conversation, fresh: bool = False
) -> ChatAccess:
    """`fresh` reads the user's teams again rather than trusting what their socket loaded."""
    role = desk_role(user, fresh=fresh)
    if not role.is_agent:
        return NO_ACCESS
    team_id = conversation.ticket.team_id
    chat_agent = agents_selectors.is_chat_agent(user)
    own = conversation.agent_id == user.pk
    on_team = team_id in role.team_ids or (team_id is None and chat_agent)
    runs_it = own or role.is_admin or team_id in role.lead_team_ids
    view = role.is_admin or on_team or own or conversation.ticket.assignee_id == user.pk
    if conversation.status == Conversation.Status.CLOSED:
        return ChatAccess(view=view)
    return ChatAccess(
        view=view,
        accept=chat_agent
        and conversation.status == Conversation.Status.QUEUED
        and (role.is_admin or on_team),
        speak=chat_agent and runs_it and conversation.status == Conversation.Status.ACTIVE,
        manage=runs_it,
    )


def chat_access_now(*, user: AbstractBaseUser, conversation_id: int) -> ChatAccess:
    """chat_access from the conversation and the user's teams as they are now."""
    conversation = Conversation.objects.select_related("ticket").filter(pk=conversation_id).first()
    if conversation is None:
        return NO_ACCESS
    return chat_access(user=user, conversation=conversation, fresh=True)


def conversation_locked_with_last_message(pk: int) -> Conversation:
    """The conversation, row-locked for a post, with `last_message_id` (None before any) and
    its ticket's `ticket_updated_at` and `ticket_first_responded_at`.

    The last id is read in a statement of its own, after the lock is granted: read in the
    locking statement it would come from that statement's snapshot, taken before waiting for the
    lock, and miss the message the previous holder just committed. On PostgreSQL both
    statements go in one round trip (`_locked_then_read`).
    """
    if connections[Conversation.objects.db].vendor == "postgresql":
        return _locked_then_read(pk)
    conversation = Conversation.objects.select_for_update().annotate(**_TICKET_CLOCKS).get(pk=pk)
    conversation.last_message_id = (
        Message.objects.filter(ticket_id=conversation.ticket_id, is_internal=False)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return conversation


# What a post needs of its ticket, read with the conversation: whether to touch the ticket row.
_TICKET_CLOCKS = {
    "ticket_updated_at": F("ticket__updated_at"),
    "ticket_first_responded_at": F("ticket__first_responded_at"),
}
_LOCKED_READ_SENTINEL = -7_654_321  # stands for the pk while the statement is compiled once
_locked_read_sql: dict[str, tuple[str, tuple, int]] = {}


def _locked_read_statement(alias: str) -> tuple[str, tuple, int]:
    """The query string and its parameters, compiled once per database (compiling it was a
    millisecond of the database thread per message): the pk's place among the parameters."""
    if alias not in _locked_read_sql:
        quote = connections[alias].ops.quote_name
        last = (
            Message.objects.filter(ticket_id=OuterRef("ticket_id"), is_internal=False)
            .order_by("-id")
            .values("id")[:1]
        )
        read, params = (
            Conversation.objects.using(alias)
            .annotate(last_message_id=Subquery(last), **_TICKET_CLOCKS)
            .filter(pk=_LOCKED_READ_SENTINEL)
            .query.sql_with_params()
        )
        table, column = quote(Conversation._meta.db_table), quote(Conversation._meta.pk.column)
        lock = f"SELECT 1 FROM {table} WHERE {column} = %s FOR UPDATE"  # noqa: S608
        pk_at = params.index(_LOCKED_READ_SENTINEL)
        _locked_read_sql[alias] = (f"{lock}; {read}", tuple(params), pk_at)
    return _locked_read_sql[alias]


def _locked_then_read(pk: int) -> Conversation:
    """PostgreSQL: `SELECT ... FOR UPDATE; SELECT <the row and its last message id>` sent as one
    query string (psycopg2 sends it in one round trip and returns the last statement's rows).
    Under READ COMMITTED each statement takes its own snapshot, so the second one, run once the
    first holds the lock, sees every message committed before the lock was granted."""
    alias = Conversation.objects.db
    sql, template, pk_at = _locked_read_statement(alias)
    params = [pk, *template]
    params[1 + pk_at] = pk
    found = list(Conversation.objects.using(alias).raw(sql, params))
    if not found:
        raise Conversation.DoesNotExist(f"no conversation {pk}")
    return found[0]


# What a chat socket and its services read of the ticket while the socket is open. A socket
# keeps its conversation for its whole life, and the ticket's other thirty-odd fields (mostly
# SLA clocks) were a twentieth of an idle socket's memory; a service that needs one of them
# reads it in its database thread.
SOCKET_TICKET_FIELDS = (
    "reference",
    "language",
    "problem_type",
    "status",
    "channel",
    "team",
    "assignee",
    "customer_name",
    "customer_email",
)


def conversation_by_public_id(public_id: object) -> Conversation | None:
    """The conversation with this public id (the ticket's fields a socket uses loaded), or None
    for any other value."""
    try:
        UUID(str(public_id))
    except ValueError:
        return None
    return (
        Conversation.objects.select_related("ticket")
        .defer(*(f"ticket__{field.name}" for field in _unused_ticket_fields()))
        .filter(public_id=public_id)
        .first()
    )


@functools.cache
def _unused_ticket_fields() -> tuple:
    return tuple(
        field
        for field in Ticket._meta.concrete_fields
        if field.name not in SOCKET_TICKET_FIELDS and not field.primary_key
    )


def conversation_for_socket(
    *,
    public_id: str,
    visitor_key: str | None,
    user: AbstractBaseUser | AnonymousUser,
    session=None,
) -> tuple[Conversation, str] | None:
    """The conversation and the role of who may open its socket, or None for anyone else.
    Staff act as its agent only from a session that passed the second factor."""
    conversation = conversation_by_public_id(public_id)
    if conversation is None:
        return None
    if user.is_authenticated and user.is_active and user.is_staff:
        if (
            session_verified(user, session)
            and chat_access(user=user, conversation=conversation).view
        ):
            return conversation, "agent"
        return None
    if visitor_key and conversation.visitor_key == visitor_key:
        return conversation, "customer"
    return None


def messages_after(
    *, conversation: Conversation, after: int | None, language: str | None = None
) -> list[dict]:
    """The conversation's messages after an id, oldest first (the whole history for None/0);
    system lines in `language` (an agent's), else as stored (the customer's)."""
    messages = list(
        Message.objects.filter(
            ticket_id=conversation.ticket_id, is_internal=False, id__gt=after or 0
        )
        .select_related("author__agent_profile")
        .prefetch_related("attachments")
        .order_by("id")[:HISTORY_LIMIT]
    )
    payloads = []
    previous = (
        Message.objects.filter(
            ticket_id=conversation.ticket_id, is_internal=False, id__lte=after or 0
        ).aggregate(last=Max("id"))["last"]
        if after
        else None
    )
    for message in messages:
        payloads.append(message_payload(message, conversation, prev=previous, language=language))
        previous = message.id
    return payloads


def previous_message_id(message: Message) -> int | None:
    """The id of the message before this one in its conversation (None for the first)."""
    return Message.objects.filter(
        ticket_id=message.ticket_id, is_internal=False, id__lt=message.id
    ).aggregate(last=Max("id"))["last"]


def message_payload(
    message: Message, conversation: Conversation, *, prev: int | None, language: str | None = None
) -> dict:
    """A message as the protocol sends it, with the id of the message before it. A system line
    carries its key and parameters too, so a reader can have it in their language."""
    agent_code = ""
    if message.author_kind == "agent" and message.author_id:
        author, agent_code = agents_selectors.agent_identity(message.author)
        agent_code = "" if agent_code == "-" else agent_code
    elif message.author_kind == "customer":
        author = conversation.visitor_name
    else:
        author = ""
    payload = {
        "type": "message",
        "id": message.id,
        "prev": prev,
        "sender": message.author_kind,
        "author": author,
        "agent_code": agent_code,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
        "client_id": str(message.client_id) if message.client_id else None,
        "conversation": str(conversation.public_id),
        "attachments": attachment_payloads(message, conversation),
    }
    if message.system_line:
        payload["system"] = message.system_line
        if language is not None:
            payload["body"] = system_line_text(message.system_line, language=language)
    return payload


def in_language(payload: dict, language: str) -> dict:
    """A broadcast message payload for a reader of another language: its system line rendered
    in theirs (other messages are the people's own words, left as they are)."""
    if "system" not in payload:
        return payload
    return {**payload, "body": system_line_text(payload["system"], language=language)}


def salutation(conversation: Conversation) -> str:
    """What a canned reply calls the customer: their name, or a polite form in their language,
    never an email address or nothing."""
    return customer_salutation(
        name=conversation.visitor_name, language=conversation.ticket.language
    )


def _seconds_per_position() -> float:
    online = agents_selectors.chat_agents_available().count()
    return AVERAGE_CHAT_SECONDS / max(online, 1)


def queue_positions() -> list[tuple[Conversation, int, int]]:
    """Every waiting chat with its position and expected wait in seconds."""
    queued = list(
        Conversation.objects.filter(status=Conversation.Status.QUEUED)
        .select_related("ticket")
        .order_by("queued_at", "id")
    )
    per_position = _seconds_per_position()
    return [
        (conversation, position, int(position * per_position))
        for position, conversation in enumerate(queued, 1)
    ]


def chats_waiting_too_long(*, now) -> list[Conversation]:
    """Waiting chats past their problem type's limit (tickets.problem_types.chat_wait_minutes)."""
    shortest = min(chat_wait_minutes(problem_type) for problem_type, _label in ProblemType.choices)
    since = now - timedelta(minutes=shortest)
    candidates = (
        Conversation.objects.filter(status=Conversation.Status.QUEUED)
        .filter(Q(requeued_at__lte=since) | Q(requeued_at__isnull=True, queued_at__lte=since))
        .order_by("queued_at", "id")
    )
    return [
        conversation
        for conversation in candidates
        if (conversation.requeued_at or conversation.queued_at)
        <= now - timedelta(minutes=chat_wait_minutes(conversation.problem_type))
    ]


def alerts_lead(conversation: Conversation) -> bool:
    """A security chat nobody took is a team lead's business at once."""
    return problem_type_facts(conversation.problem_type).queue == "security"


def queue_position(conversation: Conversation) -> tuple[int, int]:
    """One waiting chat's position and expected wait, counted rather than listing the queue."""
    ahead = (
        Conversation.objects.filter(status=Conversation.Status.QUEUED)
        .filter(
            Q(queued_at__lt=conversation.queued_at)
            | Q(queued_at=conversation.queued_at, id__lt=conversation.id)
        )
        .count()
    )
    position = ahead + 1
    return position, int(position * _seconds_per_position())


def status_payload(
    conversation: Conversation, position: int | None = None, wait: int | None = None
) -> dict:
    payload = {
        "type": "status",
        "status": conversation.status,
        "conversation": str(conversation.public_id),
        # The customer's: what an agent's canned replies are written in and filled with.
        "language": conversation.ticket.language,
        "reference": conversation.ticket.reference,
        "salutation": salutation(conversation),
    }
    if conversation.status == Conversation.Status.QUEUED:
        if position is None:
            position, wait = queue_position(conversation)
        payload.update(position=position, wait_seconds=wait)
    elif conversation.status == Conversation.Status.ACTIVE and conversation.agent_id:
        name, code = agents_selectors.agent_identity(conversation.agent)
        payload["agent"] = {"name": name, "code": code}
    return payload


def queue_snapshot(*, agent: AbstractBaseUser) -> dict:
    """What the agent console shows: the chats waiting that this agent may take (their teams',
    those not routed yet; all for admins) and their own open chats."""
    now = timezone.now()
    role = desk_role(agent)
    queued = Conversation.objects.filter(status=Conversation.Status.QUEUED)
    if not agents_selectors.is_chat_agent(agent):
        queued = queued.none()
    elif not role.is_admin:
        queued = queued.filter(Q(ticket__team_id__in=role.team_ids) | Q(ticket__team__isnull=True))
    queued = queued.order_by("queued_at", "id")[:100]
    waiting = []
    for conversation in queued.select_related("ticket"):
        first = (
            Message.objects.filter(ticket_id=conversation.ticket_id)
            .order_by("id")
            .values_list("body", flat=True)
            .first()
        )
        waiting.append(
            {
                "conversation": str(conversation.public_id),
                "problem_type": conversation.problem_type,
                "name": conversation.visitor_name,
                "waiting_seconds": int((now - conversation.queued_at) / timedelta(seconds=1)),
                "first_message": (first or "")[:300],
            }
        )
    active = [
        str(public_id)
        for public_id in Conversation.objects.filter(
            agent=agent, status=Conversation.Status.ACTIVE
        ).values_list("public_id", flat=True)
    ]
    profile = AgentProfile.objects.filter(user=agent).first()
    return {
        "type": "queue",
        "conversations": waiting,
        "active": active,
        "capacity": profile.chat_capacity if profile else 1,
        "availability": profile.availability if profile else AgentProfile.Availability.OFFLINE,
    }


def conversation_for_app_user(*, public_id: str, app_user) -> tuple[Conversation, str] | None:
    """As conversation_for_socket, for the wallet app's user (api.tokens.AppUser): a chat of one
    of their own tickets, as its customer."""
    conversation = conversation_by_public_id(public_id)
    if conversation is None:
        return None
    own = tickets_of_app_user(email=app_user.email, wallet_account_id=app_user.wallet_account_id)
    if not own.filter(pk=conversation.ticket_id).exists():
        return None
    return conversation, "customer"


def attachment_payloads(message: Message, conversation: Conversation) -> list[dict]:
    """A message's attachments as the protocol sends them, when they were prefetched (history,
    livechat.services.chat_attachment_post): a plain text post never pays a query for them."""
    prefetched = getattr(message, "_prefetched_objects_cache", {}).get("attachments")
    if prefetched is None:
        return []
    return [
        {
            "name": attachment.name,
            "size": attachment.size,
            "url": reverse("livechat:attachment", args=[conversation.public_id, attachment.pk]),
        }
        for attachment in prefetched
    ]
