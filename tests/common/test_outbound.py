"""Calls to other servers end at their deadline, connecting included."""

import socket
import time
import urllib.error

import pytest

from common.outbound import opener_within
from webhooks.addresses import guarded_connect
from webhooks.signing import TOTAL_TIMEOUT_FACTOR, post_signed

ADDRESSES = 6


@pytest.fixture
def silent_port():
    """A loopback port that takes no more connections: its accept queue is full, so a connect
    hangs until its time-out, as with an address that drops every packet."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    queued = []
    for _ in range(4):
        sock = socket.socket()
        sock.settimeout(0.3)
        try:
            sock.connect(("127.0.0.1", port))
        except OSError:
            sock.close()
            break
        queued.append(sock)
    yield port
    for sock in queued:
        sock.close()
    listener.close()


@pytest.fixture
def many_silent_addresses(monkeypatch, silent_port):
    """Every name resolves to the silent port, several times over (as a name with many A
    records of hosts that are down)."""
    row = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", silent_port))
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: [row] * ADDRESSES)
    return silent_port


def test_connecting_to_many_silent_addresses_ends_at_the_deadline(many_silent_addresses):
    started = time.monotonic()
    with opener_within(0.8) as (opener, _expired), pytest.raises(urllib.error.URLError):
        opener.open("http://down.example/", timeout=0.5)
    # Without the deadline: one time-out per address, 3 s.
    assert time.monotonic() - started < 1.4


def test_a_webhook_to_many_silent_addresses_ends_at_its_deadline(settings, many_silent_addresses):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOKS_REQUIRE_HTTPS = False
    timeout = 0.3
    started = time.monotonic()

    result = post_signed(
        f"http://down.example:{many_silent_addresses}/hook",
        "secret",
        event="ticket.created",
        payload={"id": 1},
        idempotency_key="k",
        timeout=timeout,
        connect=guarded_connect,
    )

    assert result.status_code is None
    assert result.retryable
    assert time.monotonic() - started < timeout * TOTAL_TIMEOUT_FACTOR + 0.5


def test_outside_a_deadline_each_address_gets_its_time_out(settings, many_silent_addresses):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        guarded_connect(("down.example", many_silent_addresses), timeout=0.1)
    assert time.monotonic() - started >= 0.1 * ADDRESSES
