"""An outside attacker's and a careful reviewer's tries at the chain lookups (attack review of
issue 23): providers that answer what no protocol allows, and what the builders' tests missed."""

import json
import socket
import threading
import time

import pytest

from chain import providers
from chain.providers import ProviderUnavailable
from tests.chain.test_views import _ask
from tests.support.chain import BrokenServer, RecordedServer

TXID = "a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d"


class RawServer:
    """Answers every connection with the same bytes, HTTP or not, then hangs up."""

    def __init__(self, answer: bytes) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.answer = answer
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _address = self.socket.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                connection.sendall(self.answer)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def close(self) -> None:
        self.socket.close()


def _deeply_nested():
    return BrokenServer(200, b"[" * 100_000 + b"]" * 100_000)


def _not_http():
    return RawServer(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")


def _block_time_beyond_the_calendar():
    server = RecordedServer()
    tx = {"vin": [], "vout": [], "status": {"confirmed": True, "block_height": 1}}
    tx["status"]["block_time"] = 10**20
    server.get(f"/tx/{TXID}", json.dumps(tx).encode())
    server.get("/blocks/tip/height", b"5", text=True)
    return server


MALICIOUS = {
    # json.loads raises RecursionError, not ValueError, on nesting this deep.
    "deeply nested JSON": ("ethereum", _deeply_nested),
    # http.client raises BadStatusLine, an HTTPException and not an OSError.
    "not HTTP at all": ("ethereum", _not_http),
    # datetime.fromtimestamp raises OverflowError.
    "a block time beyond the calendar": ("bitcoin", _block_time_beyond_the_calendar),
}


def _hash(network: str) -> str:
    return TXID if network == "bitcoin" else "0x" + TXID


@pytest.mark.parametrize("case", list(MALICIOUS))
def test_a_malicious_provider_answer_is_a_provider_failure(settings, case):
    network, make = MALICIOUS[case]
    server = make()
    settings.CHAIN_PROVIDERS = {network: server.url}
    settings.CHAIN_PROVIDER_TIMEOUT_SECONDS = 1
    try:
        with pytest.raises(ProviderUnavailable):
            providers.observe(network, _hash(network))
    finally:
        server.close()


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(MALICIOUS))
def test_form_check_answers_could_not_check_whatever_the_provider_sends(client, settings, case):
    network, make = MALICIOUS[case]
    server = make()
    settings.CHAIN_PROVIDERS = {network: server.url}
    settings.CHAIN_PROVIDER_TIMEOUT_SECONDS = 1
    try:
        answer = _ask(client, {"network": network, "hash": _hash(network)})
    finally:
        server.close()

    assert answer.status_code == 200
    assert answer.json()["state"] == "unavailable"


def test_a_provider_url_without_scheme_keeps_its_key_out_of_the_error(settings):
    # An operator's slip: the key in the path (as hosted node services give it), no scheme.
    settings.CHAIN_PROVIDERS = {"ethereum": "mainnet.node.example/v3/KEY-0d9f8e7c6b5a"}

    with pytest.raises(ProviderUnavailable) as raised:
        providers.observe("ethereum", "0x" + TXID)

    assert "KEY-0d9f8e7c6b5a" not in str(raised.value)


def test_a_provider_trickling_its_answer_is_cut_off_in_total(settings):
    from tests.webhooks.test_attacks import TricklingReceiver

    receiver = TricklingReceiver(pause=0.05)
    settings.CHAIN_PROVIDERS = {"ethereum": receiver.url}
    settings.CHAIN_PROVIDER_TIMEOUT_SECONDS = 0.2
    started = time.monotonic()
    try:
        with pytest.raises(ProviderUnavailable):
            providers.observe("ethereum", "0x" + TXID)
    finally:
        receiver.close()

    assert time.monotonic() - started < 0.2 * 3 + 1
