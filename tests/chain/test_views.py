"""The contact form's chain check: a JSON POST that queues one lookup and answers from the cache."""

import json
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

URL = reverse("chain:status")


def _ask(client, body, **headers):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(URL, raw, content_type="application/json", **headers)


@pytest.mark.django_db
def test_form_check_answers_a_mined_transfer(client, ethereum):
    tx_hash = ethereum.send_ether(to=ethereum.accounts[1], wei=10**18)

    # Embedded default: the queued lookup runs at once; a first ask still waits one poll.
    first = _ask(client, {"network": "ethereum", "hash": tx_hash})
    answer = _ask(client, {"network": "ethereum", "hash": tx_hash.upper().replace("0X", "0x")})

    assert first.json()["state"] == "checking"
    assert answer.status_code == 200
    data = answer.json()
    assert data["state"] == "confirmed"
    assert data["to_address"].lower() == ethereum.accounts[1].lower()
    assert "confirmed on the chain" in data["message"]
    assert "retry_after" not in data


@pytest.mark.django_db
def test_form_check_asks_the_network_once_per_hash(client, ethereum):
    tx_hash = ethereum.send_ether(to=ethereum.accounts[1], wei=3)

    for _ in range(4):
        assert _ask(client, {"network": "ethereum", "hash": tx_hash}).status_code == 200

    asked = [method for _verb, method, _body in ethereum.requests]
    assert asked.count("eth_getTransactionByHash") == 1


@pytest.mark.django_db
def test_form_check_while_a_worker_has_not_answered_says_checking(client, ethereum, monkeypatch):
    from chain import tasks

    queued = []
    monkeypatch.setattr(
        tasks.lookup_hash, "apply_async", lambda **kwargs: queued.append(kwargs["args"])
    )

    first = _ask(client, {"network": "ethereum", "hash": "0x" + "42" * 32}).json()
    second = _ask(client, {"network": "ethereum", "hash": "0x" + "42" * 32}).json()

    assert first["state"] == second["state"] == "checking"
    assert (first["retry_after"], second["retry_after"]) == (1, 2)
    assert queued == [["ethereum", "0x" + "42" * 32]]  # one lookup for both polls


@pytest.mark.django_db
def test_form_check_in_chinese_for_an_unseen_hash(client, ethereum):
    for _ask_again in range(2):
        data = _ask(
            client,
            {"network": "ethereum", "hash": "0x" + "ee" * 32},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        ).json()

    assert data["state"] == "not_found"
    assert data["message"] == "网络上没有这个哈希：请检查您是否完整复制了它。"


@pytest.mark.django_db
def test_form_check_provider_down_says_could_not_check(client, silent, settings):
    settings.CHAIN_PROVIDERS = {"ethereum": silent.url}
    settings.CHAIN_PROVIDER_TIMEOUT_SECONDS = 0.3

    first = _ask(client, {"network": "ethereum", "hash": "0x" + "21" * 32})
    second = _ask(client, {"network": "ethereum", "hash": "0x" + "22" * 32})

    assert first.status_code == second.status_code == 200
    assert first.json()["state"] == second.json()["state"] == "unavailable"
    assert second.json()["retry_after"] == 10


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_request"),
        (b"[]", "invalid_request"),
        (b'"0xabc"', "invalid_request"),
        ({"network": "ethereum", "hash": ["0x" + "ab" * 32]}, "invalid_request"),
        ({"network": "ethereum", "hash": "0x" + "ab" * 31}, "invalid_hash"),
        # An invisible character inside the hash is not the hash.
        ({"network": "ethereum", "hash": "0x" + "ab" * 16 + "\u200b" + "ab" * 16}, "invalid_hash"),
        ({"network": "bsc", "hash": "0x" + "ab" * 32}, "chain_off"),
        ({"network": "solana", "hash": "x"}, "chain_off"),
        ({}, "chain_off"),
    ],
)
def test_form_check_refuses_bad_requests(client, ethereum, body, code):
    answer = _ask(client, body)

    assert answer.status_code in {400, 404}
    assert answer.json()["error"]["code"] == code
    assert ethereum.requests == []


