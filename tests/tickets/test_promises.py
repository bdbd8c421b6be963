"""The expected first response is counted on the SLA clock: the team's business hours."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import translation

from agents.models import Team
from tests.support.factories import make_ticket
from tickets import selectors
from tickets.sla import sla_targets, team_calendar

NINE_TO_SIX = [{"days": [0, 1, 2, 3, 4, 5, 6], "open": "09:00", "close": "18:00"}]
# Wednesday 2 December 2026, 03:48 in Shanghai (UTC+8).
NIGHT = datetime(2026, 12, 1, 19, 48, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_estimates():
    cache.delete(selectors.ESTIMATE_CACHE_KEY)
    cache.delete(selectors.CALENDAR_CACHE_KEY)


@pytest.fixture
def payments_nine_to_six(settings):
    settings.SUPPORT_MINUTES_PER_TICKET = 0  # no queue: the promise is the published target
    team = Team.objects.get(code="payments")
    team.working_hours = NINE_TO_SIX
    team.time_zone = "Asia/Shanghai"
    team.save()
    return team


@pytest.mark.django_db
def test_promise_at_night_names_the_time_the_clock_reaches_its_target(
    payments_nine_to_six, django_capture_on_commit_callbacks
):
    with time_machine.travel(NIGHT, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            ticket = make_ticket("topup_withdrawal")
        ticket.refresh_from_db()
        promise = selectors.ticket_first_response_promise(ticket=ticket)

    # Payments answers within 2 business hours; the clock starts at 09:00.
    assert promise.due == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    assert promise.due == ticket.first_response_due  # the very deadline the SLA clock set
    assert not promise.clock_running
    assert promise.text == "by 11:00 today (UTC+8)"
    assert "about" not in promise.text


@pytest.mark.django_db
def test_promise_in_chinese(payments_nine_to_six):
    with time_machine.travel(NIGHT, tick=False), translation.override("zh-hans"):
        promise = selectors.first_response_promise(problem_type="topup_withdrawal")

    assert "11:00" in promise.text
    assert "今天" in promise.text


@pytest.mark.django_db
def test_promise_in_business_hours_is_a_duration(payments_nine_to_six):
    with time_machine.travel(datetime(2026, 12, 2, 2, 0, tzinfo=UTC), tick=False):  # 10:00
        promise = selectors.first_response_promise(problem_type="topup_withdrawal")

    assert promise.clock_running
    assert promise.text == "about 2 hours"


@pytest.mark.django_db
def test_promise_running_past_closing_continues_next_morning(payments_nine_to_six):
    with time_machine.travel(datetime(2026, 12, 2, 9, 30, tzinfo=UTC), tick=False):  # 17:30
        promise = selectors.first_response_promise(problem_type="topup_withdrawal")

    # Half an hour today, an hour and a half tomorrow from 09:00.
    assert promise.due == datetime(2026, 12, 3, 2, 30, tzinfo=UTC)
    assert promise.text == "by 10:30 tomorrow (UTC+8)"


@pytest.mark.django_db
def test_promise_uses_the_sla_calendar_and_targets_per_problem_type(payments_nine_to_six):
    with time_machine.travel(NIGHT, tick=False):
        security = selectors.first_response_promise(problem_type="account_security")
        payments = selectors.first_response_promise(problem_type="topup_withdrawal")

    calendar = team_calendar(payments_nine_to_six)
    assert selectors.first_response_calendars()["topup_withdrawal"] == calendar
    target = sla_targets(problem_type="topup_withdrawal", priority="normal").first_response
    assert payments.estimate == target
    # Account security is answered around the clock, so it stays a short duration.
    assert security.clock_running
    assert security.due - NIGHT < timedelta(hours=1)


@pytest.mark.django_db
def test_confirmation_page_and_mail_give_the_business_hours_promise(
    client, payments_nine_to_six, django_capture_on_commit_callbacks
):
    from django.core import mail

    from tests.support.factories import contact_data

    with time_machine.travel(NIGHT, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/contact/?type=topup_withdrawal", contact_data("topup_withdrawal")
            )
        page = client.get(response["Location"]).content.decode()

    assert "Expected first response: <strong>by 11:00 today (UTC+8)</strong>" in page
    assert "by 11:00 today (UTC+8)" in mail.outbox[0].body


@pytest.mark.django_db
def test_home_table_chat_column_agrees_with_the_chat_card(client):
    with time_machine.travel(datetime(2026, 12, 2, 4, 0, tzinfo=UTC), tick=False):  # 12:00
        page = client.get("/").content.decode()

    # No agent has a console open: the chat column says so, as the channel guide does.
    assert page.count('<td data-channel="live_chat">No agent free: leave a message</td>') >= 5
    assert "No agent free" in page


@pytest.mark.django_db
def test_home_table_chat_column_with_an_agent_online_is_the_chat_cards_figure(client):
    from tests.support.factories import make_agent

    noon = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    with time_machine.travel(noon, tick=False):
        make_agent("payments", console=True)
        cache.clear()
        page = client.get("/").content.decode()

    assert '<td data-channel="live_chat">about 3 minutes</td>' in page
    assert "Typical response: about 3 minutes" in page
