"""A real Celery worker asks the chain; the request never does (PostgreSQL and Redis; runs in CI,
skips without them)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from chain.models import TransactionCheck, TransactionState
from tests.support.celery import worker_database_url
from tests.support.processes import wait_for
from tickets.models import Channel, ProblemType
from tickets.services import ticket_create
from wallet_support.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def chain_worker(postgres, redis_url, ethereum, monkeypatch):
    """A worker on the transactions queue whose Ethereum provider is the test's chain."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": redis_url,
        "SECRET_KEY": "integration-test-secret-key-" + "x" * 30,
        "CHAIN_PROVIDER_ETHEREUM": ethereum.url,
        # Long enough that the ticket's check reuses the form's answer however slow the machine.
        "CHAIN_CACHE_SECONDS": "600",
        "DJANGO_SETTINGS_MODULE": "wallet_support.settings",
    }
    celery_app.control.purge()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--app=wallet_support",
            "worker",
            "--queues=transactions",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
            f"--hostname=chain-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    yield ethereum
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_answers_the_form_check_and_the_ticket(client, chain_worker):
    chain = chain_worker
    tx_hash = chain.send_ether(to=chain.accounts[8], wei=42 * 10**16)
    chain.requests.clear()

    started = time.monotonic()
    first = client.post(
        reverse("chain:status"),
        {"network": "ethereum", "hash": tx_hash},
        content_type="application/json",
    )
    answered_in = time.monotonic() - started

    # The request queued the lookup and answered at once: it asked the chain nothing itself.
    assert first.status_code == 200
    assert first.json()["state"] == "checking"
    assert first.json()["retry_after"] == 1  # a first ask (chain.services.first_ask)
    assert answered_in < 2

    def confirmed() -> bool:
        answer = client.post(
            reverse("chain:status"),
            {"network": "ethereum", "hash": tx_hash},
            content_type="application/json",
        ).json()
        return answer["state"] == "confirmed"

    wait_for(confirmed, timeout=60, what="the worker's answer in the cache", every=0.5)

    ticket = ticket_create(
        problem_type=ProblemType.ABNORMAL_TRANSACTION,
        channel=Channel.WEB,
        subject="My ETH did not arrive",
        description="I sent ETH to the exchange an hour ago and it has not been credited.",
        customer_email="li.wei@example.com",
        evidence={"network": "ethereum", "transaction_hash": tx_hash},
        transaction_hash=tx_hash,
        transaction_network="ethereum",
    )

    def checked() -> bool:
        check = TransactionCheck.objects.get(ticket=ticket)
        return check.state == TransactionState.CONFIRMED

    wait_for(checked, timeout=60, what="the worker's check of the ticket", every=0.5)
    check = TransactionCheck.objects.get(ticket=ticket)
    assert check.amount == "0.42"
    assert check.to_address.lower() == chain.accounts[8].lower()
    # The ticket's check used the answer the form's check had cached.
    assert [m for _v, m, _b in chain.requests].count("eth_getTransactionByHash") == 1
