"""The session and its user on a WebSocket's scope, as Channels' `AuthMiddlewareStack` puts them,
at a fraction of the memory an open socket holds.

Channels' stack is three middlewares (cookies, session, user), each keeping a copy of the scope
and, for the session, a wrapper around `send` for the life of the socket; and the session engine
here, `cached_db`, made a cache object, a Redis client and a Redis connection of each socket's
own (Django keeps caches per async context), kept open as long as the socket. Together that was
a sixth of a chat socket's memory (docs/benchmarks.md).

`SocketSessionMiddleware` makes one copy of the scope with `cookies`, `session` and `user`, and
reads a `cached_db` session from the database (where `cached_db` always writes it) so a socket
never touches the cache to open. A socket never saves the session, as Channels' middleware
never does for a WebSocket either: only HTTP responses carry cookies.
"""

from importlib import import_module

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import parse_cookie
from django.utils.crypto import constant_time_compare

CACHED_DB = "django.contrib.sessions.backends.cached_db"


def socket_session_store():
    """The session store a socket reads: the database's for `cached_db`, else the site's own."""
    engine = settings.SESSION_ENGINE
    if engine == CACHED_DB:
        engine = "django.contrib.sessions.backends.db"
    return import_module(engine).SessionStore


def scope_cookies(scope: dict) -> dict[str, str]:
    for name, value in scope.get("headers") or []:
        if name == b"cookie":
            return parse_cookie(value.decode("latin1"))
    return {}


@database_sync_to_async
def session_user(session):
    """The session's user, as `django.contrib.auth.get_user` (and Channels' `get_user`) finds
    them: a session whose password hash no longer matches is ended, through the site's own
    engine so its cached copy goes too."""
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    user = load_backend(backend_path).get_user(user_id)
    if user is None:
        return AnonymousUser()
    if hasattr(user, "get_session_auth_hash") and not _hash_verified(user, session):
        import_module(settings.SESSION_ENGINE).SessionStore(session.session_key).flush()
        session.flush()
        return AnonymousUser()
    return user


def _hash_verified(user, session) -> bool:
    # A hash made with a SECRET_KEY_FALLBACKS key still holds, as in Django's own get_user (which
    # then renews the session's key; a socket saves no session, its next page will).
    session_hash = session.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return any(constant_time_compare(session_hash, expected) for expected in hashes)


class SocketSessionMiddleware:
    """ASGI middleware: `cookies`, `session` and `user` on a WebSocket's scope (HTTP passes by)."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        cookies = scope_cookies(scope)
        session = socket_session_store()(cookies.get(settings.SESSION_COOKIE_NAME))
        scope = {**scope, "cookies": cookies, "session": session}
        scope["user"] = await session_user(session)
        return await self.inner(scope, receive, send)
