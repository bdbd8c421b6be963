"""Routing and the SLA check at incident scale: the per-process snapshot of rules, batches that
stay fair and within capacity under races, account-security first, and a set-based SLA check
whose marks, escalations and mails happen once per ticket even when two runs race."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from agents.models import Team
from tests.support.auth import login_with_second_factor
from tests.support.factories import make_agent
from tickets import routing, services, sla, tasks
from tickets.models import RoutingRule, Status, Ticket, TicketEvent
from tickets.routing_config import routing_config


def file_ticket(problem_type="other", subject="A question") -> Ticket:
    return services.ticket_create(
        problem_type=problem_type,
        channel="web",
        subject=subject,
        description="A description long enough to be a real ticket message.",
        customer_email="customer@example.com",
    )


@pytest.fixture
def unrouted(monkeypatch):
    """Tickets are filed without their routing task, as when a burst waits in the queue."""
    monkeypatch.setattr(services, "_queue_routing", lambda ticket: None)


def in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run() -> None:
        barrier.wait()
        try:
            results.append(work())
        except Exception as error:  # surfaced below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    return results


# The snapshot --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_routing_reads_rules_once_per_process_not_per_ticket(unrouted, django_assert_num_queries):
    make_agent("general")
    first, second = file_ticket(), file_ticket()
    routing.ticket_route(ticket_id=first.pk)  # loads the snapshot

    with django_assert_num_queries(9):
        # anything waiting, savepoint, lock+first message, team lock, pick (with the agent's
        # user), update, agent, events, savepoint release; no rule, policy, team, holiday or
        # user read.
        routing.ticket_route(ticket_id=second.pk)


@pytest.mark.django_db
def test_a_routing_task_with_nothing_waiting_costs_one_read(unrouted, django_assert_num_queries):
    make_agent("general")
    first, second = file_ticket(), file_ticket()
    routing.tickets_route(ticket_id=first.pk)  # the batch routes both

    with django_assert_num_queries(1):
        # second's own task, after the batch: no transaction, no lock
        assert tasks.route_ticket.run(second.pk) is None

    assert Ticket.objects.get(pk=second.pk).needs_routing is False


@pytest.mark.django_db
def test_a_routing_task_whose_ticket_was_routed_still_routes_what_waits(unrouted):
    make_agent("general")
    first = file_ticket()
    routing.ticket_route(ticket_id=first.pk)
    later = file_ticket()  # its own task has not run yet

    assert [ticket.pk for ticket in routing.tickets_route(ticket_id=first.pk)] == [later.pk]


@pytest.mark.django_db
def test_a_rule_changed_in_the_admin_takes_effect_for_the_next_ticket(
    unrouted, client, admin_user, django_capture_on_commit_callbacks
):
    login_with_second_factor(client, admin_user)
    first = file_ticket(subject="Question about fees")
    routing.ticket_route(ticket_id=first.pk)
    first.refresh_from_db()
    assert first.team.code == "general"
    rule = RoutingRule.objects.create(
        order=1,
        name="Fees",
        keywords="fees",
        team=Team.objects.get(code="payments"),
        priority="low",
        is_active=False,
    )
    routing_config()  # this process holds the snapshot taken with the rule off

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:tickets_routingrule_change", args=[rule.pk]),
            {
                "order": 1,
                "name": "Fees",
                "problem_type": "",
                "keywords": "fees",
                "team": rule.team_id,
                "priority": "low",
                "is_active": "on",
            },
        )
    assert response.status_code == 302, response.content[:300]
    assert response.url == reverse("admin:tickets_routingrule_changelist"), response.url
    second = file_ticket(subject="Question about fees")
    routing.ticket_route(ticket_id=second.pk)

    second.refresh_from_db()
    assert (second.team.code, second.priority) == ("payments", "low")


@pytest.mark.django_db
def test_a_missing_version_key_reloads_the_snapshot(unrouted):
    from django.core.cache import cache

    from tickets.routing_config import VERSION_KEY

    held = routing_config()
    assert routing_config() is held
    cache.delete(VERSION_KEY)  # a flushed or restarted cache
    assert routing_config() is not held


# Batches -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_fills_the_least_loaded_first_and_never_passes_capacity(unrouted):
    busy = make_agent("general", capacity=6)
    idle = make_agent("general", capacity=4)
    small = make_agent("general", capacity=2)
    for _ in range(4):
        ticket = file_ticket()
        Ticket.objects.filter(pk=ticket.pk).update(
            assignee=busy, status=Status.OPEN, needs_routing=False
        )
    waiting = [file_ticket() for _ in range(12)]

    routed = routing.tickets_route(limit=50)

    assert {ticket.pk for ticket in routed} == {ticket.pk for ticket in waiting}
    load = Counter(
        Ticket.objects.filter(pk__in=[t.pk for t in waiting]).values_list("assignee_id", flat=True)
    )
    # The idle and small agents take the first tickets, busy (4 open) only once the others
    # reach 4; then everyone is full and the rest wait in the team's queue.
    assert load[busy.pk] == 2
    assert load[idle.pk] == 4
    assert load[small.pk] == 2
    assert load[None] == 4
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.ROUTED).count() == 12


@pytest.mark.django_db
def test_account_security_is_routed_first_even_behind_a_burst(unrouted):
    make_agent("general")
    make_agent("account-security")
    burst = [file_ticket() for _ in range(30)]
    security = file_ticket("account_security", subject="Unknown log-in")

    routed = routing.tickets_route(ticket_id=burst[0].pk, limit=5)

    assert [ticket.pk for ticket in routed][:2] == [burst[0].pk, security.pk]
    assert Ticket.objects.get(pk=security.pk).needs_routing is False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_batches_racing_keep_capacity_and_least_loaded(postgres, unrouted):
    agents = [make_agent("general", capacity=10) for _ in range(3)]
    waiting = [file_ticket() for _ in range(40)]

    def route_some():
        return routing.tickets_route(limit=7)

    def drain():
        routed = []
        while batch := routing.tickets_route(limit=7):
            routed += batch
        return routed

    results = in_threads(3, drain) + in_threads(2, route_some)

    routed_ids = [ticket.pk for batch in results for ticket in batch]
    assert sorted(routed_ids) == sorted(ticket.pk for ticket in waiting)
    load = Counter(Ticket.objects.filter(pk__in=routed_ids).values_list("assignee_id", flat=True))
    assert [load[agent.pk] for agent in agents] == [10, 10, 10]
    assert load[None] == 10
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.ROUTED).count() == 40


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_single_routings_racing_a_batch_stay_least_loaded(postgres, unrouted):
    agents = [make_agent("general", capacity=50) for _ in range(3)]
    waiting = [file_ticket() for _ in range(30)]
    singles = iter(waiting[::-1])
    lock = threading.Lock()

    def route_singles():
        while True:
            with lock:
                ticket = next(singles, None)
            if ticket is None:
                return []
            routing.ticket_route(ticket_id=ticket.pk)

    def route_batches():
        while routing.tickets_route(limit=4):
            pass
        return []

    works = iter([route_singles, route_batches])
    in_threads(2, lambda: next(works)())

    load = Counter(
        Ticket.objects.filter(pk__in=[t.pk for t in waiting]).values_list("assignee_id", flat=True)
    )
    assert sorted(load[agent.pk] for agent in agents) == [10, 10, 10]
    assert Ticket.objects.filter(needs_routing=True).count() == 0


# The SLA check -------------------------------------------------------------------------------


def overdue_tickets(count: int) -> list[Ticket]:
    now = timezone.now()
    tickets = []
    for _ in range(count):
        ticket = file_ticket("topup_withdrawal")
        routing.ticket_route(ticket_id=ticket.pk)
        tickets.append(ticket)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        first_response_warn_at=now - timedelta(minutes=2),
        first_response_due=now - timedelta(minutes=1),
        resolution_warn_at=now - timedelta(minutes=1),
    )
    return tickets


@pytest.mark.django_db
def test_sla_check_is_set_based(unrouted, django_assert_max_num_queries):
    overdue_tickets(30)

    with django_assert_max_num_queries(40):
        report = sla.sla_check()

    assert len(report.breached) == 30
    assert len(report.escalated) == 30


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sla_checks_racing_mark_escalate_and_mail_once(postgres, unrouted, settings):
    settings.SLA_REASSIGN_ON_BREACH = True
    make_agent("payments", is_lead=True, capacity=100)
    make_agent("payments", capacity=100)
    tickets = overdue_tickets(25)
    mail.outbox.clear()

    reports = in_threads(2, sla.sla_check)

    ids = sorted(ticket.pk for ticket in tickets)
    for name in ("at_risk", "breached", "escalated"):
        marked = [pk for report in reports for pk in getattr(report, name)]
        expected = ids * 2 if name == "at_risk" else ids  # both clocks at risk, one breached
        assert sorted(marked) == sorted(expected), name
    for ticket in tickets:
        kinds = Counter(ticket.events.values_list("kind", flat=True))
        assert kinds[TicketEvent.Kind.SLA_AT_RISK] == 2
        assert kinds[TicketEvent.Kind.SLA_BREACHED] == 1
        assert kinds[TicketEvent.Kind.ESCALATED] == 1
    subjects = Counter(
        ticket.reference
        for ticket in tickets
        for message in mail.outbox
        if ticket.reference in message.subject
    )
    assert all(subjects[ticket.reference] == 1 for ticket in tickets), subjects

    assert sla.sla_check().escalated == []
