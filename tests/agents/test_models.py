"""A team's working hours and time zone are checked by the one business-hours parser."""

import importlib
import re

import pytest
from django.core.exceptions import ValidationError

from agents.models import Team
from tests.support.business_hours import BAD_HOURS, BAD_TIME_ZONES, cases, message_at

SHIPPED_TEAMS = importlib.import_module("tickets.migrations.0003_default_routing").TEAMS


def team(**fields) -> Team:
    values = {"code": "night-shift", "name_en": "Night shift", "name_zh_hans": "夜班", **fields}
    return Team(**{"working_hours": "always", "time_zone": "Asia/Shanghai", **values})


@pytest.mark.parametrize(("hours", "message"), cases(BAD_HOURS))
def test_team_clean_refuses_bad_working_hours_naming_where(hours, message):
    with pytest.raises(ValidationError) as refused:
        team(working_hours=hours).clean()

    assert refused.value.message_dict.keys() == {"working_hours"}
    (text,) = refused.value.message_dict["working_hours"]
    assert re.search(message_at("working hours", message), text), text


@pytest.mark.parametrize(("name", "message"), cases(BAD_TIME_ZONES))
def test_team_clean_refuses_a_bad_time_zone_on_its_own_field(name, message):
    with pytest.raises(ValidationError) as refused:
        team(
            time_zone=name, working_hours=[{"days": [7], "open": "09:00", "close": "18:00"}]
        ).clean()

    errors = refused.value.message_dict
    assert re.search(message_at("time zone", message), errors["time_zone"][0])
    assert errors["working_hours"] == [
        "working hours[0]: Day 7 is out of range: days are 0 (Monday) to 6 (Sunday)."
    ]


@pytest.mark.parametrize(
    "hours",
    [
        "always",
        [{"days": [0, 1, 2, 3, 4], "open": "09:00", "close": "18:00"}],
        [
            {"days": [4], "open": "22:00", "close": "02:00"},
            {"days": [6], "open": "00:00", "close": "24:00"},
        ],
    ],
)
def test_team_clean_accepts_valid_working_hours(hours):
    team(working_hours=hours).clean()


@pytest.mark.parametrize(("code", "name_en", "name_zh", "hours"), SHIPPED_TEAMS)
def test_the_shipped_teams_hours_parse(code, name_en, name_zh, hours):
    team(code=code, name_en=name_en, name_zh_hans=name_zh, working_hours=hours).clean()


@pytest.mark.django_db
def test_the_teams_the_migrations_create_pass_full_clean():
    teams = list(Team.objects.all())

    assert {team.code for team in teams} >= {code for code, *_ in SHIPPED_TEAMS}
    for each in teams:
        each.full_clean()
