"""send_once: each mail of a task run marked around its hand-over to the mail server, so a run
delivered again sends what it had not sent, skips what it had, and never repeats a mail whose
hand-over it cannot know the end of (the worker-kill tests: tests/mail/test_worker_killed.py)."""

import email
from smtplib import SMTPDataError

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.utils import timezone

from agents.models import Team
from mail.models import HANDOVER_UNCERTAIN, FailedMail, SentMail
from tests.support.factories import make_agent, make_ticket
from tests.support.processes import free_port
from tickets.tasks import notify_escalation, send_ticket_confirmation
from wallet_support.celery import app as celery_app


class BusyThenReadyServer:
    """Answers the first DATA with a temporary refusal (451), then accepts."""

    def __init__(self) -> None:
        self.refused = 0
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        if not self.refused:
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def busy_server(settings):
    handler = BusyThenReadyServer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def ticket_with_two_leads(db):
    ticket = make_ticket()
    team = Team.objects.get(code="transactions")
    make_agent("transactions", is_lead=True, email="lead-a@support.example")
    make_agent("transactions", is_lead=True, email="lead-b@support.example")
    ticket.team = team
    ticket.save(update_fields=["team"])
    return ticket


@pytest.mark.django_db
def test_send_once_a_mail_the_server_refused_is_sent_by_the_retry(busy_server, monkeypatch):
    # Given a server that answers the first DATA with 451 (it did not take the mail)
    ticket = make_ticket()
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)

    # When the receipt task runs (its retry at once, as eager tasks retry)
    result = send_ticket_confirmation.apply(args=[ticket.pk], task_id="run-refused")

    # Then the retry sends it, once, and it is marked sent
    assert result.successful(), result.result
    assert busy_server.refused == 1
    assert [ticket.reference in message["Subject"] for message in busy_server.messages] == [True]
    assert SentMail.objects.get(task_id="run-refused/1").sent_at is not None
    assert not FailedMail.objects.exists()


@pytest.mark.django_db
def test_send_once_a_refusal_on_the_last_try_is_failed_mail_not_an_open_marker(
    busy_server, monkeypatch
):
    ticket = make_ticket()
    monkeypatch.setattr(send_ticket_confirmation, "max_retries", 0)

    with pytest.raises(SMTPDataError):
        send_ticket_confirmation.apply(args=[ticket.pk], task_id="run-gave-up", throw=True)

    assert not SentMail.objects.filter(task_id__startswith="run-gave-up").exists()
    assert FailedMail.objects.get(task_id="run-gave-up").error == "SMTPDataError"


@pytest.mark.django_db
def test_send_once_redelivered_run_sends_only_the_mails_it_had_not_sent(ticket_with_two_leads):
    # Given a run that had sent its first mail (to the first lead) when its worker died
    SentMail.objects.create(task_id="run-half/1", sent_at=timezone.now())
    mail.outbox.clear()

    # When it is delivered again
    notify_escalation.apply(args=[ticket_with_two_leads.pk], task_id="run-half")

    # Then only the second lead is mailed, and a third delivery mails nobody
    assert [message.to for message in mail.outbox] == [["lead-b@support.example"]]
    notify_escalation.apply(args=[ticket_with_two_leads.pk], task_id="run-half")
    assert len(mail.outbox) == 1
    assert not FailedMail.objects.exists()


@pytest.mark.django_db
def test_send_once_mail_cut_off_in_its_hand_over_is_never_repeated_but_recorded(
    ticket_with_two_leads,
):
    # Given a run whose worker died while the server was taking its first mail
    SentMail.objects.create(task_id="run-cut/1", sent_at=None)
    mail.outbox.clear()

    # When it is delivered again
    with pytest.raises(Exception, match="1 of 2 mails") as raised:
        notify_escalation.apply(args=[ticket_with_two_leads.pk], task_id="run-cut", throw=True)

    # Then the uncertain mail is not sent again, the other one is, and staff see the run
    assert type(raised.value).__name__ == HANDOVER_UNCERTAIN
    assert [message.to for message in mail.outbox] == [["lead-b@support.example"]]
    failed = FailedMail.objects.get(task_id="run-cut")
    assert failed.error == HANDOVER_UNCERTAIN
    assert failed.arguments == [ticket_with_two_leads.pk]
    assert "may have arrived" in str(failed.explanation)


@pytest.mark.django_db
def test_send_once_runs_recorded_whole_before_the_markers_send_nothing():
    ticket = make_ticket()
    SentMail.objects.create(task_id="run-from-before", sent_at=timezone.now())
    mail.outbox.clear()

    send_ticket_confirmation.apply(args=[ticket.pk], task_id="run-from-before")

    assert mail.outbox == []
