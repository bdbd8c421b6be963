"""A real Celery worker delivers the desk's events to a real receiver across an outage (503,
connection refused, hangs past the timeout): each event is accepted exactly once, no attempt
that failed was accepted, and nothing is posted after the acceptance. PostgreSQL and Redis
(runs in CI; skips without them)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.celery import worker_database_url
from tests.support.factories import make_agent, make_subscription
from tests.support.processes import wait_for
from tests.support.webhook_receiver import ACCEPT, FAIL, HANG
from tickets import services as ticket_services
from tickets.models import Status
from wallet_support.celery import app as celery_app
from webhooks.models import Attempt, Delivery

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def webhook_worker(postgres, redis_url, monkeypatch, tmp_path):
    """`celery worker` in its own process: one-second timeouts and backoff, receivers allowed
    on this machine."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": redis_url,
        "SECRET_KEY": "webhook-worker-test-secret-key-" + "x" * 30,
        "DJANGO_SETTINGS_MODULE": "wallet_support.settings",
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1",
        "WEBHOOKS_REQUIRE_HTTPS": "0",
        "WEBHOOKS_TIMEOUT_SECONDS": "1",
        "WEBHOOKS_RETRY_BASE_SECONDS": "1",
        "WEBHOOKS_RETRY_MAX_SECONDS": "2",
        "WEBHOOKS_MAX_ATTEMPTS": "40",
    }
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        env.pop(name, None)
        env.pop(name.upper(), None)
    celery_app.control.purge()
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--app=wallet_support",
            "worker",
            "--queues=security,transactions,payments,default",
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            f"--hostname=webhooks-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def requests_for(receiver, key: str) -> list:
    return [record for record in receiver.received if record.key == key]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_event_is_accepted_exactly_once_across_a_receiver_outage(webhook_worker, receiver):
    make_subscription(receiver.url)
    agent = make_agent("transactions")
    receiver.mode = FAIL

    # Given the desk's events while the receiver answers 503
    ticket = ticket_services.ticket_create(
        problem_type="abnormal_transaction",
        channel="web",
        subject="Withdrawal missing",
        description="My withdrawal to the exchange has not arrived.",
        customer_email="mei@example.com",
        wallet_account_id="WA-1",
    )
    ticket_services.message_post_agent(ticket=ticket, author=agent, body="Checking the chain.")
    ticket_services.ticket_change_status(ticket=ticket, status=Status.PENDING, actor=agent)
    deliveries = list(Delivery.objects.all())
    keys = {str(delivery.event_id) for delivery in deliveries}
    assert sorted(d.event for d in deliveries) == [
        "ticket.agent_replied",
        "ticket.created",
        "ticket.status_changed",  # new -> open, by the reply
        "ticket.status_changed",  # open -> pending
    ]
    wait_for(
        lambda: all(len(requests_for(receiver, key)) >= 2 for key in keys),
        timeout=60,
        what="two refused attempts of every event",
    )

    # When the receiver goes down (connection refused), then hangs past the timeout...
    receiver.stop()
    down_since = time.monotonic()
    wait_for(
        lambda: sum(1 for a in _attempts() if a.error.startswith("connection failed")) >= 2,
        timeout=60,
        what="attempts refused by the stopped receiver",
    )
    receiver.mode = HANG
    receiver.start()
    wait_for(
        lambda: any(a.error.startswith("timed out") for a in _attempts()),
        timeout=60,
        what="an attempt timed out",
    )
    assert time.monotonic() - down_since > 1
    # ...and then recovers
    receiver.mode = ACCEPT
    wait_for(
        lambda: Delivery.objects.filter(state=Delivery.State.DELIVERED).count() == len(keys),
        timeout=90,
        what="every event delivered after the outage",
    )
    time.sleep(4)  # longer than the longest backoff: a retry after a success would show now

    # Then each event was accepted once, and nothing came after its acceptance
    assert receiver.accepted_keys() == dict.fromkeys(keys, 1)
    assert receiver.after_acceptance() == []
    assert all(record.signature_ok for record in receiver.received)
    for delivery in Delivery.objects.all():
        attempts = list(delivery.attempts.all())
        codes = [attempt.status_code for attempt in attempts]
        assert codes[-1] == 204
        assert codes.count(204) == 1
        assert 503 in codes[:-1]
        # Every attempt the receiver saw is recorded; refused connections are recorded too.
        seen = requests_for(receiver, str(delivery.event_id))
        assert len(attempts) >= len(seen)
        assert all(attempt.duration_ms < 3000 for attempt in attempts)
    hung = [record for record in receiver.received if record.mode == HANG]
    assert hung
    assert not any(record.accepted for record in hung)


def _attempts() -> list[Attempt]:
    return list(Attempt.objects.all())
