"""A Celery worker killed with SIGKILL in the middle of routing (issue 21): a real `celery worker`
on Redis and PostgreSQL, killed as a whole (main process and pool, as a lost container is) at a
known point of the routing task, then a new worker; the ticket must end routed exactly once.

The kill is never timed by the clock. Inside the transaction: the test holds the row lock of the
agent that routing assigns, so the task stops at its last write (the ticket already updated, not
committed) until it is killed. After the commit, before the acknowledgement: the worker's own
pause (tests/support/fault_worker.py). A lost worker's task comes back once the broker's
visibility timeout has passed, so the workers here run with a timeout of 3 seconds
(CELERY_VISIBILITY_TIMEOUT_SECONDS, tests/support/processes.py). Runs in CI; skips on a laptop
without the services."""

import os
import re
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import pytest
import redis
from django.db import connection
from django.utils import timezone

from agents.models import AgentProfile
from tests.support.celery import worker_database_url
from tests.support.factories import make_agent
from tests.support.processes import CeleryWorker, fault_worker_env, task_runs, wait_for
from tickets import services
from tickets.models import Ticket, TicketEvent, WebhookDelivery
from wallet_support.celery import app as celery_app


class WebhookReceiver(ThreadingHTTPServer):
    """The wallet's backend: counts the signed notifications it receives, by idempotency key."""

    def __init__(self) -> None:
        self.received: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                server.received.append(self.headers["Idempotency-Key"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/security"


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.shutdown()
    receiver.server_close()


@pytest.fixture
def workers(postgres, redis_url, tmp_path, monkeypatch, webhook_receiver):
    """Start workers on demand (all with the same environment); every one is stopped at the end."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    redis.Redis.from_url(redis_url).flushdb()  # this test's db: no task left by another test
    (tmp_path / "mail").mkdir()
    env = {
        **fault_worker_env(
            database_url=worker_database_url(), redis_url=redis_url, fault_dir=tmp_path
        ),
        "SECURITY_WEBHOOK_URL": webhook_receiver.url,
        "SECURITY_WEBHOOK_SECRET": "fault-test-webhook-secret",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }
    started: list[CeleryWorker] = []

    def start(name: str, **extra: str) -> CeleryWorker:
        worker = CeleryWorker({**env, **extra}, name=name, log=tmp_path / f"{name}.log")
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def blocker(postgres):
    """A database session of the test's own, outside Django's, to hold row locks."""
    session = psycopg2.connect(worker_database_url())
    yield session
    session.close()


def security_report() -> Ticket:
    return services.ticket_create(
        problem_type="account_security",
        channel="web",
        subject="Unknown log-in",
        description="Somebody logged in to my account from a device I have never used.",
        customer_email="customer@example.com",
    )


def routing_waits_on(blocker) -> bool:
    """A routing transaction is waiting for the agent row the test's own session holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE %s AND %s = ANY(pg_blocking_pids(pid))",
            [f'UPDATE "{AgentProfile._meta.db_table}"%', blocker.get_backend_pid()],
        )
        return cursor.fetchone() is not None


def hold_agent_row(blocker, agent) -> None:
    profile = AgentProfile.objects.get(user=agent)
    with blocker.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {AgentProfile._meta.db_table} WHERE id = %s FOR UPDATE",  # noqa: S608
            [profile.pk],
        )


def routing_task_ids(log_text: str) -> list[str]:
    return re.findall(r"tickets\.tasks\.route_ticket\[([0-9a-f-]{36})\]", log_text)


def assert_routed_exactly_once(ticket: Ticket, agent, webhook_receiver) -> None:
    ticket.refresh_from_db()
    assert ticket.needs_routing is False
    assert ticket.team.code == "account-security"
    assert ticket.priority == "urgent"
    assert ticket.assignee == agent
    events = ticket.events.values_list("kind", "new_value")
    assert [value for kind, value in events if kind == TicketEvent.Kind.ROUTED] == [
        "account-security"
    ]
    assert [value for kind, value in events if kind == TicketEvent.Kind.ASSIGNED] == [
        agent.username
    ]
    assert ticket.events.filter(kind=TicketEvent.Kind.PRIORITY).count() <= 1
    # The routing's own side effect, the signed webhook: one delivery row, one notification.
    delivery = WebhookDelivery.objects.get(ticket=ticket)
    wait_for(lambda: webhook_receiver.received, timeout=20, what="the webhook")
    time.sleep(1)
    assert webhook_receiver.received == [f"wallet-support-{delivery.pk}"]
    assert ticket.events.filter(kind=TicketEvent.Kind.WEBHOOK).count() == 1


