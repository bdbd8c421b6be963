"""The problem-type table: it alone gives a new ticket its priority, queue and evidence."""

from dataclasses import replace

import pytest
from django import forms

from tests.support.factories import make_ticket
from tickets import routing, tasks
from tickets.forms import ContactForm
from tickets.models import Priority, ProblemType, RoutingRule, Ticket, TicketEvent
from tickets.problem_types import PROBLEM_TYPES, evidence_fields, problem_type_facts

ALL_TYPES = pytest.mark.parametrize("problem_type", ProblemType.values)


@pytest.fixture
def routing_queues(monkeypatch) -> list[str]:
    """The queue of every routing task sent (the task itself is not run)."""
    sent: list[str] = []
    monkeypatch.setattr(tasks.route_ticket, "apply_async", lambda args, queue: sent.append(queue))
    return sent


def other_priority(priority: str) -> str:
    return next(choice for choice in Priority.values if choice != priority)


def test_the_table_has_one_row_per_problem_type():
    assert set(PROBLEM_TYPES) == set(ProblemType.values)


def test_a_problem_type_the_desk_no_longer_has_is_treated_as_something_else():
    facts = problem_type_facts("lost_phone")

    assert facts == PROBLEM_TYPES[ProblemType.OTHER]
    assert facts.queue == "default"
    assert facts.evidence() == {}


@pytest.mark.django_db
def test_a_stored_ticket_of_a_removed_problem_type_still_routes():
    ticket = Ticket.objects.create(
        reference="WS-REMOVED2",
        channel="web",
        subject="Old",
        customer_email="a@example.com",
        problem_type="lost_phone",
    )

    routed = routing.ticket_route(ticket_id=ticket.pk)

    assert routed is not None
    assert routed.team is not None


@pytest.mark.django_db
@ALL_TYPES
def test_a_filed_ticket_takes_priority_and_routing_queue_from_the_table(
    problem_type, monkeypatch, routing_queues, django_capture_on_commit_callbacks
):
    row = PROBLEM_TYPES[problem_type]
    changed = replace(
        row, default_priority=other_priority(row.default_priority), queue=f"{problem_type}-q"
    )
    monkeypatch.setitem(PROBLEM_TYPES, problem_type, changed)

    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(problem_type)

    ticket.refresh_from_db()
    assert ticket.priority == changed.default_priority
    assert routing_queues == [f"{problem_type}-q"]


@pytest.mark.django_db
@ALL_TYPES
def test_the_shipped_routing_rules_keep_the_tables_priority(
    problem_type, django_capture_on_commit_callbacks
):
    # Customers got these priorities before the table (the rules of migration 0003 decided);
    # the table starts each ticket there, so routing changes nothing and records no change.
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(problem_type, subject="A question", description="x" * 40)

    ticket.refresh_from_db()
    assert ticket.routed_at is not None
    assert ticket.priority == PROBLEM_TYPES[problem_type].default_priority
    assert not ticket.events.filter(kind=TicketEvent.Kind.PRIORITY).exists()


def test_frozen_accounts_start_high_as_the_routing_rule_made_them():
    assert PROBLEM_TYPES[ProblemType.ACCOUNT_FROZEN].default_priority == Priority.HIGH


@pytest.mark.django_db
@ALL_TYPES
def test_without_a_matching_rule_routing_keeps_the_tables_priority(
    problem_type, django_capture_on_commit_callbacks
):
    RoutingRule.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(problem_type)

    ticket.refresh_from_db()
    assert ticket.team is None
    assert ticket.priority == PROBLEM_TYPES[problem_type].default_priority


@pytest.mark.django_db
def test_the_security_webhook_goes_to_the_account_security_queue(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.SECURITY_WEBHOOK_URL = "https://wallet.example/hooks"
    monkeypatch.setitem(
        PROBLEM_TYPES,
        ProblemType.ACCOUNT_SECURITY,
        replace(PROBLEM_TYPES[ProblemType.ACCOUNT_SECURITY], queue="security-test"),
    )
    sent = []
    monkeypatch.setattr(
        tasks.deliver_webhook, "apply_async", lambda args, queue: sent.append(queue)
    )
    ticket = make_ticket(ProblemType.ACCOUNT_SECURITY)

    with django_capture_on_commit_callbacks(execute=True):
        routing.ticket_route(ticket_id=ticket.pk)

    assert sent == ["security-test"]


def _schema() -> dict[str, forms.Field]:
    return {"seed_phrase_kept_offline": forms.ChoiceField(choices=[("yes", "Yes"), ("no", "No")])}


@ALL_TYPES
def test_the_contact_form_asks_for_the_tables_evidence(problem_type, monkeypatch):
    assert ContactForm(problem_type=problem_type).evidence_names == list(
        PROBLEM_TYPES[problem_type].evidence()
    )

    monkeypatch.setitem(
        PROBLEM_TYPES, problem_type, replace(PROBLEM_TYPES[problem_type], evidence=_schema)
    )

    assert ContactForm(problem_type=problem_type).evidence_names == ["seed_phrase_kept_offline"]
    assert list(evidence_fields(problem_type)) == ["seed_phrase_kept_offline"]


@ALL_TYPES
def test_each_form_gets_fields_of_its_own(problem_type):
    first, second = evidence_fields(problem_type), evidence_fields(problem_type)

    assert all(first[name] is not second[name] for name in first)
