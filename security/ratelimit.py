"""Rate limits on what visitors post, counted in the cache by django-ratelimit.

Every attempt (valid or not) counts against two keys: the client's address and the session.
Address limits are generous, because a Chinese mobile carrier puts many customers behind one
address; session limits are stricter. Limits per scope are in `settings.RATE_LIMITS`.

A session limit alone stops no script: one that drops its cookie, or sends one made up, would
start a session of its own on every attempt. So only a session the store holds counts as one
(a made-up key is dropped on loading), and an attempt that arrives without one also counts
against the address's `fresh` key, a limit as strict as a session's. A script then meets the
session limit if it keeps its cookie, the `fresh` limit if it does not, and the address limit
either way; customers behind one address each keep their own session limit. The address is
`REMOTE_ADDR`, which the server sets from the proxy's X-Forwarded-For only for the proxies that
FORWARDED_ALLOW_IPS names (uvicorn's --proxy-headers), so a client cannot choose its own.

Views call `rate_limit_hit(request, scope)`; the chat socket, which has no request, calls
`rate_limit_hit_client(scope, address=..., session_key=...)` from its database thread. Both count
the same way. The response helpers below answer a refused attempt with 429 and `Retry-After`.
"""

import asyncio
import functools
import hashlib
import ipaddress
import logging
import os
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from django_ratelimit.core import _split_rate, get_usage

logger = logging.getLogger(__name__)
CACHE_ALIAS = getattr(settings, "RATELIMIT_USE_CACHE", "default")

SCOPES = (
    "contact",
    "ticket_reply",
    "chat_start",
    "chat_message",
    "chat_transcript",
    "faq_vote",
    "verify",
    "privacy",
    "new_link",
    "search",
    "ticket_link",
    "mail_recipient",
    "fake_report",
    "chain_status",
)
KEY_KINDS = ("address", "session", "fresh")
# Set in a session the limits started, so the session is saved and its cookie sent.
SESSION_MARK = "rate_limit_since"


@dataclass(frozen=True)
class RateLimited:
    """A refused attempt: when the client may try again."""

    scope: str
    retry_after: int

    @property
    def message(self) -> str:
        # A property, so the text is in the language active where it is shown.
        return ngettext(
            "Too many attempts. Please try again in %(seconds)d second.",
            "Too many attempts. Please try again in %(seconds)d seconds.",
            self.retry_after,
        ) % {"seconds": self.retry_after}


def client_address(raw: str | None) -> str | None:
    """The address a limit counts: IPv4 as it is, IPv6 masked to its /64 (one subscriber's
    network), like django-ratelimit's own `ip` key. None when there is no valid address."""
    if not raw:
        return None
    return _masked_address(raw, getattr(settings, "RATELIMIT_IPV6_MASK", 64))


@functools.lru_cache(maxsize=4096)  # the chat asks again for every message of a socket
def _masked_address(raw: str, mask: int) -> str | None:
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{mask}", strict=False).network_address)
    return str(address)


def rate_limits_enabled() -> bool:
    return getattr(settings, "RATE_LIMITS_ENABLED", True)


def _count(scope: str, kind: str, value: str) -> int | None:
    """Count one attempt for this key; the seconds until its window ends when it is over."""
    rate = settings.RATE_LIMITS[scope][kind]
    try:
        usage = get_usage(
            None,  # the key is given below: django-ratelimit needs no request for it
            group=f"wallet_support.{scope}.{kind}",
            key=lambda group, request: value,
            rate=rate,
            increment=True,
        )
    except Exception:
        # A cache outage must not turn every contact form away: fail open, and say so.
        logger.warning("rate limit %s/%s not counted: cache error", scope, kind, exc_info=True)
        return None
    if usage is None or not usage["should_limit"]:
        return None
    # The window still holds at its last second (`time_left` 0): the count resets one later.
    return max(1, usage["time_left"] + 1)


def _redis_client(backend):
    """The cache's Redis client, made once per cache object. Django's RedisCache exposes no
    pipeline, so its client's is used (documented in its source); `get_client()` builds a new
    `redis.Redis` on every call, which cost a quarter of each count. The client is thread-safe
    (its connection pool is)."""
    client = getattr(backend, "_rate_limit_client", None)
    if client is None:
        client = backend._rate_limit_client = backend._cache.get_client(write=True)
    return client


def _redis_key(backend, scope: str, kind: str, value: str, window_end: int) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return backend.make_and_validate_key(f"rl:{scope}:{kind}:{digest}:{window_end}")


