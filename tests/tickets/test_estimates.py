"""The live "expected first response" figures shown to customers."""

from datetime import timedelta

import pytest
from django.core.cache import cache

from tests.support.factories import make_agent
from tickets import selectors, services
from tickets.models import RoutingRule, SLAPolicy, Ticket


@pytest.fixture(autouse=True)
def _fresh_estimates():
    cache.delete(selectors.ESTIMATE_CACHE_KEY)


def responded_ticket(minutes: int, *, channel: str = "web") -> Ticket:
    ticket = services.ticket_create(
        problem_type="topup_withdrawal",
        channel=channel,
        subject="Top-up missing",
        description="My top-up by bank card has not arrived in the wallet after an hour.",
        customer_email="c@example.com",
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        first_responded_at=ticket.created_at + timedelta(minutes=minutes), status="open"
    )
    return ticket


@pytest.mark.django_db
def test_estimate_without_history_is_the_published_target():
    estimate = selectors.expected_first_response(problem_type="topup_withdrawal")

    assert estimate == timedelta(minutes=120)  # payments/normal policy, nobody waiting


@pytest.mark.django_db
def test_estimate_is_the_median_of_recent_first_responses():
    for minutes in (10, 20, 20, 30, 90):
        responded_ticket(minutes)

    assert selectors.expected_first_response(problem_type="topup_withdrawal") == timedelta(
        minutes=20
    )
    # Another channel has no history yet: the target applies there.
    assert selectors.expected_first_response(
        problem_type="topup_withdrawal", channel="chat"
    ) == timedelta(minutes=120)


@pytest.mark.django_db
def test_estimate_grows_with_the_queue_and_shrinks_with_online_agents(settings):
    settings.SUPPORT_MINUTES_PER_TICKET = 10
    for minutes in (20, 20, 20, 20, 20):
        responded_ticket(minutes)
    for _ in range(4):
        services.ticket_create(
            problem_type="topup_withdrawal",
            channel="web",
            subject="Waiting",
            description="Another customer waiting for a first answer about a withdrawal.",
            customer_email="w@example.com",
        )
    make_agent("payments")
    make_agent("payments")

    estimate = selectors.expected_first_response(problem_type="topup_withdrawal")

    # 20 minutes median + 4 waiting / 2 agents x 10 minutes.
    assert estimate == timedelta(minutes=40)


@pytest.mark.django_db
def test_estimates_are_cached_for_a_minute(django_assert_num_queries):
    selectors.first_response_estimates()

    with django_assert_num_queries(0):
        selectors.first_response_estimates()


@pytest.mark.django_db
def test_home_page_shows_the_live_table(client):
    content = client.get("/").content.decode()

    assert "Expected first response right now" in content
    assert "2 hours" in content


@pytest.mark.django_db
def test_estimate_without_history_follows_the_sla_policy():
    SLAPolicy.objects.filter(problem_type="topup_withdrawal", priority="normal").update(
        first_response_minutes=45
    )

    assert selectors.expected_first_response(problem_type="topup_withdrawal") == timedelta(
        minutes=45
    )


@pytest.mark.django_db
def test_estimate_without_a_routing_rule_uses_the_problem_types_priority():
    # Routing keeps a frozen account's default priority (high) when no rule matches, so the
    # published target is the frozen/high policy's hour, not a normal-priority fallback.
    RoutingRule.objects.all().delete()

    assert selectors.expected_first_response(problem_type="account_frozen") == timedelta(minutes=60)
