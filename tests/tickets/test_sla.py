"""SLA clocks: at risk at 80%, breach and a single escalation, pauses, and concurrent checks."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection

from tests.support.factories import make_agent
from tickets import routing, services, sla
from tickets.models import Status, Ticket, TicketEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 10:00 in Shanghai: inside every team's hours.
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)


def routed_ticket(problem_type: str = "topup_withdrawal", at: datetime = MONDAY_10) -> Ticket:
    with time_machine.travel(at, tick=False):
        ticket = services.ticket_create(
            problem_type=problem_type,
            channel="web",
            subject="Withdrawal failed",
            description="My withdrawal to a bank card failed with an error about limits.",
            customer_email="customer@example.com",
        )
        routing.ticket_route(ticket_id=ticket.pk, now=at)
    ticket.refresh_from_db()
    return ticket


def kinds(ticket: Ticket) -> list[str]:
    return list(
        ticket.events.filter(
            kind__in=[
                TicketEvent.Kind.SLA_AT_RISK,
                TicketEvent.Kind.SLA_BREACHED,
                TicketEvent.Kind.ESCALATED,
            ]
        ).values_list("kind", "field")
    )


@pytest.mark.django_db
def test_sla_marks_at_risk_at_eighty_percent_then_breach_escalates_once(
    django_capture_on_commit_callbacks,
):
    lead = make_agent("payments", is_lead=True, email="lead@support.example")
    ticket = routed_ticket()
    # topup/normal: first response in 120 business minutes: at risk 11:36, due 12:00.
    assert ticket.first_response_due == MONDAY_10 + timedelta(hours=2)

    assert sla.sla_check(now=MONDAY_10 + timedelta(minutes=95)).at_risk == []
    report = sla.sla_check(now=MONDAY_10 + timedelta(minutes=96))
    assert report.at_risk == [ticket.pk]
    assert report.breached == []

    with django_capture_on_commit_callbacks(execute=True):
        report = sla.sla_check(now=MONDAY_10 + timedelta(hours=2, minutes=1))
    assert report.breached == [ticket.pk]
    assert report.escalated == [ticket.pk]
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert ticket.escalated_at == MONDAY_10 + timedelta(hours=2, minutes=1)
    assert [m.to for m in mail.outbox if "SLA" in m.subject] == [[lead.email]]

    again = sla.sla_check(now=MONDAY_10 + timedelta(hours=5))
    assert ticket.pk not in again.escalated
    assert kinds(ticket) == [
        ("sla_at_risk", "first_response"),
        ("sla_breached", "first_response"),
        ("escalated", "priority"),
    ]


@pytest.mark.django_db
def test_sla_first_agent_reply_stops_the_first_response_clock(staff_user):
    ticket = routed_ticket()
    with time_machine.travel(MONDAY_10 + timedelta(minutes=30), tick=False):
        services.message_post_agent(ticket=ticket, author=staff_user, body="Looking into it.")

    report = sla.sla_check(now=MONDAY_10 + timedelta(hours=3))

    assert ticket.pk not in report.breached
    ticket.refresh_from_db()
    assert ticket.first_responded_at == MONDAY_10 + timedelta(minutes=30)


@pytest.mark.django_db
def test_sla_waiting_on_customer_pauses_the_resolution_clock(staff_user):
    ticket = routed_ticket()
    due = ticket.resolution_due
    with time_machine.travel(MONDAY_10 + timedelta(hours=1), tick=False):
        services.message_post_agent(ticket=ticket, author=staff_user, body="Which bank card?")
        services.ticket_change_status(ticket=ticket, status=Status.PENDING)

    report = sla.sla_check(now=due + timedelta(hours=1))
    assert ticket.pk not in report.breached
    ticket.refresh_from_db()
    assert ticket.resolution_breached_at is None

    with time_machine.travel(MONDAY_10 + timedelta(hours=4), tick=False):
        services.ticket_change_status(ticket=ticket, status=Status.OPEN)
    ticket.refresh_from_db()
    # Three business hours waiting push the deadline by three business hours.
    assert ticket.resolution_due == routing.add_business_time(
        due, timedelta(hours=3), routing.team_calendar(ticket.team)
    )
    assert ticket.resolution_paused_at is None


@pytest.mark.django_db
def test_sla_friday_evening_ticket_is_not_breached_at_the_weekend():
    friday_evening = datetime(2026, 11, 27, 19, 0, tzinfo=SHANGHAI)
    ticket = routed_ticket("other", at=friday_evening)  # general team: weekdays 09-18

    report = sla.sla_check(now=datetime(2026, 11, 29, 23, 0, tzinfo=SHANGHAI))

    assert ticket.pk not in report.breached
    assert ticket.pk not in report.at_risk
    assert ticket.first_response_due.astimezone(SHANGHAI).weekday() == 0


@pytest.mark.django_db
def test_sla_resolved_ticket_is_never_breached():
    ticket = routed_ticket()
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED)

    report = sla.sla_check(now=MONDAY_10 + timedelta(days=30))

    assert report.breached == []


@pytest.mark.django_db
def test_sla_breach_reassigns_when_configured(settings):
    settings.SLA_REASSIGN_ON_BREACH = True
    first = make_agent("payments")
    ticket = routed_ticket()
    assert ticket.assignee == first
    second = make_agent("payments")

    sla.sla_check(now=MONDAY_10 + timedelta(hours=2, minutes=1))

    ticket.refresh_from_db()
    assert ticket.assignee == second


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sla_concurrent_checks_escalate_exactly_once(postgres):
    tickets = [routed_ticket() for _ in range(5)]
    barrier = threading.Barrier(2)
    reports = []

    def check() -> None:
        barrier.wait()
        try:
            reports.append(sla.sla_check(now=MONDAY_10 + timedelta(hours=3)))
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    escalated = sorted(pk for report in reports for pk in report.escalated)
    assert escalated == sorted(ticket.pk for ticket in tickets)
    for ticket in tickets:
        assert ticket.events.filter(kind=TicketEvent.Kind.ESCALATED).count() == 1
        assert ticket.events.filter(kind=TicketEvent.Kind.SLA_BREACHED).count() == 1