@pytest.mark.django_db
def test_form_check_error_message_in_the_visitors_language(client, ethereum):
    answer = _ask(client, {"network": "ethereum", "hash": "0x12"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert answer.status_code == 400
    assert "0x" in answer.json()["error"]["message"]
    assert "Enter" not in answer.json()["error"]["message"]


@pytest.mark.django_db
def test_form_check_is_post_only_and_needs_the_csrf_token(ethereum):
    client = Client(enforce_csrf_checks=True)

    assert client.get(URL).status_code == 405
    assert _ask(client, {"network": "ethereum", "hash": "0x" + "ab" * 32}).status_code == 403
    assert ethereum.requests == []


@pytest.mark.django_db
def test_form_check_off_without_any_provider(client, settings):
    settings.CHAIN_PROVIDERS = {}

    answer = _ask(client, {"network": "ethereum", "hash": "0x" + "ab" * 32})

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "chain_off"


@pytest.mark.django_db
def test_form_check_burst_is_rate_limited(client, ethereum, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "chain_status": {"address": "100/10m", "session": "5/10m", "fresh": "5/10m"},
    }
    answers = [
        _ask(client, {"network": "ethereum", "hash": "0x" + f"{n:02x}" * 32}).status_code
        for n in range(8)
    ]

    assert answers[:5] == [200] * 5
    assert set(answers[5:]) == {429}
    # Refused attempts asked nothing.
    assert [m for _v, m, _b in ethereum.requests].count("eth_getTransactionByHash") == 5


@pytest.mark.django_db
def test_form_check_never_puts_the_hash_in_an_address(client, ethereum):
    page = client.get(reverse("tickets:contact") + "?type=abnormal_transaction").content.decode()
    script = (Path(__file__).resolve().parents[2] / "static/js/chain-check.js").read_text()

    assert 'data-chain-url="/chain/status/"' in page
    assert 'method: "POST"' in script
    assert "JSON.stringify({ network: question.network, hash: question.hash })" in script
    assert "?hash" not in script
    assert "encodeURIComponent" not in script


@pytest.mark.django_db
def test_a_first_answer_does_not_tell_that_someone_else_asked(ethereum, monkeypatch):
    """Lookups on a worker (queued, not run): one visitor's hash is in the cache, the other's
    is not; a new visitor's first answer is the same for both."""
    from chain import services, tasks

    monkeypatch.setattr(tasks.lookup_hash, "apply_async", lambda **kwargs: None)
    customer, prober = Client(), Client()
    asked = ethereum.send_ether(to=ethereum.accounts[2], wei=5)
    services.observation_fetch(network="ethereum", tx_hash=asked)  # the worker's answer, kept
    assert _ask(customer, {"network": "ethereum", "hash": asked}).json()["state"] == "checking"
    assert _ask(customer, {"network": "ethereum", "hash": asked}).json()["state"] == "confirmed"

    on_asked = _ask(prober, {"network": "ethereum", "hash": asked}, REMOTE_ADDR="203.0.113.9")
    never_asked = _ask(
        prober, {"network": "ethereum", "hash": "0x" + "ab" * 32}, REMOTE_ADDR="203.0.113.9"
    )

    assert on_asked.json() == never_asked.json()
    assert on_asked.json()["state"] == "checking"
    # The same prober asking again gets the kept answer: the cache still saves the provider.
    again = _ask(prober, {"network": "ethereum", "hash": asked}, REMOTE_ADDR="203.0.113.9")
    assert again.json()["state"] == "confirmed"


@pytest.mark.django_db
def test_made_up_hashes_cannot_burn_the_providers_quota(client, ethereum, settings):
    settings.CHAIN_FORM_LOOKUPS_PER_MINUTE = 2
    made_up = ["0x" + f"{n:02x}" * 32 for n in range(1, 6)]

    answers = [_ask(client, {"network": "ethereum", "hash": tx_hash}).json() for tx_hash in made_up]

    asked = [method for _verb, method, _body in ethereum.requests]
    assert asked.count("eth_getTransactionByHash") == 2
    assert [answer["state"] for answer in answers[2:]] == ["unavailable"] * 3
    assert all(answer["retry_after"] for answer in answers[2:])
    # A ticket's own check is not the form's: it still asks the network.
    from chain import services

    services.observation_fetch(network="ethereum", tx_hash=made_up[4])
    asked = [method for _verb, method, _body in ethereum.requests]
    assert asked.count("eth_getTransactionByHash") == 3
