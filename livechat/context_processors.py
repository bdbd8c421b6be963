from django.http import HttpRequest

from livechat.selectors import live_chat_available_cached


def chat_launcher(request: HttpRequest) -> dict[str, object]:
    """Whether the launcher on every page offers a live agent or a message that becomes a ticket.

    Lazy, so pages without the launcher (admin, JSON) never ask.
    """
    return {"CHAT_AVAILABLE": live_chat_available_cached}
