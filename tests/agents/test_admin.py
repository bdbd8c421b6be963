"""The team admin form: working hours as a week of opening times (issue 20), not raw JSON; the
time zone with the business-hours parser's message on its field."""

import re

import pytest
from django.urls import reverse

from agents.models import Team
from tests.support.auth import login_with_second_factor
from tests.support.business_hours import BAD_TIME_ZONES, cases, message_at

pytestmark = pytest.mark.django_db

ADD = reverse("admin:agents_team_add")
WEEKDAY_9_TO_6 = {
    f"day{day}_{edge}0": time
    for day in range(5)
    for edge, time in (("opens", "09:00"), ("closes", "18:00"))
}


@pytest.fixture
def admin_client(client, superuser):
    login_with_second_factor(client, superuser)
    return client


def post_team(client, url=ADD, headers=None, **overrides):
    """Submit the team form, with the inlines' management forms the page itself renders."""
    page = client.get(url, headers=headers)
    data = {
        "code": "night-shift",
        "name_en": "Night shift",
        "name_zh_hans": "夜班",
        "time_zone": "Asia/Shanghai",
    }
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update(
            {management.add_prefix(name): value for name, value in management.initial.items()}
        )
    return client.post(url, {**data, **overrides}, headers=headers)


def field_errors(response, field: str) -> list[str]:
    return list(response.context["adminform"].form.errors.get(field, []))


def test_the_form_has_a_time_field_for_each_day_and_no_json_box(admin_client):
    page = admin_client.get(ADD).content.decode()

    assert 'name="working_hours"' not in page
    for day in range(7):
        assert f'<input type="time" name="day{day}_opens0"' in page
        assert f'<input type="time" name="day{day}_closes1"' in page
    assert "Monday opens" in page
    assert "Sunday, second window closes" in page


def test_a_week_is_saved_as_the_engines_windows(admin_client):
    response = post_team(
        admin_client,
        **WEEKDAY_9_TO_6,
        day5_opens0="10:00",
        day5_closes0="14:00",
        day5_opens1="15:00",
        day5_closes1="19:00",
        day6_opens0="22:00",
        day6_closes0="06:00",
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Team.objects.get(code="night-shift").working_hours == [
        {"days": [0, 1, 2, 3, 4], "open": "09:00", "close": "18:00"},
        {"days": [5], "open": "10:00", "close": "14:00"},
        {"days": [5], "open": "15:00", "close": "19:00"},
        {"days": [6], "open": "22:00", "close": "06:00"},
    ]


def test_midnight_closes_the_day_and_a_whole_day_is_00_to_00(admin_client):
    response = post_team(
        admin_client,
        day0_opens0="00:00",
        day0_closes0="00:00",
        day1_opens0="20:00",
        day1_closes0="00:00",
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Team.objects.get(code="night-shift").working_hours == [
        {"days": [0], "open": "00:00", "close": "24:00"},
        {"days": [1], "open": "20:00", "close": "24:00"},
    ]


def test_always_open_saves_always(admin_client):
    response = post_team(admin_client, always_open="on", day0_opens0="09:00")

    assert response.status_code == 302
    assert Team.objects.get(code="night-shift").working_hours == "always"


def test_the_form_shows_the_stored_hours(admin_client):
    team = Team.objects.create(
        code="late",
        name_en="Late",
        name_zh_hans="晚班",
        working_hours=[
            {"days": [0, 2], "open": "09:00", "close": "12:00"},
            {"days": [0], "open": "13:00", "close": "24:00"},
        ],
    )

    form = (
        admin_client.get(reverse("admin:agents_team_change", args=[team.pk]))
        .context["adminform"]
        .form
    )

    assert form["day0_opens0"].value() == "09:00"
    assert form["day0_closes1"].value() == "00:00"
    assert form["day2_closes0"].value() == "12:00"
    assert form["day1_opens0"].value() is None
    assert 'value="13:00"' in str(form["day0_opens1"])


@pytest.mark.parametrize(
    ("language", "half", "same", "nothing"),
    [
        (
            "en",
            "Give both an opening and a closing time.",
            "opens and closes at the same time",
            "at least one day",
        ),
        ("zh-hans", "请同时填写开始和结束时间。", "开始和结束时间相同", "至少填写一天"),
    ],
)
def test_bad_hours_are_refused_in_the_agents_language_and_nothing_is_saved(
    admin_client, language, half, same, nothing
):
    headers = {"accept-language": language}

    only_opening = post_team(admin_client, headers=headers, day0_opens0="09:00")
    no_length = post_team(admin_client, headers=headers, day1_opens0="09:00", day1_closes0="09:00")
    no_day = post_team(admin_client, headers=headers)
    not_a_time = post_team(admin_client, headers=headers, day2_opens0="9am", day2_closes0="18:00")

    assert field_errors(only_opening, "day0_closes0") == [half]
    assert same in field_errors(no_length, "day1_closes0")[0]
    assert nothing in " ".join(no_day.context["adminform"].form.non_field_errors())
    assert field_errors(not_a_time, "day2_opens0")
    assert not Team.objects.filter(code="night-shift").exists()


@pytest.mark.parametrize(("name", "message"), cases(BAD_TIME_ZONES, form_only=True))
def test_a_bad_time_zone_shows_on_the_time_zone_field(admin_client, name, message):
    response = post_team(admin_client, time_zone=name, **WEEKDAY_9_TO_6)

    assert response.status_code == 200
    assert not Team.objects.filter(code="night-shift").exists()
    (error,) = field_errors(response, "time_zone")
    assert re.search(message_at("time zone", message), error), error
