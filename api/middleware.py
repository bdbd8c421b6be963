"""The wallet app on the chat socket: its token comes in `Sec-WebSocket-Protocol`.

The app offers two subprotocols, `wallet-support.v1` and `bearer.<token>`; the server accepts
the first and never echoes the token. A header, unlike a `?token=` query string, is not written
to the server's access log or a proxy's.

`AppTokenMiddleware` checks the token once, at the handshake, and puts the app user on the
scope as `app_token_user` (and the subprotocol to answer with as `subprotocol`). The chat socket
then authorizes the app user like the web visitor: only the chats of their own tickets open
(livechat.selectors.conversation_for_app_user).
"""

from api.tokens import AppUser, TokenRefused, api_enabled, app_token_verify

SUBPROTOCOL = "wallet-support.v1"
TOKEN_PREFIX = "bearer."  # noqa: S105 - a prefix, not a secret


def offered_token(scope: dict) -> str | None:
    for offered in scope.get("subprotocols") or []:
        if offered.startswith(TOKEN_PREFIX):
            return offered.removeprefix(TOKEN_PREFIX)
    return None


def socket_app_user(scope: dict) -> AppUser | None:
    """The app user whose valid token the socket offered, or None (no CPU-heavy or DB work)."""
    token = offered_token(scope)
    if token is None or not api_enabled():
        return None
    try:
        return app_token_verify(token)
    except TokenRefused:
        return None


def accepted_subprotocol(scope: dict) -> str | None:
    """The subprotocol to answer with: ours when offered (a client that offers some must get
    one of them back), else none, as for the web page."""
    return SUBPROTOCOL if SUBPROTOCOL in (scope.get("subprotocols") or []) else None


class AppTokenMiddleware:
    """ASGI middleware for WebSockets: the wallet app's user from its token, on the scope."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        # A web page's socket offers no subprotocol: its scope passes as it is (a copy is kept
        # for the life of the socket), and the consumers read both keys with `.get`.
        if scope["type"] == "websocket" and scope.get("subprotocols"):
            scope = {
                **scope,
                "app_token_user": socket_app_user(scope),
                "subprotocol": accepted_subprotocol(scope),
            }
        return await self.inner(scope, receive, send)
