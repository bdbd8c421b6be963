from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from livechat.forms import ChatStartForm
from livechat.selectors import live_chat_available_cached

MESSENGER_PREFIX = "messenger"


def messenger_start_form() -> ChatStartForm:
    """The start form of the in-page messenger, with names and ids of its own beside the page's
    forms (messenger.js posts it as JSON with the form's own names)."""
    return ChatStartForm(prefix=MESSENGER_PREFIX)


def chat_launcher(request: HttpRequest) -> dict[str, object]:
    """Whether the launcher on every page offers a live agent or a message that becomes a ticket,
    and the messenger's start form.

    Lazy, so pages without the launcher (admin, JSON) never ask, and asked once per page
    however often the template tests it.
    """
    return {
        "CHAT_AVAILABLE": SimpleLazyObject(live_chat_available_cached),
        "CHAT_START_FORM": messenger_start_form,
    }