def mails_written(tmp_path) -> list:
    return sorted((tmp_path / "mail").iterdir())


@pytest.mark.timeout(120)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_killed_inside_the_routing_transaction_routes_once_after_redelivery(
    workers, webhook_receiver, blocker, tmp_path
):
    # Given an online agent of the account-security team, whose row lock the test holds: the
    # routing task stops at its last write, the agent's last assignment time
    agent = make_agent("account-security")
    hold_agent_row(blocker, agent)
    first = workers("first")

    # When a ticket is filed and the worker is killed while routing it
    ticket = security_report()
    wait_for(lambda: routing_waits_on(blocker), timeout=60, what="routing to reach its last write")
    # The task has written the ticket (team, assignee, clocks) but not committed it.
    first.kill()
    [killed_task] = routing_task_ids((tmp_path / "first.log").read_text())
    assert Ticket.objects.get(pk=ticket.pk).needs_routing is True
    assert not ticket.events.filter(kind=TicketEvent.Kind.ROUTED).exists()

    # The dead worker's database session rolls back when it finds its client gone.
    blocker.rollback()
    second = workers("second")

    # Then the new worker runs the same task again, and the ticket is routed once
    wait_for(
        lambda: killed_task in routing_task_ids((tmp_path / "second.log").read_text()),
        timeout=40,
        what="the killed routing task to be delivered again",
    )
    wait_for(
        lambda: Ticket.objects.filter(pk=ticket.pk, needs_routing=False).exists(),
        timeout=40,
        what="the ticket to be routed",
    )
    assert_routed_exactly_once(ticket, agent, webhook_receiver)
    # The customer's receipt was mailed once, whichever worker took it.
    assert len(mails_written(tmp_path)) == 1
    assert second.process.poll() is None


@pytest.mark.timeout(120)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_killed_after_routing_committed_changes_nothing_on_redelivery(
    workers, webhook_receiver, tmp_path
):
    # Given a worker that stops after the routing task committed, before acknowledging it
    agent = make_agent("account-security")
    first = workers("first", FAULT_PAUSE_AFTER_TASK="tickets.tasks.route_ticket")

    # When a ticket is routed and the worker is killed before the acknowledgement
    ticket = security_report()
    wait_for(lambda: list(tmp_path.glob("paused-*")), timeout=60, what="routing to commit")
    [paused] = tmp_path.glob("paused-*")
    killed_task = paused.name.removeprefix("paused-")
    routed_at = Ticket.objects.get(pk=ticket.pk).routed_at
    assert routed_at is not None
    first.kill()

    # Then the new worker runs it again, and that changes nothing
    workers("second")
    wait_for(
        lambda: (
            (killed_task, "succeeded")
            in task_runs(tmp_path / "second.log", "tickets.tasks.route_ticket")
        ),
        timeout=40,
        what="the killed routing task to be delivered again",
    )
    assert_routed_exactly_once(ticket, agent, webhook_receiver)
    assert Ticket.objects.get(pk=ticket.pk).routed_at == routed_at
    assert routed_at < timezone.now()
    assert len(mails_written(tmp_path)) == 1


@pytest.mark.timeout(120)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pool_process_killed_inside_routing_is_replaced_and_routes_once(
    workers, webhook_receiver, blocker, tmp_path
):
    # Given routing held at its last write, as above, in a worker that stays up
    agent = make_agent("account-security")
    hold_agent_row(blocker, agent)
    worker = workers("only")
    ticket = security_report()
    wait_for(lambda: routing_waits_on(blocker), timeout=60, what="routing to reach its last write")

    # When only the pool process running it is killed (the kernel's OOM killer picks one)
    [pool] = tmp_path.glob("pool-*")
    os.kill(int(pool.name.removeprefix("pool-")), signal.SIGKILL)
    wait_for(lambda: len(list(tmp_path.glob("pool-*"))) == 2, timeout=30, what="a new pool process")
    blocker.rollback()

    # Then the worker gives the task back at once (reject_on_worker_lost) and routes it once
    [killed_task] = set(routing_task_ids((tmp_path / "only.log").read_text()))
    wait_for(
        lambda: (
            (killed_task, "succeeded")
            in task_runs(tmp_path / "only.log", "tickets.tasks.route_ticket")
        ),
        timeout=40,
        what="the routing task to run again in the new pool process",
    )
    assert "WorkerLostError" in (tmp_path / "only.log").read_text()
    assert_routed_exactly_once(ticket, agent, webhook_receiver)
    assert worker.process.poll() is None
