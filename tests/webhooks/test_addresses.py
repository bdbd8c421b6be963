"""The SSRF rule: which addresses a delivery may connect to, checked on the address the socket
really uses (after DNS resolution, at every delivery)."""

import ipaddress
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest
from django.db import transaction

from tests.support.factories import make_subscription
from webhooks import services
from webhooks.addresses import address_refusal, guarded_connect, url_problem
from webhooks.events import EventType
from webhooks.models import Delivery
from webhooks.signing import TargetRefused, post_signed


@pytest.mark.parametrize(
    ("address", "refusal"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),  # carrier-grade NAT
        ("fd00::1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("0.0.0.0", "reserved"),  # noqa: S104 (an address under test, nothing binds it)
        ("224.0.0.1", "reserved"),
        ("240.0.0.1", "reserved"),
        ("93.184.216.34", ""),
        ("2606:4700::1111", ""),
    ],
)
def test_address_refusal(address, refusal):
    assert address_refusal(ipaddress.ip_address(address)) == refusal


def test_url_problem_without_resolution(settings):
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    assert url_problem("https://hooks.example/x", resolve=False) == ""
    assert url_problem("http://hooks.example/x", resolve=False) == "https"
    assert url_problem("https://a:b@hooks.example/x", resolve=False) == "credentials"
    assert url_problem("javascript:alert(1)", resolve=False) == "scheme"
    assert url_problem("https://hooks.example:99999/", resolve=False) == "scheme"


def test_the_guard_refuses_a_listening_loopback_server_before_any_byte(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        result = post_signed(
            url,
            "a-secret",
            event="chat.closed",
            payload={},
            idempotency_key="k",
            connect=guarded_connect,
        )
        with pytest.raises(TargetRefused):
            guarded_connect(("localhost", server.server_address[1]), 1)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert result.ok is False
    assert result.retryable is False
    assert result.error == "refused: 127.0.0.1 resolves to a loopback address"
    assert seen == []


@pytest.mark.django_db
def test_a_name_that_resolves_elsewhere_at_delivery_is_refused_then(
    receiver, settings, monkeypatch
):
    """DNS rebinding: public when the subscription was saved, loopback when the desk connects."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    make_subscription(f"http://hooks.wallet.example:{receiver.port}/hooks/desk")
    with transaction.atomic():
        [delivery] = services.event_publish(event=EventType.CHAT_CLOSED, data={})
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))
        ],
    )

    result = services.delivery_attempt(delivery_id=delivery.pk)

    assert result.error == "refused: hooks.wallet.example resolves to a loopback address"
    assert receiver.received == []
    assert Delivery.objects.get(pk=delivery.pk).state == Delivery.State.FAILED


@pytest.mark.django_db
def test_a_redirect_is_not_followed(receiver, settings):
    """A receiver answering 302 towards the metadata service: the desk goes nowhere."""
    seen = []

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.path)
            self.send_response(302)
            self.send_header("Location", receiver.url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        make_subscription(f"http://127.0.0.1:{server.server_address[1]}/first")
        with transaction.atomic():
            [delivery] = services.event_publish(event=EventType.CHAT_CLOSED, data={})
        result = services.delivery_attempt(delivery_id=delivery.pk)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert seen == ["/first"]
    assert receiver.received == []  # the Location was not visited
    assert result.status_code == 302
    assert "redirect not followed" in result.error
    assert Delivery.objects.get(pk=delivery.pk).state == Delivery.State.FAILED
