"""WebSocket consumers of the live chat (docs/chat-protocol.md): thin, validating each frame and
calling a service; broadcasts come from the services after commit."""

import json
import logging
import time
from collections import deque
from uuid import UUID

import redis
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http.cookie import parse_cookie
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

from common.errors import DeskError
from guard.detect import RECENT_MESSAGES
from guard.models import GuardEvent
from guard.refusals import refuse_secrets
from guard.services import refusals_record
from livechat import db, selectors, services
from livechat.db import chat_db as database_sync_to_async
from livechat.error_codes import ChatErrorCode
from livechat.limits import (
    MAX_BODY_CHARACTERS,
    MAX_FRAME_BYTES,
    RATE_LIMIT_MESSAGES,
    RATE_LIMIT_SECONDS,
)
from livechat.models import Conversation
from livechat.services import AGENTS_GROUP, ChatError
from security.ratelimit import rate_limit_hit_client
from security.sockets import session_sockets_group, user_sockets_group
from security.two_factor import session_verified

logger = logging.getLogger(__name__)

# Close code for a socket whose channel layer stopped answering (Redis restarted or gone): "service
# restart", so the client reconnects and resumes, missing nothing (docs/chat-protocol.md).
LAYER_GONE = 1012
LAYER_ERRORS = (redis.ConnectionError, redis.TimeoutError)

FORBIDDEN = 4403
SESSION_ENDED = 4401
MAX_ID = 2**63 - 1  # the largest id a message (a bigint) can have
VISITOR_SESSION_KEY = "chat_visitor"
OVERLOADED_RETRY_SECONDS = 1


