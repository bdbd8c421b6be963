"""SLA clocks: at risk at 80%, breach and a single escalation, pauses, and concurrent checks."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection

from agents.models import Team, TeamHoliday
from common.business_hours import add_business_time
from tests.support.factories import make_agent
from tickets import routing, services, sla
from tickets.models import SLAPolicy, Status, Ticket, TicketEvent

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
    assert ticket.resolution_due == add_business_time(
        due, timedelta(hours=3), sla.team_calendar(ticket.team)
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
    moved = ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).latest("id")
    # People by username, as a hand-made reassignment writes them, not by their row ids.
    assert (moved.old_value, moved.new_value) == (first.username, second.username)


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


# Targets and clock start ---------------------------------------------------------------------


@pytest.mark.django_db
def test_sla_targets_come_from_the_policy_row_then_the_fallback():
    assert sla.sla_targets(problem_type="topup_withdrawal", priority="normal") == (
        timedelta(hours=2),
        timedelta(hours=24),
    )
    # Saved as the admin saves it: the snapshot every worker holds is refreshed.
    policy = SLAPolicy.objects.get(problem_type="topup_withdrawal", priority="normal")
    policy.first_response_minutes = 45
    policy.save()
    assert sla.sla_targets(
        problem_type="topup_withdrawal", priority="normal"
    ).first_response == timedelta(minutes=45)

    SLAPolicy.objects.all().delete()

    targets = sla.sla_targets(problem_type="topup_withdrawal", priority="normal")
    assert targets == sla.SlaTargets(timedelta(hours=4), timedelta(hours=24))


@pytest.mark.django_db
def test_sla_clocks_start_at_submission_in_the_teams_business_hours():
    # Friday 17:30 in Shanghai, payments (08:00-22:00 every day), topup/normal: 2h first
    # response, 24h resolution, warned at 80%.
    friday = datetime(2026, 11, 27, 17, 30, tzinfo=SHANGHAI)
    ticket = routed_ticket(at=friday)

    assert ticket.first_response_due == friday + timedelta(hours=2)
    assert ticket.first_response_warn_at == friday + timedelta(minutes=96)
    # 4h30 on Friday, 14h on Saturday, 5h30 on Sunday from 08:00.
    assert ticket.resolution_due == datetime(2026, 11, 29, 13, 30, tzinfo=SHANGHAI)
    # 80% of 24h = 19h12: 4h30 Friday, 14h Saturday, 42 minutes on Sunday.
    assert ticket.resolution_warn_at == datetime(2026, 11, 29, 8, 42, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_sla_clocks_restart_from_the_reopening_but_keep_a_given_first_response(staff_user):
    ticket = routed_ticket()
    answered = MONDAY_10 + timedelta(minutes=20)
    with time_machine.travel(answered, tick=False):
        services.message_post_agent(ticket=ticket, author=staff_user, body="Fixed, I think.")
    ticket.refresh_from_db()
    first_due = ticket.first_response_due
    reopened = MONDAY_10 + timedelta(days=2)

    sla.sla_clocks_start(ticket=ticket, now=reopened, first_routing=False)

    assert ticket.first_response_due == first_due
    assert ticket.first_responded_at == answered
    # 24 business hours of payments (08:00-22:00) from Wednesday 10:00: Thursday 20:00.
    assert ticket.resolution_due == datetime(2026, 12, 3, 20, 0, tzinfo=SHANGHAI)
    assert ticket.resolution_breached_at is None


def test_sla_team_calendar_without_a_team_runs_around_the_clock(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    calendar = sla.team_calendar(None)

    assert calendar.hours is None
    assert calendar.time_zone == "Asia/Shanghai"
    assert calendar.holidays == frozenset()


@pytest.mark.django_db
def test_sla_team_calendar_counts_the_teams_holidays():
    monday = MONDAY_10.date()
    team = Team.objects.get(code="payments")
    TeamHoliday.objects.create(team=team, date=monday)

    ticket = routed_ticket(at=MONDAY_10)

    # Nothing counts on the Monday holiday: the clock starts Tuesday at 08:00.
    assert ticket.first_response_due == datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)


# Which statuses run which clock --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "first_response_runs", "resolution_runs"),
    [
        (Status.NEW, True, True),
        (Status.OPEN, True, True),
        (Status.PENDING, True, False),
        (Status.RESOLVED, False, False),
        (Status.CLOSED, False, False),
    ],
)
def test_sla_clocks_run_in_their_statuses(status, first_response_runs, resolution_runs):
    ticket = routed_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    running = {
        clock.name: Ticket.objects.filter(clock.running(), pk=ticket.pk).exists()
        for clock in sla.CLOCKS
    }

    assert running == {"first_response": first_response_runs, "resolution": resolution_runs}


@pytest.mark.django_db
def test_sla_clocks_stop_on_the_first_response_and_pause_while_pending(staff_user):
    ticket = routed_ticket()
    with time_machine.travel(MONDAY_10 + timedelta(minutes=5), tick=False):
        services.message_post_agent(ticket=ticket, author=staff_user, body="Which card?")
        services.ticket_change_status(ticket=ticket, status=Status.PENDING)

    running = [clock.name for clock in sla.CLOCKS if Ticket.objects.filter(clock.running())]

    assert running == []
    ticket.refresh_from_db()
    assert sla.sla_clock(ticket, now=MONDAY_10 + timedelta(hours=1)).state == "paused"
