"""Routing by problem type and text, assignment, queues, idempotency, and the security webhook."""

import json
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from agents.models import AgentProfile, Team
from tests.support.factories import make_agent
from tickets import routing, services
from tickets.models import Status, Ticket, TicketEvent, WebhookDelivery
from wallet_support.celery import app as celery_app

SHANGHAI = ZoneInfo("Asia/Shanghai")


def file_ticket(problem_type="other", subject="A question", description=None, **extra) -> Ticket:
    return services.ticket_create(
        problem_type=problem_type,
        channel=extra.pop("channel", "web"),
        subject=subject,
        description=description or "A description long enough to be a real ticket message.",
        customer_email="customer@example.com",
        **extra,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("problem_type", "team", "priority"),
    [
        ("account_security", "account-security", "urgent"),
        ("account_frozen", "account-security", "high"),
        ("abnormal_transaction", "transactions", "high"),
        ("topup_withdrawal", "payments", "normal"),
        ("other", "general", "low"),
    ],
)
def test_route_by_problem_type(problem_type, team, priority):
    ticket = file_ticket(problem_type)

    routing.ticket_route(ticket_id=ticket.pk)

    ticket.refresh_from_db()
    assert ticket.team.code == team
    assert ticket.priority == priority
    assert ticket.needs_routing is False
    assert ticket.first_response_due is not None
    assert ticket.resolution_due > ticket.first_response_due


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "team", "priority"),
    [
        (
            "I think my account was hacked, someone logged in from abroad",
            "account-security",
            "urgent",
        ),
        ("我的账户被盗了，里面的币全没了", "account-security", "urgent"),
        ("My transfer to the exchange never arrived after two days", "transactions", "high"),
        ("昨天的转账到现在还没到账", "transactions", "high"),
        ("How do I change the display language of the app?", "general", "low"),
        ("请问怎么修改昵称", "general", "low"),
    ],
    ids=["hacked-en", "stolen-zh", "missing-en", "missing-zh", "plain-en", "plain-zh"],
)
def test_route_other_text_raises_team_and_priority(text, team, priority):
    ticket = file_ticket("other", subject="Help", description=text + " Please help me soon.")

    routing.ticket_route(ticket_id=ticket.pk)

    ticket.refresh_from_db()
    assert (ticket.team.code, ticket.priority) == (team, priority)


@pytest.mark.django_db
def test_rules_are_data_an_admin_can_change():
    from tickets.models import RoutingRule

    rule = RoutingRule.objects.get(name="Top-up or withdrawal")
    rule.team = Team.objects.get(code="general")
    rule.priority = "high"
    rule.save()
    ticket = file_ticket("topup_withdrawal")

    routing.ticket_route(ticket_id=ticket.pk)

    ticket.refresh_from_db()
    assert (ticket.team.code, ticket.priority) == ("general", "high")


@pytest.mark.django_db
def test_assign_to_the_available_member_with_fewest_open_tickets():
    busy = make_agent("payments")
    free = make_agent("payments")
    make_agent("payments", availability=AgentProfile.Availability.AWAY)
    make_agent("payments", availability=AgentProfile.Availability.OFFLINE)
    make_agent("transactions")  # other team
    first = file_ticket("topup_withdrawal")
    Ticket.objects.filter(pk=first.pk).update(assignee=busy, needs_routing=False)

    ticket = file_ticket("topup_withdrawal")
    routing.ticket_route(ticket_id=ticket.pk)

    ticket.refresh_from_db()
    assert ticket.assignee == free
    assert ticket.events.filter(
        kind=TicketEvent.Kind.ASSIGNED, new_value=free.get_username()
    ).exists()


@pytest.mark.django_db
def test_agent_at_capacity_is_skipped_and_queue_is_the_fallback():
    full = make_agent("payments", capacity=1)
    first = file_ticket("topup_withdrawal")
    routing.ticket_route(ticket_id=first.pk)
    first.refresh_from_db()
    assert first.assignee == full

    second = file_ticket("topup_withdrawal")
    routing.ticket_route(ticket_id=second.pk)

    second.refresh_from_db()
    assert second.assignee is None
    assert second.team.code == "payments"


@pytest.mark.django_db
def test_route_twice_changes_nothing_more():
    make_agent("general")
    ticket = file_ticket("other")

    first = routing.ticket_route(ticket_id=ticket.pk)
    events = ticket.events.count()
    second = routing.ticket_route(ticket_id=ticket.pk)

    assert first is not None
    assert second is None
    assert ticket.events.count() == events


