"""Separate processes: a real Celery worker routes a ticket and a real beat escalates a breach,
against PostgreSQL and Redis (runs in CI; skips on a laptop without them)."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.support.celery import worker_database_url
from tickets import services
from tickets.models import Ticket, TicketEvent
from wallet_support.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, *, timeout: float = 30.0, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def celery_processes(postgres, redis_url, tmp_path, monkeypatch):
    """A worker on every queue and a beat checking SLAs every second, in their own processes."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": redis_url,
        "SECRET_KEY": "integration-test-secret-key-" + "x" * 30,
        "SLA_CHECK_INTERVAL_SECONDS": "1",
        "DJANGO_SETTINGS_MODULE": "wallet_support.settings",
    }
    celery = [sys.executable, "-m", "celery", "--app=wallet_support"]
    celery_app.control.purge()
    processes = [
        subprocess.Popen(
            [
                *celery,
                "worker",
                "--queues=security,transactions,payments,default",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
                f"--hostname=integration-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        ),
        subprocess.Popen(
            [*celery, "beat", f"--schedule={tmp_path / 'beat-schedule'}", "--loglevel=WARNING"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        ),
    ]
    yield processes
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_routes_a_ticket_and_beat_escalates_a_breach(celery_processes):
    ticket = services.ticket_create(
        problem_type="account_security",
        channel="web",
        subject="Unknown log-in",
        description="Somebody logged in to my account from a device I have never used.",
        customer_email="customer@example.com",
    )

    wait_for(
        lambda: Ticket.objects.filter(pk=ticket.pk, routed_at__isnull=False).exists(),
        what="the worker to route the ticket",
    )
    ticket.refresh_from_db()
    assert ticket.team.code == "account-security"
    assert ticket.priority == "urgent"

    past = timezone.now() - timedelta(minutes=1)
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due=past, first_response_warn_at=past - timedelta(minutes=1)
    )
    wait_for(
        lambda: Ticket.objects.filter(pk=ticket.pk, escalated_at__isnull=False).exists(),
        what="beat and the worker to escalate the breach",
    )
    time.sleep(2.5)  # more beat ticks: the breach must not be escalated again
    assert ticket.events.filter(kind=TicketEvent.Kind.ESCALATED).count() == 1
    assert ticket.events.filter(kind=TicketEvent.Kind.SLA_BREACHED).count() == 1
