"""Signed webhooks (Stripe-style signatures, standard library only): the security report to the
wallet's own backend (tickets.notifications) and the event subscriptions of this app.

The desk signs `f"{timestamp}.".encode() + body` with HMAC-SHA256 and a shared secret, and sends
it as `X-Wallet-Support-Signature: t=<timestamp>,v1=<hex>`. During a secret rotation a header
may carry several v1 values; the receiver accepts the request if any one of them matches.
"""

import hashlib
import hmac
import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from common.outbound import Connect, opener_within

SIGNATURE_HEADER = "X-Wallet-Support-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "X-Wallet-Support-Event"
USER_AGENT = "WalletSupport-Webhook/1"

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Fits WebhookAttempt.error (max_length=200).
MAX_ERROR_LENGTH = 200
BODY_EXCERPT_LENGTH = 200
# The whole POST may take this many times the per-operation timeout: a receiver that trickles
# its answer a byte at a time would otherwise hold the worker (and outlast the delivery's hold,
# webhooks.services.CLAIM_MARGIN_SECONDS) for as long as it likes.
TOTAL_TIMEOUT_FACTOR = 3
# A Unix timestamp has 10 digits until 2286; refuse absurd lengths before int() sees them.
MAX_TIMESTAMP_DIGITS = 15


