from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from announcements.selectors import announcement_list_live_cached


def announcements(request: HttpRequest) -> dict[str, object]:
    """Every live announcement, for the home page and the chat launcher.

    Lazy, and read once per request: pages that show none (admin, JSON) never ask.
    """
    return {"LIVE_ANNOUNCEMENTS": SimpleLazyObject(announcement_list_live_cached)}
