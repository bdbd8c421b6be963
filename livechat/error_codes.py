"""Every code the chat sockets send in an `error` event (docs/chat-protocol.md): clients act on
them, so a value here never changes."""

from enum import StrEnum

# ruff: noqa: S105 - names such as TOKEN_INVALID and SECRET_REFUSED are codes, not passwords


class ChatErrorCode(StrEnum):
    # The frame itself (livechat.consumers).
    FRAME_TOO_LARGE = "frame_too_large"
    INVALID_JSON = "invalid_json"
    # Text with a lone surrogate (an escape JSON allows but Unicode does not).
    INVALID_TEXT = "invalid_text"
    UNKNOWN_TYPE = "unknown_type"
    INVALID = "invalid"
    TOO_LONG = "too_long"
    RATE_LIMITED = "rate_limited"
    SECRET_REFUSED = "secret_refused"
    # The server cannot store a message promptly: nothing was stored; send it again, same
    # client_id, after `retry_after` seconds (livechat.db.overloaded).
    OVERLOADED = "overloaded"
    # The chat's state and who may act on it (livechat.services).
    CLOSED = "closed"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    AGENT_GUARD = "agent_guard"
    # Presence (agents.services).
    NOT_AN_AGENT = "not_an_agent"
    # Anything unforeseen on the server: the frame was not acted on; send it again later.
    SERVER_ERROR = "server_error"
