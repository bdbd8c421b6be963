"""A mail task is never dropped unrecorded: whatever makes it give up is kept for staff."""

from smtplib import SMTPServerDisconnected

import pytest
from django.urls import reverse

from mail.models import FailedMail
from tests.support.auth import login_with_second_factor
from tests.support.factories import make_ticket
from tickets import emails
from tickets.tasks import send_ticket_confirmation
from wallet_support.celery import app as celery_app


@pytest.mark.django_db
def test_a_mail_task_failing_with_a_bug_is_recorded_at_once(monkeypatch):
    # Given a confirmation whose rendering raises a TypeError (no retry cures a bug)
    ticket = make_ticket()

    def broken(ticket):
        raise TypeError("unexpected keyword")

    monkeypatch.setattr(emails, "send_confirmation", broken)

    # When the task runs
    with pytest.raises(TypeError):
        send_ticket_confirmation.apply(args=[ticket.pk], task_id="task-bug", throw=True)

    # Then it is kept as failed, with its ids and the error's class, not its message
    failed = FailedMail.objects.get()
    assert failed.task_name == "tickets.tasks.send_ticket_confirmation"
    assert failed.task_id == "task-bug"
    assert failed.arguments == [ticket.pk]
    assert failed.error == "TypeError"
    assert failed.retries == 0
    assert failed.can_resend


@pytest.mark.django_db
def test_a_mail_server_that_stays_away_is_retried_then_recorded(monkeypatch):
    ticket = make_ticket()
    calls = []

    def away(ticket):
        calls.append(ticket.pk)
        raise SMTPServerDisconnected("connection closed by mail.example for customer@x.example")

    monkeypatch.setattr(emails, "send_confirmation", away)
    monkeypatch.setattr(send_ticket_confirmation, "max_retries", 2)

    # As a worker runs it: errors end in on_failure, not in the caller
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)
    result = send_ticket_confirmation.apply(args=[ticket.pk], task_id="task-away", throw=False)

    assert isinstance(result.result, SMTPServerDisconnected)
    assert len(calls) == 3  # the first try and two retries
    failed = FailedMail.objects.get()
    assert failed.error == "SMTPServerDisconnected"
    assert "customer@x.example" not in str(failed.__dict__)


@pytest.mark.django_db
def test_a_task_taking_an_address_is_recorded_without_it():
    from inbound.tasks import send_too_large_notice

    send_too_large_notice.on_failure(
        TypeError(), "task-address", ["sender@x.example", "en", "Help", "<id@x>"], {}, None
    )

    failed = FailedMail.objects.get()
    assert failed.arguments is None
    assert not failed.can_resend
    assert "sender@x.example" not in str(failed.__dict__)


@pytest.mark.django_db
def test_staff_see_failed_mail_in_the_admin_and_send_it_again(client, staff_user, monkeypatch):
    failed = FailedMail.objects.create(
        task_name="tickets.tasks.send_ticket_confirmation",
        task_id="task-1",
        arguments=[42],
        error="TypeError",
    )
    queued = []
    monkeypatch.setattr(
        "celery.current_app.send_task", lambda name, args: queued.append((name, args))
    )
    login_with_second_factor(client, staff_user)
    url = reverse("admin:mail_failedmail_changelist")

    page = client.get(url)
    assert page.status_code == 200
    assert "tickets.tasks.send_ticket_confirmation" in page.content.decode()

    response = client.post(
        url, {"action": "send_again", "_selected_action": [failed.pk]}, follow=True
    )

    assert response.status_code == 200
    assert queued == [("tickets.tasks.send_ticket_confirmation", [42])]
    failed.refresh_from_db()
    assert failed.resent_at is not None
