"""Rate limits on what visitors post, counted in the cache by django-ratelimit.

Every attempt (valid or not) counts against two keys: the client's address and the session.
Address limits are generous, because a Chinese mobile carrier puts many customers behind one
address; session limits are stricter. Limits per scope are in `settings.RATE_LIMITS`.

Views call `rate_limit_hit(request, scope)`; the chat socket, which has no request, calls
`rate_limit_hit_client(scope, address=..., session_key=...)` from its database thread. Both count
the same way. The response helpers below answer a refused attempt with 429 and `Retry-After`.
"""

import hashlib
import ipaddress
import logging
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
)
KEY_KINDS = ("address", "session")


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
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    if address.version == 6:
        mask = getattr(settings, "RATELIMIT_IPV6_MASK", 64)
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


def _count_in_redis(scope: str, keys: dict[str, str]) -> list[int | None]:
    """Both keys' counts in one round trip to Redis: a fixed window per key, named by the
    window's end, created with its expiry and incremented in one pipeline. The chat socket counts
    every message, on its one database thread, and django-ratelimit's three round trips per key
    (SET NX, EXISTS, INCR) took half of that thread at 200 messages a second."""
    backend = caches[CACHE_ALIAS]
    now = int(time.time())
    plan = []
    try:
        pipeline = _redis_client(backend).pipeline(transaction=False)
        for kind, value in keys.items():
            limit, period = _split_rate(settings.RATE_LIMITS[scope][kind])
            window_end = (now // period + 1) * period
            digest = hashlib.sha256(value.encode()).hexdigest()[:32]
            key = backend.make_and_validate_key(f"rl:{scope}:{kind}:{digest}:{window_end}")
            pipeline.set(key, 0, ex=period + 1, nx=True)
            pipeline.incr(key)
            plan.append((limit, window_end))
        counts = pipeline.execute()[1::2]
    except Exception:
        for kind in keys:
            logger.warning("rate limit %s/%s not counted: cache error", scope, kind, exc_info=True)
        return []
    return [
        max(1, window_end - now) if count > limit else None
        for (limit, window_end), count in zip(plan, counts, strict=True)
    ]


def rate_limit_hit_client(
    scope: str, *, address: str | None, session_key: str | None
) -> RateLimited | None:
    """Count one attempt of a client against its address and its session; None while both are
    within their limits. For code without a request (the chat socket), from a worker thread:
    the cache call blocks."""
    if scope not in SCOPES:
        raise ValueError(f"unknown rate-limit scope {scope!r}")
    if not rate_limits_enabled():
        return None
    keys = {"address": client_address(address), "session": session_key}
    keys = {kind: value for kind, value in keys.items() if value}
    if isinstance(caches[CACHE_ALIAS], RedisCache):
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
    if request.session.session_key is None:
        # A first-time visitor gets a session now, so their very first attempts count too.
        request.session.save()
    return rate_limit_hit_client(
        scope,
        address=request.META.get("REMOTE_ADDR"),
        session_key=request.session.session_key,
    )


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
