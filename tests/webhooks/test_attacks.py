"""An outside attacker's and a careful reviewer's tries at the event webhooks (attack review of
issue 23): what the builders' own tests did not cover."""

import ipaddress
import socket
import threading
import time

import pytest
from django.urls import reverse

from tests.support.factories import make_subscription
from tests.webhooks.test_admin import staff_with
from webhooks.addresses import address_refusal
from webhooks.signing import TOTAL_TIMEOUT_FACTOR, post_signed

SECRET = "whsec-attack-9f8e7d6c5b4a3210fedcba98"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lookup", ["secret__startswith", "secret__istartswith", "secret__regex", "secret"]
)
def test_changelist_filters_cannot_guess_the_secret(django_user_model, lookup):
    """Django's admin lets any local field be filtered through the address (?secret__startswith=),
    so the changelist's row count told a view-only staff member the secret one character at a
    time: refused, for everyone."""
    make_subscription("https://hooks.wallet.example/desk", secret=SECRET)
    viewer = staff_with(django_user_model, "view_subscription")
    url = reverse("admin:webhooks_subscription_changelist")
    value = {"secret__regex": "^whsec-a", "secret": SECRET}.get(lookup, "whsec-a")

    right = viewer.get(url, {lookup: value})
    wrong = viewer.get(url, {lookup: "x"})

    # Django answers a refused lookup by sending the reader back to the unfiltered list (?e=1).
    assert right.status_code == wrong.status_code
    assert right.status_code in {302, 400}
    assert SECRET not in right.content.decode()


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a00:7::1",  # 6to4 of 10.0.0.7
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254, the cloud's metadata service
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, its client 10.0.0.1
        "fec0::1",  # site-local, deprecated but still routed where configured
    ],
)
def test_ipv6_forms_that_carry_a_private_address_are_refused(address):
    assert address_refusal(ipaddress.ip_address(address)) != ""


@pytest.mark.parametrize("address", ["2002:5db8:d822::1", "2606:4700:4700::1111", "93.184.216.34"])
def test_public_addresses_stay_allowed(address):
    assert address_refusal(ipaddress.ip_address(address)) == ""


class TricklingReceiver:
    """Reads the request, then answers one byte every `pause` seconds: each read is quick, the
    whole answer is not."""

    ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Padding: " + b"x" * 60 + b"\r\n\r\n"

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            connection, _address = self.socket.accept()
        except OSError:
            return
        with connection:
            connection.recv(65536)
            for byte in self.ANSWER:
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(self.pause)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}/hook"

    def close(self) -> None:
        self.socket.close()


def test_a_receiver_trickling_its_answer_is_cut_off_in_total():
    """The timeout is per socket operation: a byte every 0.2 s never trips a 0.5 s timeout, and
    the answer above takes 18 s. The whole POST ends at TOTAL_TIMEOUT_FACTOR times the timeout,
    well within the delivery's hold, so no second worker posts the same event meanwhile."""
    receiver = TricklingReceiver(pause=0.2)
    started = time.monotonic()
    try:
        result = post_signed(
            receiver.url,
            SECRET,
            event="webhook.test",
            payload={"id": "x"},
            idempotency_key="00000000-0000-0000-0000-000000000001",
            timeout=0.5,
        )
    finally:
        receiver.close()

    assert time.monotonic() - started < 0.5 * TOTAL_TIMEOUT_FACTOR + 1
    assert not result.ok
    assert result.retryable
    assert "timed out" in result.error
