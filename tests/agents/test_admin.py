"""The team admin form shows the business-hours parser's message on the field that is wrong."""

import json
import re

import pytest
from django.urls import reverse

from agents.models import Team
from tests.support.auth import login_with_second_factor
from tests.support.business_hours import BAD_HOURS, BAD_TIME_ZONES, cases, message_at

pytestmark = pytest.mark.django_db

ADD = reverse("admin:agents_team_add")


@pytest.fixture
def admin_client(client, superuser):
    login_with_second_factor(client, superuser)
    return client


def post_team(client, **overrides):
    """Submit the add form, with the inlines' management forms the page itself renders."""
    page = client.get(ADD)
    data = {
        "code": "night-shift",
        "name_en": "Night shift",
        "name_zh_hans": "夜班",
        "time_zone": "Asia/Shanghai",
        "working_hours": json.dumps("always"),
    }
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update(
            {management.add_prefix(name): value for name, value in management.initial.items()}
        )
    return client.post(ADD, {**data, **overrides})


def field_errors(response, field: str) -> list[str]:
    return list(response.context["adminform"].form.errors.get(field, []))


@pytest.mark.parametrize(("hours", "message"), cases(BAD_HOURS, form_only=True))
def test_bad_working_hours_show_where_on_the_field(admin_client, hours, message):
    response = post_team(admin_client, working_hours=json.dumps(hours))

    assert response.status_code == 200
    assert not Team.objects.filter(code="night-shift").exists()
    (error,) = field_errors(response, "working_hours")
    assert re.search(message_at("working hours", message), error), error
    assert field_errors(response, "time_zone") == []


@pytest.mark.parametrize(("name", "message"), cases(BAD_TIME_ZONES, form_only=True))
def test_a_bad_time_zone_shows_on_the_time_zone_field(admin_client, name, message):
    response = post_team(admin_client, time_zone=name)

    assert response.status_code == 200
    assert not Team.objects.filter(code="night-shift").exists()
    (error,) = field_errors(response, "time_zone")
    assert re.search(message_at("time zone", message), error), error
    assert field_errors(response, "working_hours") == []


@pytest.mark.parametrize("hours", [[], None, ""])
def test_blank_working_hours_are_required(admin_client, hours):
    response = post_team(admin_client, working_hours=json.dumps(hours) if hours != "" else "")

    assert "This field is required." in field_errors(response, "working_hours")
    assert not Team.objects.filter(code="night-shift").exists()


def test_the_page_shows_the_message_to_the_operator(admin_client):
    response = post_team(
        admin_client,
        working_hours=json.dumps([{"days": [0], "open": "9am", "close": "18:00"}]),
    )

    assert (
        "working hours[0] open: &#x27;9am&#x27; is not a time HH:MM from 00:00 to 23:59."
        in response.content.decode()
    )


def test_valid_working_hours_save(admin_client):
    hours = [{"days": [4], "open": "22:00", "close": "24:00"}]

    response = post_team(admin_client, working_hours=json.dumps(hours))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Team.objects.get(code="night-shift").working_hours == hours
