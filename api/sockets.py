"""The wallet app on the chat socket: its token comes in `Sec-WebSocket-Protocol`.

The app offers two subprotocols, `wallet-support.v1` and `bearer.<token>`; the server accepts
the first and never echoes the token. A header, unlike a `?token=` query string, is not written
to the server's access log or a proxy's. The socket is then authorized like the web visitor's:
only the chats of the app user's own tickets open (api.selectors.app_user_conversation).
"""

from api.selectors import app_user_conversation
from api.tokens import AppUser, TokenRefused, api_enabled, app_token_verify
from livechat.models import Conversation

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


def app_conversation_for_socket(
    *, public_id: str, app_user: AppUser
) -> tuple[Conversation, str] | None:
    """As livechat.selectors.conversation_for_socket: the conversation and the role."""
    conversation = app_user_conversation(app_user=app_user, public_id=public_id)
    return (conversation, "customer") if conversation is not None else None
