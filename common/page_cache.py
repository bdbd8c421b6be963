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
process; so are the version and the state for PAGE_CACHE_STATE_MS (a second by default, the
longest another process's publish or announcement waits to show here; a publish in this process
shows at once): a hit then costs no round trip at all, whatever the page. The state parts are
still read at each hit (an announcement that ends at 10:00 is gone at 10:00).

Pages with a form that carries a fresh key of its own (the contact form's `submission_key`, which
makes a double submission one ticket) get a fresh one in its place on each hit, as with the CSRF
token. Pages that show the time of day (home's "answered within") are kept for `every` seconds.
"""

import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from hashlib import blake2b
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from common.csrf import csrf_token

VERSION_KEY = "page-cache:version"
PAGE_SECONDS = 5 * 60
PROCESS_PAGES = 256
CSRF_PLACEHOLDER = "\x00page-cache-csrf\x00"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
KEY_PLACEHOLDER = "\x00page-cache-key\x00"
KEY_INPUT = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"')
FILLS = re.compile(f"({re.escape(CSRF_PLACEHOLDER)}|{re.escape(KEY_PLACEHOLDER)})")
# Part of every page key: a change of CachedPage's layout is never read from an older pickle.
LAYOUT = "2"
PAGE_NUMBER = re.compile(r"[0-9]{1,6}")


@dataclass(frozen=True)
class StatePart:
    """Something every cached page shows that is not the help centre's content: the cache key
    holding it and how it reads as part of the page key (`read` gets None on a miss)."""

    key: str
    read: Callable[[object], str]


@dataclass(frozen=True)
class CachedPage:
    """A page as bytes, split where each visitor's own values go (`fills`: CSRF_PLACEHOLDER or
    KEY_PLACEHOLDER after each chunk but the last), so a hit only joins bytes."""

    chunks: tuple[bytes, ...]
    fills: tuple[str, ...] = ()
    facts: dict = field(default_factory=dict)  # what the view needs on a hit (an article's id)

    @classmethod
    def of(cls, html: str, **facts) -> "CachedPage":
        pieces = FILLS.split(html)
        return cls(
            chunks=tuple(piece.encode() for piece in pieces[::2]),
            fills=tuple(pieces[1::2]),
            facts=facts,
        )

    def response(self, request: HttpRequest) -> HttpResponse:
        # One token and one key for the whole page, as a rendering gives (the csrf context
        # processor's token is computed once per page).
        values = {}
        if CSRF_PLACEHOLDER in self.fills:
            values[CSRF_PLACEHOLDER] = csrf_token(request).encode()
        if KEY_PLACEHOLDER in self.fills:
            values[KEY_PLACEHOLDER] = str(uuid.uuid4()).encode()
        parts = [self.chunks[0]]
        for fill, chunk in zip(self.fills, self.chunks[1:], strict=True):
            parts += (values[fill], chunk)
        return HttpResponse(b"".join(parts))


_state_parts: list[StatePart] = []
_process_pages: OrderedDict[str, CachedPage] = OrderedDict()
_process_lock = threading.Lock()
# (until, values): the version and state values as last read from the shared cache.
_state_memo: tuple[float, dict] = (0.0, {})


def state_part(*, key: str, read: Callable[[object], str]) -> None:
    """Register a part of the site's state that cached pages show (apps do, in `ready`)."""
    if all(part.key != key for part in _state_parts):
        _state_parts.append(StatePart(key=key, read=read))


def page_cache_bump(**_signal_arguments) -> None:
    """Forget every cached page: an editor changed something a public page shows. Connected to
    the models' save and delete signals, so the admin, imports and services all bump it."""
    cache.set(VERSION_KEY, time.time_ns(), timeout=None)
    _state_forget()


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
    request: HttpRequest,
    *,
    name: str,
    params: Iterable[str] = (),
    choices: Mapping[str, Collection[str]] | None = None,
    every: int | None = None,
) -> CachedPage | None:
    """The cached page for this request, or None (then render it and pass it to `page_store`).

    `params` are query parameters taking a page number, `choices` ones taking one of the given
    values; `every` keeps the page that many seconds at most (it shows the time of day).
    Marks the request as one whose rendering may be stored only when it qualifies.
    """
    if not _qualifies(request, params, choices or {}):
        return None
    values = _state_values()
    version = values[VERSION_KEY]
    state = [part.read(values.get(part.key)) for part in _state_parts]
    if every:
        state.append(str(int(time.time() // every)))
    query = request.GET.urlencode() if request.META.get("QUERY_STRING") else ""
    raw = "\x1f".join(
        [LAYOUT, _release(), str(version), request.LANGUAGE_CODE, *state, request.path]
    )
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
    for pattern, placeholder in ((CSRF_INPUT, CSRF_PLACEHOLDER), (KEY_INPUT, KEY_PLACEHOLDER)):
        if found := pattern.search(html):
            html = html.replace(found.group(1), placeholder)
    page = CachedPage.of(html, **facts)
    cache.set(key, page, PAGE_SECONDS)
    _remember(key, page)
    return response


def _state_values() -> dict:
    """The version and the state parts' values, from the shared cache at most every
    PAGE_CACHE_STATE_MS."""
    global _state_memo
    until, values = _state_memo
    now = time.time()
    if now < until:
        return values
    keys = [VERSION_KEY, *(part.key for part in _state_parts)]
    values = cache.get_many(keys)
    values[VERSION_KEY] = page_cache_version(found=values.get(VERSION_KEY))
    # A missing state value is read from its source by the part (and cached there): not kept.
    if all(key in values for key in keys):
        _state_memo = (now + settings.PAGE_CACHE_STATE_MS / 1000, values)
    return values


def _state_forget() -> None:
    global _state_memo
    _state_memo = (0.0, {})


def _qualifies(
    request: HttpRequest, params: Iterable[str], choices: Mapping[str, Collection[str]]
) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    if not request.META.get("QUERY_STRING"):
        return True
    allowed = set(params)
    for name, values in request.GET.lists():
        # Anything else in the address would be kept in the page (the language form's "next")
        # and could fill the cache with copies: such requests are rendered for the visitor.
        if len(values) != 1:
            return False
        if name in choices:
            if values[0] not in choices[name]:
                return False
        elif name not in allowed or not PAGE_NUMBER.fullmatch(values[0]):
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
    """Empty this process's memory of pages and of the state (tests)."""
    with _process_lock:
        _process_pages.clear()
    _state_forget()
