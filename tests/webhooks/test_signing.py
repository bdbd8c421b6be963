"""Signed webhooks: signatures, and delivery to a real HTTP server on the loopback interface."""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhooks.signing import (
    EVENT_HEADER,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    DeliveryResult,
    canonical_body,
    post_signed,
    sign,
    verify,
)

SECRET = "whsec_test_8f3b2c1d9e7a6b5c4d3e2f1a"
OLD_SECRET = "whsec_test_old_0a1b2c3d4e5f6a7b8c9d"
NOW = 1_764_000_000
PAYLOAD = {
    "ticket": "WS-2026-00042",
    "wallet_account_id": "WA-10023",
    "security_issue": "unrecognised_activity",
    "funds_moved": False,
    "name": "李伟",
}
EVENT = "ticket.account_security"
KEY = "delivery-6f1c8d9e-0042"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A local HTTP server that records requests and answers as it is told."""

    url: str
    requests: list[Recorded] = field(default_factory=list)
    status: int = 200
    response_body: bytes = b""
    response_headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch):
    """Loopback requests must reach the test server, never an HTTP proxy from the environment."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A ThreadingHTTPServer on 127.0.0.1 with an ephemeral port, stopped after the test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/wallet")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(
                Recorded(
                    method="POST",
                    path=self.path,
                    headers=dict(self.headers.items()),
                    body=self.rfile.read(length),
                )
            )
            # Released at teardown, so a sleeping handler ends with its test, without answering.
            if state.delay and state.release.wait(state.delay):
                return
            self.send_response(state.status)
            for name, value in state.response_headers.items():
                self.send_header(name, value)
            if state.status not in (204, 304):
                self.send_header("Content-Length", str(len(state.response_body)))
            self.end_headers()
            if state.status not in (204, 304):
                self.wfile.write(state.response_body)

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet."""

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that is bound but not listening, so connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def deliver(url: str, **overrides) -> DeliveryResult:
    arguments = {
        "event": EVENT,
        "payload": PAYLOAD,
        "idempotency_key": KEY,
        "now": NOW,
        "timeout": 2.0,
    }
    arguments.update(overrides)
    secret = arguments.pop("secret", SECRET)
    return post_signed(url, secret, **arguments)


# canonical_body


def test_canonical_body_sorts_keys_compact_utf8():
    body = canonical_body({"b": 1, "a": {"d": [1, 2], "c": "é"}})
    assert body == '{"a":{"c":"é","d":[1,2]},"b":1}'.encode()


def test_canonical_body_is_independent_of_key_order():
    assert canonical_body({"x": 1, "y": 2}) == canonical_body({"y": 2, "x": 1})


def test_canonical_body_rejects_nan():
    with pytest.raises(ValueError, match="JSON"):
        canonical_body({"amount": float("nan")})


# sign and verify


def test_sign_uses_stripe_format():
    header = sign(SECRET, NOW, b"{}")
    timestamp, signature = header.split(",")
    assert timestamp == f"t={NOW}"
    assert signature.startswith("v1=")
    assert len(signature.removeprefix("v1=")) == 64


def test_sign_round_trip_verifies():
    body = canonical_body(PAYLOAD)
    assert verify(SECRET, sign(SECRET, NOW, body), body, now=NOW)


def test_sign_is_the_hmac_of_timestamp_and_body_and_depends_on_timestamp():
    import hashlib
    import hmac

    body = canonical_body(PAYLOAD)
    # Stripe's scheme, computed here on its own: HMAC-SHA256 of "<timestamp>." + body.
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, body) == f"t={NOW},v1={expected}"
    assert sign(SECRET, NOW, body).split(",")[1] != sign(SECRET, NOW + 1, body).split(",")[1]


def test_verify_rejects_tampered_body():
    body = canonical_body(PAYLOAD)
    tampered = canonical_body({**PAYLOAD, "funds_moved": True})
    assert not verify(SECRET, sign(SECRET, NOW, body), tampered, now=NOW)


def test_verify_rejects_wrong_secret():
    body = canonical_body(PAYLOAD)
    assert not verify("another-secret", sign(SECRET, NOW, body), body, now=NOW)


def test_verify_rejects_timestamp_moved_in_header():
    body = canonical_body(PAYLOAD)
    signature = sign(SECRET, NOW, body).split(",")[1]
    assert not verify(SECRET, f"t={NOW + 1},{signature}", body, now=NOW)


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_verify_rejects_timestamp_outside_tolerance(age):
    body = canonical_body(PAYLOAD)
    assert not verify(SECRET, sign(SECRET, NOW - age, body), body, now=NOW)


@pytest.mark.parametrize("age", [0, 300, -300])
def test_verify_accepts_timestamp_within_tolerance(age):
    body = canonical_body(PAYLOAD)
    assert verify(SECRET, sign(SECRET, NOW - age, body), body, now=NOW)


def test_verify_honours_custom_tolerance():
    body = canonical_body(PAYLOAD)
    header = sign(SECRET, NOW - 60, body)
    assert not verify(SECRET, header, body, now=NOW, tolerance=30)
    assert verify(SECRET, header, body, now=NOW, tolerance=60)


@pytest.mark.parametrize(
    "header",
    [
        "",
        ",",
        "garbage",
        "t=,v1=",
        f"t={NOW}",
        "v1=" + "0" * 64,
        f"t=abc,v1={'0' * 64}",
        f"t=+{NOW},v1={'0' * 64}",
        f"t=1_764_000_000,v1={'0' * 64}",
        f"t=١٧٦٤٠٠٠٠٠٠,v1={'0' * 64}",
        f"t={'9' * 5000},v1={'0' * 64}",
        f"t={NOW},t={NOW},v1={'0' * 64}",
        f"t={NOW};v1={'0' * 64}",
        f"t={NOW},v1=ünïcødé",
        f"t={NOW},v1",
        f"t={NOW},v0={'0' * 64}",
    ],
)
def test_verify_rejects_malformed_header_without_raising(header):
    assert verify(SECRET, header, canonical_body(PAYLOAD), now=NOW) is False


@pytest.mark.parametrize("header", [None, b"t=1,v1=00", 42])
def test_verify_rejects_non_string_header(header):
    assert verify(SECRET, header, canonical_body(PAYLOAD), now=NOW) is False


def test_verify_rejects_empty_secret():
    body = canonical_body(PAYLOAD)
    assert not verify("", sign("", NOW, body), body, now=NOW)


def test_verify_accepts_rotated_secrets_in_one_header():
    body = canonical_body(PAYLOAD)
    old = sign(OLD_SECRET, NOW, body).split(",")[1]
    new = sign(SECRET, NOW, body).split(",")[1]
    header = f"t={NOW},{old},{new}"
    assert verify(OLD_SECRET, header, body, now=NOW)
    assert verify(SECRET, header, body, now=NOW)
    assert not verify("a-third-secret", header, body, now=NOW)


def test_verify_ignores_unknown_schemes_and_spaces():
    body = canonical_body(PAYLOAD)
    signature = sign(SECRET, NOW, body).split(",")[1]
    assert verify(SECRET, f"t={NOW}, v0=deadbeef, {signature}", body, now=NOW)


# post_signed: what is sent


def test_post_signed_sends_canonical_body_and_headers(receiver):
    result = deliver(receiver.url)

    assert result.ok
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/hooks/wallet"
    assert request.body == canonical_body(PAYLOAD)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "WalletSupport-Webhook/1"
    assert request.headers[EVENT_HEADER] == EVENT
    assert request.headers[IDEMPOTENCY_HEADER] == KEY
    assert request.headers[SIGNATURE_HEADER] == sign(SECRET, NOW, canonical_body(PAYLOAD))


def test_post_signed_receiver_can_verify_what_it_received(receiver):
    deliver(receiver.url)

    [request] = receiver.requests
    assert verify(SECRET, request.headers[SIGNATURE_HEADER], request.body, now=NOW + 5)
    assert not verify("another-secret", request.headers[SIGNATURE_HEADER], request.body, now=NOW)


def test_post_signed_defaults_timestamp_to_current_time(receiver):
    deliver(receiver.url, now=None)

    [request] = receiver.requests
    assert verify(SECRET, request.headers[SIGNATURE_HEADER], request.body, now=int(time.time()))


def test_post_signed_keeps_path_and_query(receiver):
    deliver(receiver.url + "?tenant=acme")

    assert receiver.requests[0].path == "/hooks/wallet?tenant=acme"


# post_signed: outcomes


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_post_signed_2xx_is_ok(receiver, status):
    receiver.status = status

    result = deliver(receiver.url)

    assert result.ok
    assert result.status_code == status
    assert result.error == ""
    assert not result.retryable
    assert isinstance(result.duration_ms, int)
    assert result.duration_ms >= 0


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_post_signed_server_errors_and_429_are_retryable(receiver, status):
    receiver.status = status

    result = deliver(receiver.url)

    assert not result.ok
    assert result.status_code == status
    assert result.retryable
    assert result.error.startswith(f"HTTP {status}")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_post_signed_client_errors_are_not_retryable(receiver, status):
    receiver.status = status

    result = deliver(receiver.url)

    assert not result.ok
    assert result.status_code == status
    assert not result.retryable
    assert result.error.startswith(f"HTTP {status}")


def test_post_signed_error_includes_short_body_excerpt(receiver):
    receiver.status = 400
    receiver.response_body = b'{"error": "unknown account"}'

    result = deliver(receiver.url)

    assert result.error == 'HTTP 400: {"error": "unknown account"}'


def test_post_signed_error_truncates_long_body(receiver):
    receiver.status = 500
    receiver.response_body = b"x" * 250 + b"TAIL" + b"y" * 10_000

    result = deliver(receiver.url)

    assert "TAIL" not in result.error
    assert result.error.count("x") <= 200
    assert len(result.error) <= 200


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_post_signed_does_not_follow_redirects(receiver, status):
    receiver.status = status
    receiver.response_headers = {"Location": receiver.url + "/moved"}

    result = deliver(receiver.url)

    assert len(receiver.requests) == 1
    assert not result.ok
    assert result.status_code == status
    assert not result.retryable
    assert "redirect" in result.error


def test_post_signed_connection_refused_is_retryable(closed_port):
    result = deliver(f"http://127.0.0.1:{closed_port}/hooks/wallet")

    assert not result.ok
    assert result.status_code is None
    assert result.retryable
    assert result.error


def test_post_signed_timeout_is_retryable(receiver):
    receiver.delay = 3.0

    started = time.monotonic()
    result = deliver(receiver.url, timeout=0.3)

    assert time.monotonic() - started < 2.5
    assert not result.ok
    assert result.status_code is None
    assert result.retryable
    assert "timed out" in result.error


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/hooks",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "127.0.0.1:8000/hooks",
        "/hooks/wallet",
        "http:///no-host",
        "http://127.0.0.1:notaport/hooks",
        "http://127.0.0.1/ho oks",
        "http://127.0.0.1/hooks\r\nX-Injected: 1",
    ],
)
def test_post_signed_rejects_non_http_url_before_io(url, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("no I/O may happen for a rejected URL")

    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(ValueError, match="URL"):
        deliver(url)


def test_post_signed_rejects_empty_secret(receiver):
    with pytest.raises(ValueError, match="secret"):
        deliver(receiver.url, secret="")
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("name", "value"),
    [("event", ""), ("event", "a\r\nb"), ("idempotency_key", ""), ("idempotency_key", "k\n1")],
)
def test_post_signed_rejects_bad_header_values(receiver, name, value):
    with pytest.raises(ValueError, match="must be a non-empty string"):
        deliver(receiver.url, **{name: value})
    assert receiver.requests == []


# post_signed: the secret and URL query never leak into errors


def test_post_signed_error_never_contains_secret_echoed_by_receiver(receiver):
    receiver.status = 500
    receiver.response_body = f"bad signature for secret {SECRET}".encode()

    result = deliver(receiver.url + "?token=query-credential-123")

    assert SECRET not in result.error
    assert "query-credential-123" not in result.error


@pytest.mark.parametrize("status", [301, 401, 429, 503])
def test_post_signed_http_errors_never_contain_secret_or_query(receiver, status):
    receiver.status = status
    receiver.response_headers = {"Location": receiver.url + "/moved"}

    result = deliver(receiver.url + "?token=query-credential-123")

    assert SECRET not in result.error
    assert "query-credential-123" not in result.error


def test_post_signed_network_errors_never_contain_secret_or_query(closed_port, receiver):
    receiver.delay = 3.0
    refused = deliver(f"http://127.0.0.1:{closed_port}/hooks?token=query-credential-123")
    timed_out = deliver(receiver.url + "?token=query-credential-123", timeout=0.3)

    for result in (refused, timed_out):
        assert SECRET not in result.error
        assert "query-credential-123" not in result.error