@pytest.mark.django_db
def test_routing_task_queued_after_commit_on_the_problem_type_queue(
    django_capture_on_commit_callbacks, monkeypatch
):
    from tickets import tasks

    sent = []
    monkeypatch.setattr(
        tasks.route_ticket, "apply_async", lambda args, queue: sent.append((args, queue))
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = file_ticket("abnormal_transaction")
    assert sent == []
    for callback in callbacks:
        callback()

    assert sent == [([ticket.pk], "transactions")]


@pytest.mark.django_db
def test_due_times_are_counted_in_the_team_business_hours():
    # Friday 17:00 in Shanghai; the general team works 09:00-18:00 on weekdays; an "other"
    # ticket (low priority) has 8 business hours to a first response: due Monday 16:00.
    with time_machine.travel(datetime(2026, 11, 27, 17, 0, tzinfo=SHANGHAI), tick=False):
        ticket = file_ticket("other")
        routing.ticket_route(ticket_id=ticket.pk)

    ticket.refresh_from_db()
    assert ticket.first_response_due == datetime(2026, 11, 30, 16, 0, tzinfo=SHANGHAI)
    # 80% of 8 hours = 6h24m: 1 hour on Friday, 5h24m on Monday from 09:00.
    assert ticket.first_response_warn_at == datetime(2026, 11, 30, 14, 24, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_reopened_ticket_is_routed_again_with_a_new_resolution_clock(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket("topup_withdrawal")
    ticket.refresh_from_db()
    first_due = ticket.resolution_due
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED)

    later = ticket.created_at.replace(year=ticket.created_at.year + 1)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, status=Status.OPEN)

    ticket.refresh_from_db()
    assert ticket.needs_routing is False
    assert ticket.resolution_due > first_due
    assert ticket.events.filter(kind=TicketEvent.Kind.ROUTED).count() == 2


@pytest.mark.django_db
def test_security_ticket_notifies_wallet_backend_signed(
    settings, webhook_receiver, django_capture_on_commit_callbacks
):
    from webhooks.signing import verify

    settings.SECURITY_WEBHOOK_URL = webhook_receiver.url
    settings.SECURITY_WEBHOOK_SECRET = "shared-secret-for-tests"

    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket("account_security", wallet_account_id="WA-1")
        routing.ticket_route(ticket_id=ticket.pk)

    delivery = WebhookDelivery.objects.get(ticket=ticket)
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert delivery.attempts.count() == 1
    request = webhook_receiver.requests[0]
    assert json.loads(request["body"])["ticket"] == ticket.reference
    assert verify(
        "shared-secret-for-tests",
        request["headers"]["X-Wallet-Support-Signature"],
        request["body"],
        now=int(time.time()),
    )
    assert request["headers"]["Idempotency-Key"] == f"wallet-support-{delivery.pk}"


@pytest.mark.django_db
def test_security_webhook_retries_then_records_failure(
    settings, webhook_receiver, django_capture_on_commit_callbacks, monkeypatch
):
    from tickets import tasks

    settings.SECURITY_WEBHOOK_URL = webhook_receiver.url
    settings.SECURITY_WEBHOOK_SECRET = "s"
    webhook_receiver.status = 503
    monkeypatch.setattr(tasks.deliver_webhook, "max_retries", 2)
    # Celery re-runs an eager task's retries itself only when eager errors do not propagate.
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)

    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket("account_security")
        routing.ticket_route(ticket_id=ticket.pk)

    delivery = WebhookDelivery.objects.get(ticket=ticket)
    assert delivery.state == WebhookDelivery.State.FAILED
    assert delivery.attempts.count() == 3
    assert all(attempt.status_code == 503 for attempt in delivery.attempts.all())


@pytest.mark.django_db
def test_security_webhook_off_by_default(settings, django_capture_on_commit_callbacks):
    settings.SECURITY_WEBHOOK_URL = ""

    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket("account_security")

    assert not WebhookDelivery.objects.filter(ticket=ticket).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_route_concurrently_routes_once(postgres, monkeypatch):
    import threading

    from django.db import connection

    monkeypatch.setattr(services, "_queue_routing", lambda ticket: None)
    make_agent("general")
    ticket = file_ticket("other")
    barrier = threading.Barrier(2)
    results = []

    def route() -> None:
        barrier.wait()
        try:
            results.append(routing.ticket_route(ticket_id=ticket.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=route) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(result is not None for result in results) == 1
    assert ticket.events.filter(kind=TicketEvent.Kind.ROUTED).count() == 1


@pytest.mark.django_db
def test_redelivered_mail_task_does_not_send_twice(django_capture_on_commit_callbacks):
    from django.core import mail

    from tickets import tasks

    ticket = file_ticket("other")
    mail.outbox.clear()

    tasks.send_ticket_confirmation.apply(args=[ticket.pk], task_id="same-delivery")
    tasks.send_ticket_confirmation.apply(args=[ticket.pk], task_id="same-delivery")
    tasks.send_ticket_confirmation.apply(args=[ticket.pk], task_id="a-new-request")

    assert len(mail.outbox) == 2


def _reopen(ticket, django_capture_on_commit_callbacks) -> Ticket:
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, status=Status.OPEN)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.django_db
def test_a_reopened_ticket_stays_with_its_agent_while_they_are_available(
    django_capture_on_commit_callbacks,
):
    first = make_agent("payments")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket("topup_withdrawal")
    ticket.refresh_from_db()
    assert ticket.assignee == first
    make_agent("payments")  # idle, with fewer tickets: routing alone would pick them

    assert _reopen(ticket, django_capture_on_commit_callbacks).assignee == first


@pytest.mark.django_db
@pytest.mark.parametrize("gone", ["away", "deactivated", "left the team"])
def test_a_reopened_ticket_goes_to_someone_else_when_its_agent_is_not_available(
    django_capture_on_commit_callbacks, gone
):
    first = make_agent("payments")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket("topup_withdrawal")
    second = make_agent("payments")
    if gone == "away":
        AgentProfile.objects.filter(user=first).update(availability="away")
    elif gone == "deactivated":
        type(first).objects.filter(pk=first.pk).update(is_active=False)
    else:
        first.team_memberships.all().delete()

    assert _reopen(ticket, django_capture_on_commit_callbacks).assignee == second


@pytest.mark.django_db
def test_a_routed_tickets_confirmation_reads_its_team_with_the_ticket():
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets import tasks

    ticket = file_ticket("topup_withdrawal")
    routing.ticket_route(ticket_id=ticket.pk)
    assert Ticket.objects.get(pk=ticket.pk).team is not None
    mail.outbox.clear()

    with CaptureQueriesContext(connection) as queries:
        tasks.send_ticket_confirmation.apply(args=[ticket.pk], task_id="confirm-routed")

    assert len(mail.outbox) == 1
    team_table = f'SELECT "{Team._meta.db_table}"'
    team_reads = [q["sql"] for q in queries if q["sql"].startswith(team_table)]
    assert team_reads == []