class ProtocolError(DeskError):
    """A frame refused before any service is called; a rate limit says when to try again."""

    def __init__(
        self, message: str, *, code: ChatErrorCode, retry_after: int | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


def parse_client_id(value: object) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise ProtocolError(_("client_id must be a UUID."), code=ChatErrorCode.INVALID) from None


def answered_id(content: dict) -> str | None:
    """The client_id of a message frame, when it is one, so an error names the message it
    refuses: a client with a resend in flight must not pin the refusal on the next message."""
    value = content.get("client_id")
    if not isinstance(value, str) or len(value) > 36:
        return None
    try:
        return str(UUID(value))
    except ValueError:
        return None


def parse_body(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(_("A message needs some text."), code=ChatErrorCode.INVALID)
    if "\x00" in value:
        raise ProtocolError(
            _("That message holds a character that cannot be sent."), code=ChatErrorCode.INVALID
        )
    if len(value) > MAX_BODY_CHARACTERS:
        raise ProtocolError(
            _("Messages are limited to %(count)d characters.") % {"count": MAX_BODY_CHARACTERS},
            code=ChatErrorCode.TOO_LONG,
        )
    return value


def parse_after(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise ProtocolError(_("after must be a message id."), code=ChatErrorCode.INVALID)
    return value


def socket_client(scope: dict) -> dict[str, str | None]:
    """The address and session key a socket's messages are counted against."""
    client = scope.get("client")
    session = scope.get("session")
    app_user = scope.get("app_user")  # the wallet app's user counts as one session
    return {
        "address": client[0] if client else None,
        "session_key": app_user.rate_limit_key
        if app_user is not None
        else (session.session_key if session is not None else None),
    }


def visitor_limits_check(scope: dict) -> None:
    """Count a visitor's message against the cache-backed limits: in this process's memory,
    settled with Redis about once a second (security.ratelimit.BatchedCounts), so it runs on the
    event loop and a refused message never reaches the database threads."""
    limited = rate_limit_hit_client("chat_message", batched=True, **socket_client(scope))
    if limited:
        raise ProtocolError(
            limited.message, code=ChatErrorCode.RATE_LIMITED, retry_after=limited.retry_after
        )


SERVER_ERROR_RETRY_SECONDS = 5
# The console beats every 20 s; beats closer together than this are answered but not stored.
HEARTBEAT_STORE_SECONDS = 10


def valid_unicode(content: object) -> bool:
    """Whether every string in a parsed frame can be stored (JSON's \\ud800 escapes decode to
    lone surrogates, which UTF-8 and PostgreSQL refuse)."""
    try:
        json.dumps(content, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError, ValueError):
        return False
    return True


def scope_language(scope: dict) -> str:
    """The socket's language, chosen as LocaleMiddleware chooses a page's: the language cookie,
    then Accept-Language, then the site default."""
    headers = dict(scope.get("headers") or [])
    cookies = parse_cookie(headers.get(b"cookie", b"").decode("latin-1"))
    accepted = parse_accept_lang_header(headers.get(b"accept-language", b"").decode("latin-1"))
    wanted = [cookies.get(settings.LANGUAGE_COOKIE_NAME)] + [code for code, _q in accepted]
    for code in wanted:
        if not code or code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def stored_copy(message, conversation: Conversation) -> dict:
    """The stored message answering a resend: the client's acknowledgement."""
    prev = selectors.previous_message_id(message)
    return selectors.message_payload(message, conversation, prev=prev)


class ChatProtocolConsumer(AsyncJsonWebsocketConsumer):
    """Frame checks, JSON parsing, rate limiting and error events shared by both sockets."""

    handlers: dict[str, str] = {}

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except LAYER_ERRORS as error:
            # A restarted Redis has lost every group this socket joined, so the socket could
            # only go on deaf: it ends, and the client's reconnect joins again and resumes.
            logger.warning("chat socket closed, the channel layer did not answer: %s", error)
            try:
                await send({"type": "websocket.close", "code": LAYER_GONE})
            except Exception:  # the connection may be gone already
                logger.debug("close after a layer failure not sent", exc_info=True)

    async def dispatch(self, message: dict) -> None:
        # Channels' dispatch first runs `aclose_old_connections()` for every event, a hop onto
        # asgiref's one thread-sensitive thread: per chat message, once for the sender's frame
        # and once per socket it is delivered to, all queued behind that thread. These
        # consumers reach the database only through `livechat.db.chat_db`, whose threads close
        # their stale connections themselves before and after every call.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        # Made at the first frame that counts: an empty deque is 600 bytes, and most of the
        # sockets a server holds are idle.
        self.sent_times: deque[float] | None = None
        # This socket's last texts that passed the guard, read with the next one (no query);
        # made with the first, as the rate deque above.
        self.recent_texts: deque[str] | None = None
        self.language = scope_language(self.scope)
        with translation.override(self.language):
            await self.authorize_and_join()

    async def authorize_and_join(self) -> None:
        raise NotImplementedError

    async def join_revocation_groups(self, user, session) -> None:
        """Log-out, a new password or a lost role closes a staff socket (security.sockets)."""
        self.revocation_groups = [
            user_sockets_group(user.pk),
            session_sockets_group(session.session_key),
        ]
        for group in self.revocation_groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def leave_revocation_groups(self) -> None:
        for group in getattr(self, "revocation_groups", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def security_revoke(self, event: dict) -> None:
        await self.close(code=SESSION_ENDED)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        with translation.override(self.language):
            await self.receive_frame(text_data, bytes_data)

    async def receive_frame(self, text_data, bytes_data) -> None:
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > MAX_FRAME_BYTES:
            await self.send_error(
                ChatErrorCode.FRAME_TOO_LARGE, _("That message is too large to send.")
            )
            return
        if text_data is None:
            await self.send_error(ChatErrorCode.INVALID_JSON, _("Send JSON text frames."))
            return
        try:
            content = json.loads(text_data)
            unreadable = False
        except (ValueError, RecursionError):
            # RecursionError: nesting deeper than the parser goes. ValueError also covers an
            # integer of more digits than Python converts.
            unreadable = True
        if unreadable:
            await self.send_error(ChatErrorCode.INVALID_JSON, _("That frame is not valid JSON."))
            return
        if not valid_unicode(content):
            await self.send_error(
                ChatErrorCode.INVALID_TEXT, _("That frame holds text that is not valid Unicode.")
            )
            return
        if not isinstance(content, dict):
            await self.send_error(ChatErrorCode.INVALID_JSON, _("Send a JSON object."))
            return
        kind = content.get("type")
        handler = self.handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.send_error(ChatErrorCode.UNKNOWN_TYPE, _("Unknown message type."))
            return
        try:
            await getattr(self, handler)(content)
        except DeskError as error:
            # A frame check's refusal or any service's: the one place they become error events.
            retry_after = error.retry_after if isinstance(error, ProtocolError) else None
            await self.send_error(
                error.code, error.message, retry_after=retry_after, client_id=answered_id(content)
            )
        except Exception:
            # A fault of ours (or a database gone away) must not end the customer's socket.
            logger.exception("chat frame of type %s failed", kind)
            await self.send_error(
                ChatErrorCode.SERVER_ERROR,
                _("Something went wrong on our side. Please try again."),
                client_id=answered_id(content),
                retry_after=SERVER_ERROR_RETRY_SECONDS,
            )

    def check_rate(self) -> None:
        if self.sent_times is None:
            self.sent_times = deque()
        now = time.monotonic()
        while self.sent_times and now - self.sent_times[0] > RATE_LIMIT_SECONDS:
            self.sent_times.popleft()
        if len(self.sent_times) >= RATE_LIMIT_MESSAGES:
            wait = int(RATE_LIMIT_SECONDS - (now - self.sent_times[0])) + 1
            raise ProtocolError(
                _("You are sending too fast. Try again in %(seconds)d seconds.")
                % {"seconds": wait},
                code=ChatErrorCode.RATE_LIMITED,
                retry_after=wait,
            )
        self.sent_times.append(now)

    async def send_error(
        self,
        code: str,
        message: str,
        *,
        retry_after: int | None = None,
        client_id: str | None = None,
    ) -> None:
        event = {"type": "error", "code": str(code), "message": str(message)}
        if retry_after is not None:
            event["retry_after"] = retry_after
        if client_id is not None:
            event["client_id"] = client_id
        await self.send_json(event)

    async def check_secrets(self, body: str, conversation: Conversation, source: str) -> None:
        # Scanned here on the event loop: only a refusal costs a trip to the database thread,
        # the chat's narrowest point (docs/architecture.md).
        refusals = refuse_secrets({"body": body}, previous=self.recent_texts or ())
        if refusals:
            await database_sync_to_async(refusals_record)(
                refusals, source=source, ticket=conversation.ticket
            )
            raise ProtocolError(refusals[0].message, code=ChatErrorCode.SECRET_REFUSED)
        if self.recent_texts is None:
            self.recent_texts = deque(maxlen=RECENT_MESSAGES)
        self.recent_texts.append(body)

    async def post_message(
        self, conversation: Conversation, sender: str, author, content, *, visitor: bool = False
    ) -> None:
        """Validate, guard and save a message; a resend is answered with the stored copy. A
        visitor's message is counted against the cache-backed limits too."""
        self.check_rate()
        body = parse_body(content.get("body"))
        client_id = parse_client_id(content.get("client_id"))
        if db.overloaded():
            # Refused, not queued: nothing is stored, the refusal does not count against the
            # socket's rate, and it names the client_id so the client sends that one again.
            self.sent_times.pop()
            await self.send_json(
                {
                    "type": "error",
                    "code": str(ChatErrorCode.OVERLOADED),
                    "message": _("The chat is busy: your message was not sent yet."),
                    "retry_after": OVERLOADED_RETRY_SECONDS,
                    "client_id": str(client_id),
                }
            )
            return
        await self.check_secrets(body, conversation, GuardEvent.Source.CHAT)
        if visitor:
            visitor_limits_check(self.scope)
        message, created = await database_sync_to_async(services.chat_message_post)(
            conversation=conversation,
            sender=sender,
            body=body,
            client_id=client_id,
            author=author,
        )
        if not created:
            await self.send_json(await database_sync_to_async(stored_copy)(message, conversation))

    # The customer reads the chat in its own language, as the services wrote it; an agent's
    # socket renders system lines in the agent's.
    reads_own_language = False

    # Group events (the services' broadcasts), forwarded as they are.
    async def chat_message(self, event: dict) -> None:
        if getattr(self, "revoked", False):
            return
        payload = event["payload"]
        if self.reads_own_language:
            payload = selectors.in_language(payload, self.language)
        await self.send_json(payload)

    async def chat_status(self, event: dict) -> None:
        await self.send_json(event["payload"])
        await self.status_changed()

    async def status_changed(self) -> None:
        """A chat changed hands or ended: the agents' sockets check they may still follow it."""

    async def chat_read(self, event: dict) -> None:
        await self.send_json(event["payload"])

    async def chat_typing(self, event: dict) -> None:
        if event.get("origin") != self.channel_name:
            await self.send_json(event["payload"])


class ChatConsumer(ChatProtocolConsumer):
    """`/ws/chat/<id>/`: the visitor of the conversation, its agent or any staff member."""

    handlers = {
        "message": "on_message",
        "typing": "on_typing",
        "read": "on_read",
        "resume": "on_resume",
    }

    async def authorize_and_join(self) -> None:
        session = self.scope.get("session")
        visitor_key = session.get(VISITOR_SESSION_KEY) if session is not None else None
        found = await database_sync_to_async(selectors.conversation_for_socket)(
            public_id=self.scope["url_route"]["kwargs"]["conversation"],
            visitor_key=visitor_key,
            user=self.scope.get("user"),
            session=session,
        )
        if found is None and (app_user := self.scope.get("app_token_user")) is not None:
            # The wallet app: its API token instead of a session (api.middleware).
            self.scope["app_user"] = app_user
            found = await database_sync_to_async(selectors.conversation_for_app_user)(
                public_id=self.scope["url_route"]["kwargs"]["conversation"], app_user=app_user
            )
        if found is None:
            await self.close(code=FORBIDDEN)
            return
        self.conversation, self.role = found
        self.reads_own_language = self.role == "agent"
        self.group = self.conversation.group_name
        self.access = None
        await self.channel_layer.group_add(self.group, self.channel_name)
        if self.role == "agent":
            await self.join_revocation_groups(self.scope["user"], session)
            self.access = await database_sync_to_async(selectors.chat_access)(
                user=self.scope["user"], conversation=self.conversation
            )
        await self.accept(subprotocol=self.scope.get("subprotocol"))
        status = await database_sync_to_async(selectors.status_payload)(self.conversation)
        await self.send_json(status)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.leave_revocation_groups()

    async def on_message(self, content: dict) -> None:
        author = self.scope.get("user") if self.role == "agent" else None
        visitor = self.role == "customer"
        await self.post_message(self.conversation, self.role, author, content, visitor=visitor)

    def may_act(self) -> bool:
        """The customer, or staff who may write in the chat: a watcher shows nobody "typing"."""
        return self.role == "customer" or (self.access is not None and self.access.speak)

    async def status_changed(self) -> None:
        if self.role != "agent":
            return
        self.access = await database_sync_to_async(selectors.chat_access_now)(
            user=self.scope["user"], conversation_id=self.conversation.pk
        )
        if not self.access.view:
            # Handed to another team, or the watcher lost their team: no more of this chat.
            self.revoked = True
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.close(code=FORBIDDEN)

    async def on_typing(self, content: dict) -> None:
        if not self.may_act():
            return
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "chat.typing",
                "origin": self.channel_name,
                "payload": {
                    "type": "typing",
                    "sender": self.role,
                    "conversation": str(self.conversation.public_id),
                },
            },
        )

    async def on_read(self, content: dict) -> None:
        up_to = parse_after(content.get("up_to"))
        if not self.may_act():
            return
        await database_sync_to_async(services.conversation_read)(
            conversation=self.conversation, sender=self.role, up_to=up_to
        )

    async def on_resume(self, content: dict) -> None:
        after = parse_after(content.get("after"))
        if self.role == "agent":
            await self.status_changed()
            if getattr(self, "revoked", False):
                return
        messages = await database_sync_to_async(selectors.messages_after)(
            conversation=self.conversation,
            after=after,
            language=self.language if self.reads_own_language else None,
        )
        for payload in messages:
            await self.send_json(payload)


class AgentConsumer(ChatProtocolConsumer):
    """`/ws/agent/`: staff only. The waiting queue, and the agent's own chats."""

    handlers = {
        "accept": "on_accept",
        "presence": "on_presence",
        "transfer": "on_transfer",
        "close": "on_close",
        "message": "on_message",
        "heartbeat": "on_heartbeat",
    }
    reads_own_language = True

    async def authorize_and_join(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
            await self.close(code=FORBIDDEN)
            return
        session = self.scope.get("session")
        if not await database_sync_to_async(session_verified)(user, session):
            await self.close(code=FORBIDDEN)
            return
        if not await database_sync_to_async(selectors.may_open_console)(user):
            await self.close(code=FORBIDDEN)
            return
        self.user = user
        self.groups_joined: set[str] = set()
        await self.join_revocation_groups(user, session)
        await self.join(AGENTS_GROUP)
        await self.accept()
        await database_sync_to_async(services.console_open)(
            agent=user, channel_name=self.channel_name
        )
        self.console_open = True
        self.last_beat_stored = time.monotonic()
        snapshot = await database_sync_to_async(selectors.queue_snapshot)(agent=user)
        for public_id in snapshot["active"]:
            await self.join(f"chat.{UUID(public_id).hex}")
        await self.send_json(snapshot)

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)
        await self.leave_revocation_groups()
        if getattr(self, "console_open", False):
            await database_sync_to_async(services.console_close)(channel_name=self.channel_name)

    async def on_heartbeat(self, content: dict) -> None:
        """The console is alive: without a beat for CHAT_CONSOLE_TIMEOUT_SECONDS the agent no
        longer counts as available for chat."""
        now = time.monotonic()
        if now - self.last_beat_stored >= HEARTBEAT_STORE_SECONDS:
            # A console beating faster than it should costs the database nothing more.
            self.last_beat_stored = now
            await database_sync_to_async(services.console_beat)(
                agent=self.user, channel_name=self.channel_name
            )
        await self.send_json({"type": "heartbeat"})

    async def queue_changed(self, event: dict) -> None:
        snapshot = await database_sync_to_async(selectors.queue_snapshot)(agent=self.user)
        # Follow the agent's chats as they change hands: join a chat handed to them, leave one
        # they handed on.
        active = {f"chat.{UUID(public_id).hex}" for public_id in snapshot["active"]}
        for group in [g for g in self.groups_joined if g.startswith("chat.") and g != AGENTS_GROUP]:
            if group not in active:
                await self.channel_layer.group_discard(group, self.channel_name)
                self.groups_joined.discard(group)
        for group in active - self.groups_joined:
            await self.join(group)
        await self.send_json(snapshot)

    def conversation_id(self, content: dict) -> str:
        value = content.get("conversation")
        try:
            return str(UUID(str(value)))
        except ValueError:
            raise ProtocolError(_("Name a conversation."), code=ChatErrorCode.INVALID) from None

    async def on_accept(self, content: dict) -> None:
        conversation = await database_sync_to_async(services.conversation_accept)(
            public_id=self.conversation_id(content), agent=self.user
        )
        await self.join(conversation.group_name)
        payload = await database_sync_to_async(selectors.status_payload)(conversation)
        await self.send_json(payload)

    async def on_presence(self, content: dict) -> None:
        await database_sync_to_async(services.presence_set)(
            agent=self.user, availability=content.get("availability")
        )

    async def on_transfer(self, content: dict) -> None:
        await database_sync_to_async(services.conversation_transfer)(
            public_id=self.conversation_id(content),
            by=self.user,
            agent_code=content.get("agent"),
            team_code=content.get("team"),
        )

    async def on_close(self, content: dict) -> None:
        await database_sync_to_async(services.conversation_close)(
            public_id=self.conversation_id(content), by=self.user
        )

    async def on_message(self, content: dict) -> None:
        found = await database_sync_to_async(selectors.conversation_for_socket)(
            public_id=self.conversation_id(content),
            visitor_key=None,
            user=self.user,
            session=self.scope.get("session"),
        )
        if found is None:
            raise ChatError(_("You cannot write in that chat."), code=ChatErrorCode.NOT_ALLOWED)
        await self.post_message(found[0], "agent", self.user, content)