def canonical_body(payload: dict) -> bytes:
    """JSON, UTF-8, sorted keys, compact separators: the exact bytes that are signed and sent."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of the signed message."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """'t=<timestamp>,v1=<hex HMAC-SHA256 of f"{timestamp}.".encode() + body>' (Stripe's scheme)."""
    return f"t={int(timestamp)},v1={_digest(secret, int(timestamp), body)}"


def _parse_header(header: str) -> tuple[int, list[str]] | None:
    """The header's timestamp and v1 signatures, or None when it is malformed."""
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            return None
        if key == "t":
            timestamps.append(value.strip())
        elif key == "v1":
            signatures.append(value.strip())
        # Other schemes (a future v2, say) are ignored, as in Stripe's scheme.
    if len(timestamps) != 1 or not signatures:
        return None
    raw = timestamps[0]
    # str.isdigit alone accepts non-ASCII digits; int() alone accepts "+1", " 1" and "1_0".
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_TIMESTAMP_DIGITS:
        return None
    return int(raw), signatures


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """True if a v1 signature in the header matches and its timestamp is within tolerance of now."""
    if not secret or not isinstance(header, str) or not isinstance(body, bytes | bytearray):
        return False
    parsed = _parse_header(header)
    if parsed is None:
        return False
    timestamp, signatures = parsed
    if abs(now - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, bytes(body)).encode("ascii")
    matched = False
    for candidate in signatures:
        # Compare bytes: compare_digest raises TypeError on non-ASCII str, and must never raise.
        matched |= hmac.compare_digest(expected, candidate.lower().encode("utf-8"))
    return matched


class TargetRefused(OSError):
    """The receiver's address is one the desk must not call (webhooks.addresses)."""


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one delivery attempt, ready to be stored as a WebhookAttempt."""

    ok: bool
    status_code: int | None
    error: str
    duration_ms: int
    retryable: bool


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Turn every redirect into an HTTPError: the receiver must configure its final URL."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: object,
        newurl: str,
    ) -> None:
        """Follow nothing."""
        return None


def _validate_url(url: str) -> None:
    """Raise ValueError for anything but an absolute http(s) URL with a host."""
    if not isinstance(url, str) or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ValueError("webhook URL must be a string without whitespace or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise ValueError(f"webhook URL scheme must be http or https, not {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("webhook URL has no host")
    try:
        _ = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        raise ValueError("webhook URL has an invalid port") from None


def _validate_header_value(name: str, value: str) -> None:
    """Raise ValueError for an empty header value or one that could split the header."""
    if not isinstance(value, str) or not value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"{name} must be a non-empty string without control characters")


def _scrub(text: str, *, secret: str, url: str) -> str:
    """Remove the secret and the URL's query string from text, then shorten it."""
    if secret:
        text = text.replace(secret, "[secret]")
    query = urlsplit(url).query
    if query:
        text = text.replace(query, "[query]")
    text = " ".join(text.split())
    if len(text) > MAX_ERROR_LENGTH:
        text = text[: MAX_ERROR_LENGTH - 1] + "…"
    return text


def _body_excerpt(response: urllib.error.HTTPError) -> str:
    """At most BODY_EXCERPT_LENGTH characters of an error response's body."""
    try:
        raw = response.read(BODY_EXCERPT_LENGTH * 4)
    except (OSError, http.client.HTTPException):
        return ""
    text = " ".join(raw.decode("utf-8", errors="replace").split())
    return text[:BODY_EXCERPT_LENGTH]


def _is_timeout(exc: BaseException) -> bool:
    """True for a timeout, whether raised bare or wrapped in a URLError."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError)


def post_signed(
    url: str,
    secret: str,
    *,
    event: str,
    payload: dict,
    idempotency_key: str,
    timeout: float = 5.0,
    now: int | None = None,
    connect: Connect | None = None,
) -> DeliveryResult:
    """POST the signed canonical body once; network and HTTP failures come back as a result.
    With `connect`, sockets are opened through it and no proxy of the environment is used."""
    _validate_url(url)
    if not isinstance(secret, str) or not secret:
        raise ValueError("webhook secret must be a non-empty string")
    _validate_header_value(EVENT_HEADER, event)
    _validate_header_value(IDEMPOTENCY_HEADER, idempotency_key)
    body = canonical_body(payload)
    timestamp = int(time.time()) if now is None else int(now)
    request = urllib.request.Request(  # noqa: S310  (the scheme was checked to be http(s) above)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            EVENT_HEADER: event,
            IDEMPOTENCY_HEADER: idempotency_key,
        },
    )
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if connect is not None:
        handlers.append(urllib.request.ProxyHandler({}))
    started = time.monotonic()

    def result(*, status_code: int | None, error: str, retryable: bool) -> DeliveryResult:
        duration_ms = max(0, round((time.monotonic() - started) * 1000))
        return DeliveryResult(
            ok=status_code is not None and 200 <= status_code < 300,
            status_code=status_code,
            error=_scrub(error, secret=secret, url=url),
            duration_ms=duration_ms,
            retryable=retryable,
        )

    with opener_within(timeout * TOTAL_TIMEOUT_FACTOR, connect=connect, handlers=handlers) as (
        opener,
        expired,
    ):
        return _post(opener, request, timeout=timeout, expired=expired, result=result)


def _post(opener, request, *, timeout: float, expired: threading.Event, result) -> DeliveryResult:
    try:
        # The timeout applies to each socket operation (connect, send, each read); the
        # watchdog of post_signed ends the whole at TOTAL_TIMEOUT_FACTOR times it.
        with opener.open(request, timeout=timeout) as response:
            return result(status_code=response.status, error="", retryable=False)
    except urllib.error.HTTPError as exc:
        code = exc.code
        try:
            excerpt = _body_excerpt(exc)
        finally:
            exc.close()
        if 300 <= code < 400:
            error = f"HTTP {code}: redirect not followed; configure the receiver's final URL"
        else:
            error = f"HTTP {code}: {excerpt}" if excerpt else f"HTTP {code}"
        return result(status_code=code, error=error, retryable=code == 429 or code >= 500)
    except (OSError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TargetRefused):
            return result(status_code=None, error=f"refused: {reason}", retryable=False)
        if expired.is_set():
            total = timeout * TOTAL_TIMEOUT_FACTOR
            return result(status_code=None, error=f"timed out after {total:g}s", retryable=True)
        if _is_timeout(exc):
            return result(status_code=None, error=f"timed out after {timeout:g}s", retryable=True)
        detail = str(reason) or type(reason).__name__
        return result(status_code=None, error=f"connection failed: {detail}", retryable=True)
