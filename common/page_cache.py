"""Public pages rendered once per language and state, and served from the cache to visitors who
carry no session.

A help-centre page is the same for every visitor of a language but for three things: the CSRF
token in its forms, the visitor's own state (messages, a vote, a signed-in header) and what the
whole site shows at that moment (live chat open or not, the live announcements). So:

- only a GET without a session or messages cookie, and without a query string other than the
  ones the view names, is served from the cache or stored in it; everyone else gets the page
  rendered for them;
- the key holds the language, the path, the help centre's version (bumped when an editor saves
  anything a public page shows) and the site state parts the apps register (`state_part`);
- the stored HTML has the renderer's CSRF token swapped for a placeholder, and each visitor
  gets a token of their own in its place (the middleware then sets their CSRF cookie).

The pages are kept in the shared cache and, for the hits that follow, in a small memory of the
process: a hit costs one round trip to the cache for the state, whatever the page.
"""

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from hashlib import blake2b
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

VERSION_KEY = "page-cache:version"
PAGE_SECONDS = 5 * 60
PROCESS_PAGES = 256
CSRF_PLACEHOLDER = "\x00page-cache-csrf\x00"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
PAGE_NUMBER = re.compile(r"[0-9]{1,6}")


@dataclass(frozen=True)
class StatePart:
    """Something every cached page shows that is not the help centre's content: the cache key
    holding it and how it reads as part of the page key (`read` gets None on a miss)."""

    key: str
    read: Callable[[object], str]


@dataclass(frozen=True)
class CachedPage:
    html: str
    facts: dict = field(default_factory=dict)  # what the view needs on a hit (an article's id)

    def response(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(self.html.replace(CSRF_PLACEHOLDER, get_token(request)))


_state_parts: list[StatePart] = []
_process_pages: OrderedDict[str, CachedPage] = OrderedDict()
_process_lock = threading.Lock()


def state_part(*, key: str, read: Callable[[object], str]) -> None:
    """Register a part of the site's state that cached pages show (apps do, in `ready`)."""
    if all(part.key != key for part in _state_parts):
        _state_parts.append(StatePart(key=key, read=read))


def page_cache_bump(**_signal_arguments) -> None:
    """Forget every cached page: an editor changed something a public page shows. Connected to
    the models' save and delete signals, so the admin, imports and services all bump it."""
    cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def page_cache_forget(**_signal_arguments) -> None:
    """page_cache_bump now and again after commit: a page rendered in between could hold the
    rows as they were before the change."""
    page_cache_bump()
    transaction.on_commit(page_cache_bump)


def page_cache_version(*, found: int | None) -> int | None:
    """The help centre's version, given what the cache held under VERSION_KEY: a new or emptied
    cache gets a version of its own, so nothing remembered from before (perhaps from before an
    edit) can match. None only while the cache cannot keep one (Redis away)."""
    if found is not None:
        return found
    cache.add(VERSION_KEY, time.time_ns(), timeout=None)
    return cache.get(VERSION_KEY)


def page_lookup(
    request: HttpRequest, *, name: str, params: Iterable[str] = ()
) -> CachedPage | None:
    """The cached page for this request, or None (then render it and pass it to `page_store`).

    Marks the request as one whose rendering may be stored only when it qualifies.
    """
    if not _qualifies(request, params):
        return None
    values = cache.get_many([VERSION_KEY, *(part.key for part in _state_parts)])
    version = page_cache_version(found=values.get(VERSION_KEY))
    state = [part.read(values.get(part.key)) for part in _state_parts]
    query = request.GET.urlencode()
    raw = "\x1f".join([_release(), str(version), request.LANGUAGE_CODE, *state, request.path])
    key = f"page-cache:{name}:{blake2b(f'{raw}?{query}'.encode(), digest_size=16).hexdigest()}"
    request._page_cache_key = key
    with _process_lock:
        page = _process_pages.get(key)
        if page is not None:
            _process_pages.move_to_end(key)
            return page
    page = cache.get(key)
    if page is not None:
        _remember(key, page)
    return page


def page_store(request: HttpRequest, response: HttpResponse, **facts) -> HttpResponse:
    """Keep a page `page_lookup` missed, if nothing of this visitor's own went into it."""
    key = getattr(request, "_page_cache_key", None)
    session = getattr(request, "session", None)
    if (
        key is None
        or response.status_code != 200
        or response.streaming
        or response.cookies
        or (session is not None and (session.modified or session.keys()))
    ):
        return response
    html = response.content.decode(response.charset)
    found = CSRF_INPUT.search(html)
    if found:
        html = html.replace(found.group(1), CSRF_PLACEHOLDER)
    page = CachedPage(html=html, facts=facts)
    cache.set(key, page, PAGE_SECONDS)
    _remember(key, page)
    return response


def _qualifies(request: HttpRequest, params: Iterable[str]) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    allowed = set(params)
    for name, values in request.GET.lists():
        # Anything else in the address would be kept in the page (the language form's "next")
        # and could fill the cache with copies: such requests are rendered for the visitor.
        if name not in allowed or len(values) != 1 or not PAGE_NUMBER.fullmatch(values[0]):
            return False
    return True


def _remember(key: str, page: CachedPage) -> None:
    with _process_lock:
        _process_pages[key] = page
        _process_pages.move_to_end(key)
        while len(_process_pages) > PROCESS_PAGES:
            _process_pages.popitem(last=False)


_release_id: str | None = None


def _release() -> str:
    """What this process was deployed with: a new template or catalogue is a new release, so a
    deployment never serves pages rendered by the code before it."""
    global _release_id
    if _release_id is None:
        digest = blake2b(digest_size=8)
        roots = [Path(directory) for directory in settings.TEMPLATES[0]["DIRS"]]
        roots += [Path(directory) for directory in settings.LOCALE_PATHS]
        for root in roots:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    digest.update(f"{path}:{path.stat().st_mtime_ns}".encode())
        _release_id = digest.hexdigest()
    return _release_id


def page_cache_forget_process() -> None:
    """Empty this process's memory of pages (tests)."""
    with _process_lock:
        _process_pages.clear()