def _redis_keys(
    backend, scope: str, keys: dict[str, str], now: int, names: dict | None = None
) -> list[tuple[str, int, int, int]]:
    """(key, limit, period, window end) for each key kind: a fixed window per key, named by the
    window's end, so every process and every way of counting meets at the same Redis key.
    `names` keeps each key's name for its window (a hash and a key check each time otherwise)."""
    plan = []
    for kind, value in keys.items():
        limit, period = _split_rate(settings.RATE_LIMITS[scope][kind])
        window_end = (now // period + 1) * period
        named = (scope, kind, value, window_end)
        key = names.get(named) if names is not None else None
        if key is None:
            key = _redis_key(backend, *named)
            if names is not None:
                names[named] = key
        plan.append((key, limit, period, window_end))
    return plan


def _add_in_redis(backend, additions: dict[str, tuple[int, int]]) -> dict[str, int]:
    """Add to each key (count, expiry in seconds) in one pipeline: the keys' new totals."""
    pipeline = _redis_client(backend).pipeline(transaction=False)
    for key, (count, expiry) in additions.items():
        pipeline.set(key, 0, ex=expiry, nx=True)
        pipeline.incrby(key, count)
    totals = pipeline.execute()[1::2]
    return dict(zip(additions, totals, strict=True))


def _count_in_redis(scope: str, keys: dict[str, str]) -> list[int | None]:
    """Both keys' counts in one round trip to Redis, each created with its expiry and
    incremented in one pipeline (django-ratelimit takes three round trips per key)."""
    backend = caches[CACHE_ALIAS]
    now = int(time.time())
    try:
        plan = _redis_keys(backend, scope, keys, now)
        totals = _add_in_redis(backend, {key: (1, period + 1) for key, _, period, _ in plan})
    except Exception:
        for kind in keys:
            logger.warning("rate limit %s/%s not counted: cache error", scope, kind, exc_info=True)
        return []
    return [
        max(1, window_end - now) if totals[key] > limit else None
        for key, limit, _, window_end in plan
    ]


class BatchedCounts:
    """One process's counts of the chat socket's messages, settled with Redis about once a
    second rather than in a round trip each: at 200 messages a second one round trip a message
    held the chat's database threads longer than the message itself (docs/benchmarks.md).

    A process counts exactly what it saw (its own attempts plus the totals Redis gave at the last
    settling); what other processes counted reaches it within a second or so, so a client spread
    over several processes gets at most that much more through (each socket's own limit, 10 in 5
    seconds, bounds it). An attempt that would pass the limit by this process's count is settled
    at once, so a refusal is never a guess; once Redis has confirmed a key over its limit, later
    attempts in its window are refused without asking again (a window's count only grows).
    A Redis outage lets attempts through and logs a warning, as `_count_in_redis` does.
    """

    SETTLE_SECONDS = 1.0

    def __init__(self, backend) -> None:
        self.backend = backend
        self.lock = threading.Lock()
        self.known: dict[str, int] = {}  # key -> its total in Redis when last settled
        self.pending: dict[str, tuple[int, int]] = {}  # key -> (attempts not yet added, expiry)
        self.window_ends: dict[str, int] = {}
        self.names: dict[tuple, str] = {}  # (scope, kind, value, window end) -> key
        self.settled_at = time.monotonic()
        self.settling = False

    def hit(self, scope: str, keys: dict[str, str]) -> list[int | None]:
        now = int(time.time())
        plan = _redis_keys(self.backend, scope, keys, now, self.names)
        waits: list[int | None] = []
        unsure = []
        with self.lock:
            for key, limit, period, window_end in plan:
                known = self.known.get(key, 0)
                count, _ = self.pending.get(key, (0, 0))
                if known < limit < known + count + 1:
                    unsure.append((key, limit, period, window_end))
                    continue
                self.pending[key] = (count + 1, period + 1)
                self.window_ends[key] = window_end
                waits.append(max(1, window_end - now) if known + count + 1 > limit else None)
        if unsure:
            waits.extend(self._settle_now(unsure, now))
        self._settle_when_due()
        return waits

    def _settle_now(self, plan, now: int) -> list[int | None]:
        """Add this attempt and what is pending for these keys, and decide on Redis's totals."""
        with self.lock:
            additions = {}
            for key, _, period, window_end in plan:
                count, _ = self.pending.pop(key, (0, 0))
                additions[key] = (count + 1, period + 1)
                self.window_ends[key] = window_end
        totals = self._add(additions)
        if totals is None:
            return []
        return [
            max(1, window_end - now) if totals[key] > limit else None
            for key, limit, _, window_end in plan
        ]

    def _settle_when_due(self) -> None:
        with self.lock:
            if self.settling or time.monotonic() - self.settled_at < self.SETTLE_SECONDS:
                return
            self.settling = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.settle()
        else:
            # Off the event loop: the socket that happened to be due does not wait for Redis.
            loop.run_in_executor(None, self.settle)

    def settle(self) -> None:
        """Add every pending attempt to Redis in one round trip; forget windows that ended."""
        try:
            with self.lock:
                additions, self.pending = self.pending, {}
                now = time.time()
                ended = [key for key, end in self.window_ends.items() if end <= now]
                for key in ended:
                    self.window_ends.pop(key)
                    self.known.pop(key, None)
                    additions.pop(key, None)
                self.names = {named: key for named, key in self.names.items() if named[3] > now}
            if additions:
                self._add(additions)
        finally:
            with self.lock:
                self.settled_at = time.monotonic()
                self.settling = False

    def _add(self, additions: dict[str, tuple[int, int]]) -> dict[str, int] | None:
        try:
            totals = _add_in_redis(self.backend, additions)
        except Exception:
            logger.warning("chat rate limits not counted: cache error", exc_info=True)
            return None
        with self.lock:
            for key, total in totals.items():
                # Settlings may finish out of order: the larger total is the later one.
                self.known[key] = max(total, self.known.get(key, 0))
        return totals


_batched: dict[tuple, BatchedCounts] = {}
_batched_lock = threading.Lock()


def batched_counts() -> BatchedCounts | None:
    """The process's batched counts for the default cache, when it is Redis. Kept here, not on
    the cache object: Django makes a cache object per thread and per async context, so each
    socket would otherwise count alone. One per Redis location (a test that moves CACHES gets
    fresh counts) and per process (a forked worker starts afresh)."""
    backend = caches[CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    place = (os.getpid(), tuple(backend._servers), backend.key_prefix)
    counts = _batched.get(place)
    if counts is None:
        with _batched_lock:
            counts = _batched.setdefault(place, BatchedCounts(backend))
    return counts


def forget_batched_counts() -> None:
    """Start the process's batched counts afresh: for whoever clears the cache (tests)."""
    _batched.clear()


def rate_limit_hit_client(
    scope: str,
    *,
    address: str | None,
    session_key: str | None,
    fresh: bool = False,
    batched: bool = False,
) -> RateLimited | None:
    """Count one attempt of a client against its address and its session (and, when `fresh`,
    the address's limit on attempts that came without a session); None while all are within
    their limits. For code without a request (the chat socket). The cache call blocks,
    except with `batched` (on Redis, `BatchedCounts`), which almost never waits for Redis and
    may be called on the event loop."""
    if scope not in SCOPES:
        raise ValueError(f"unknown rate-limit scope {scope!r}")
    if not rate_limits_enabled():
        return None
    address = client_address(address)
    keys = {"address": address, "session": session_key, "fresh": address if fresh else None}
    keys = {
        kind: value for kind, value in keys.items() if value and kind in settings.RATE_LIMITS[scope]
    }
    if batched and (counts := batched_counts()) is not None:
        waits = counts.hit(scope, keys)
    elif isinstance(caches[CACHE_ALIAS], RedisCache):
        waits = _count_in_redis(scope, keys)
    else:
        waits = [_count(scope, kind, value) for kind, value in keys.items()]
    waits = [wait for wait in waits if wait is not None]
    if not waits:
        return None
    return RateLimited(scope=scope, retry_after=max(waits))


def rate_limit_hit(request: HttpRequest, scope: str) -> RateLimited | None:
    """Count one attempt of this request's client in `scope`; None while it is allowed."""
    if not rate_limits_enabled():
        return None
    session_key, fresh = counted_session(request)
    return rate_limit_hit_client(
        scope, address=request.META.get("REMOTE_ADDR"), session_key=session_key, fresh=fresh
    )


def counted_session(request: HttpRequest) -> tuple[str, bool]:
    """The session an attempt counts against, and whether it was started for this attempt.
    Reading the session loads it, which drops a key the store does not hold: a made-up cookie
    is no session, so it cannot give a script a fresh count."""
    session = request.session
    session.get(SESSION_MARK)
    fresh = session.session_key is None
    if fresh:
        # A first-time visitor gets a session now, so their very first attempts count too.
        session[SESSION_MARK] = int(time.time())
        session.save()
    return session.session_key, fresh


# Answers to a refused attempt: status 429, `Retry-After`, nothing saved.


def _with_retry_after(response: HttpResponse, limited: RateLimited) -> HttpResponse:
    response["Retry-After"] = str(limited.retry_after)
    return response


def rate_limited_json(limited: RateLimited) -> JsonResponse:
    # The shape of the site's other JSON errors (and the API's).
    body = {
        "error": {
            "code": "rate_limited",
            "message": limited.message,
            "retry_after": limited.retry_after,
        }
    }
    return _with_retry_after(JsonResponse(body, status=429), limited)


def rate_limited_render(
    request: HttpRequest, template: str, context: dict, limited: RateLimited
) -> HttpResponse:
    """The page of the refused form again (see guard.refusals.form_rate_limited), as a 429."""
    return _with_retry_after(render(request, template, context, status=429), limited)


def rate_limited_page(
    request: HttpRequest,
    limited: RateLimited,
    *,
    back_url: str,
    resend_url: str = "",
    draft: str = "",
) -> HttpResponse:
    """templates/429.html, for a post that has no form page of its own to show again. With a
    `resend_url`, the text the visitor wrote (`draft`) is kept in a form that sends it again."""
    context = {"limited": limited, "back_url": back_url, "resend_url": resend_url, "draft": draft}
    return rate_limited_render(request, "429.html", context, limited)
