"""A Celery worker killed with SIGKILL in the middle of sending a mail (issue 21): a real worker on
Redis and PostgreSQL sends a ticket's receipt to a real SMTP server the test runs (aiosmtpd),
which holds its answer at one step of the conversation until the test has killed the worker;
a new worker then takes the task again (3 s visibility timeout, tests/support/processes.py).

What the desk promises (docs/operations.md, "Workers killed mid-task"): killed before the mail
is handed over, or after the server accepted it, the mail arrives exactly once; killed while the
server is taking it (MAIL, RCPT, DATA, its answer not yet read), it arrives at most once (the
server here keeps it, as a server that queued it and lost the connection does) and the task is
recorded as failed mail for staff, never sent twice. Runs in CI; skips without the services."""

import asyncio
import email
import threading

import pytest
import redis
from aiosmtpd.controller import Controller
from django.urls import reverse

from mail.models import HANDOVER_UNCERTAIN, FailedMail, SentMail
from mail.services import MailHandoverUncertain
from tests.support.auth import login_with_second_factor
from tests.support.celery import worker_database_url
from tests.support.processes import CeleryWorker, fault_worker_env, free_port, task_runs, wait_for
from tickets import services
from tickets.models import Ticket
from wallet_support.celery import app as celery_app

TASK = "tickets.tasks.send_ticket_confirmation"


class HoldingMailServer:
    """An SMTP server that keeps every message whose DATA it received, and holds its answer to
    the command named `hold` (EHLO, DATA or QUIT), once, until the test lets it go."""

    def __init__(self, hold: str) -> None:
        self.hold = hold
        self.messages: list[email.message.Message] = []
        self.holding = threading.Event()
        self.release = threading.Event()
        self._held = False

    async def _maybe_hold(self, command: str) -> None:
        if command == self.hold and not self._held:
            self._held = True
            self.holding.set()
            await asyncio.to_thread(self.release.wait, 60)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        await self._maybe_hold("EHLO")
        return responses

    async def handle_DATA(self, server, session, envelope):
        # Received whole: from here a real server may have queued it, answer or no answer.
        self.messages.append(email.message_from_bytes(envelope.content))
        await self._maybe_hold("DATA")
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):
        await self._maybe_hold("QUIT")
        return "221 Bye"


@pytest.fixture
def mail_server(request):
    handler = HoldingMailServer(hold=request.param)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, handler
    handler.release.set()
    controller.stop()


@pytest.fixture
def workers(postgres, redis_url, tmp_path, monkeypatch, mail_server):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    redis.Redis.from_url(redis_url).flushdb()  # this test's db: no task left by another test
    port, _handler = mail_server
    env = {
        **fault_worker_env(
            database_url=worker_database_url(), redis_url=redis_url, fault_dir=tmp_path
        ),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
    }
    started: list[CeleryWorker] = []

    def start(name: str) -> CeleryWorker:
        worker = CeleryWorker(env, name=name, log=tmp_path / f"{name}.log")
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def receipts_for(ticket: Ticket, handler: HoldingMailServer) -> list:
    return [message for message in handler.messages if ticket.reference in message["Subject"]]


def kill_while_held(workers, handler, tmp_path) -> tuple[Ticket, str, str]:
    """File a ticket, let the worker send its receipt until the server holds its answer, kill
    the worker there, start a new one; the killed run's task id and how its rerun ended."""
    first = workers("first")
    ticket = services.ticket_create(
        problem_type="other",
        channel="web",
        subject="A question about fees",
        description="How much does a withdrawal to another wallet cost?",
        customer_email="customer@example.com",
    )
    assert handler.holding.wait(60), "the worker never reached the held step"
    first.kill()
    handler.release.set()
    workers("second")

    def redelivered() -> list[tuple[str, str]]:
        return task_runs(tmp_path / "second.log", TASK)

    wait_for(redelivered, timeout=40, what="the killed mail task to be delivered again")
    [(task_id, outcome)] = redelivered()
    return ticket, task_id, outcome


@pytest.mark.timeout(120)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("mail_server", ["EHLO", "QUIT"], indirect=True)
def test_worker_killed_before_or_after_the_hand_over_mails_exactly_once(
    workers, mail_server, tmp_path
):
    _port, handler = mail_server

    # When the worker is killed while greeting the server (nothing handed over yet) or while the
    # server holds its goodbye (the mail accepted), and a new worker runs the task again
    ticket, task_id, outcome = kill_while_held(workers, handler, tmp_path)

    # Then the customer has exactly one receipt, and nothing is left for staff
    assert outcome == "succeeded"
    assert len(receipts_for(ticket, handler)) == 1
    assert not FailedMail.objects.exists()
    marker = SentMail.objects.get(task_id=f"{task_id}/1")
    assert marker.sent_at is not None


@pytest.mark.timeout(120)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("mail_server", ["DATA"], indirect=True)
def test_worker_killed_while_the_server_takes_the_mail_never_sends_it_twice(
    workers, mail_server, tmp_path, client, staff_user
):
    _port, handler = mail_server

    # When the worker is killed after the server received the whole mail, before its answer
    ticket, task_id, outcome = kill_while_held(workers, handler, tmp_path)

    # Then the mail the server kept is not sent again: at most once
    assert outcome == "raised"
    assert len(receipts_for(ticket, handler)) == 1
    assert SentMail.objects.get(task_id=f"{task_id}/1").sent_at is None
    # And the run is failed mail, kept with its ids for staff to check and send again
    failed = FailedMail.objects.get(task_id=task_id)
    assert failed.task_name == TASK
    assert failed.error == HANDOVER_UNCERTAIN == MailHandoverUncertain.__name__
    assert failed.arguments == [ticket.pk]
    assert failed.can_resend
    assert "customer@example.com" not in str(failed.__dict__)
    login_with_second_factor(client, staff_user)
    page = client.get(reverse("admin:mail_failedmail_changelist")).content.decode()
    assert "may have arrived" in page
