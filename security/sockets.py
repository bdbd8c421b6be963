"""Closing a user's open WebSockets when their log-in ends: log-out, a new password, a lost role
or a reset second factor. Agent sockets join these groups on connect (livechat.consumers)."""

import hashlib

from common.realtime import publish

REVOKE_EVENT = {"type": "security.revoke"}


def user_sockets_group(user_id: int) -> str:
    return f"security.user.{user_id}"


def session_sockets_group(session_key: str) -> str:
    # Group names travel through Redis; the session key itself is a credential.
    return "security.session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def sockets_close_for_user(user_id: int) -> None:
    publish(user_sockets_group(user_id), REVOKE_EVENT)


def sockets_close_for_session(session_key: str) -> None:
    publish(session_sockets_group(session_key), REVOKE_EVENT)
