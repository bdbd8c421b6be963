"""The channel guide: schedules, open-now status, next opening, texts and the rendered cards."""

import importlib
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from common.business_hours import BusinessCalendar, Window, is_business_time
from faq.channels import (
    DEFAULT_CHANNELS,
    Channel,
    ChannelStatus,
    channel_guide,
    days_text,
    response_text,
    support_channels,
    support_holidays,
    support_time_zone,
    utc_offset_text,
)
from tests.support.business_hours import (
    BAD_HOLIDAYS,
    BAD_HOURS,
    BAD_TIME_ZONES,
    cases,
    message_at,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
HOTLINE = [{"days": [0, 1, 2, 3, 4], "open": "09:00", "close": "18:00"}]
FRIDAY_NIGHTS = [{"days": [4], "open": "22:00", "close": "02:00"}]


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def by_code(statuses: list[ChannelStatus]) -> dict[str, ChannelStatus]:
    return {status.code: status for status in statuses}


@pytest.fixture(autouse=True)
def _support_settings(settings):
    settings.SUPPORT_TIME_ZONE = "Asia/Shanghai"
    settings.SUPPORT_CHANNELS = DEFAULT_CHANNELS
    settings.SUPPORT_HOLIDAYS = []


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def hotline(settings, hours, now: datetime, holidays=()) -> ChannelStatus:
    """The guide's card of a hotline with these hours at `now`."""
    settings.SUPPORT_CHANNELS = [{"code": "hotline", "hours": hours, "response_minutes": 5}]
    settings.SUPPORT_HOLIDAYS = list(holidays)
    (card,) = channel_guide(now=now)
    return card


def is_open(settings, hours, now: datetime, holidays=()) -> bool:
    return hotline(settings, hours, now, holidays).is_open


def opens_next(settings, hours, now: datetime, holidays=()) -> datetime | None:
    return hotline(settings, hours, now, holidays).opens_next


def test_hotline_opens_at_nine(settings):
    assert not is_open(settings, HOTLINE, shanghai(2026, 3, 2, 8, 59))
    assert is_open(settings, HOTLINE, shanghai(2026, 3, 2, 9, 0))


def test_hotline_closed_at_six(settings):
    assert is_open(settings, HOTLINE, shanghai(2026, 3, 2, 17, 59, 59))
    assert not is_open(settings, HOTLINE, shanghai(2026, 3, 2, 18, 0))


def test_hotline_closed_at_weekend(settings):
    assert not is_open(settings, HOTLINE, shanghai(2026, 3, 7, 12, 0))
    assert not is_open(settings, HOTLINE, shanghai(2026, 3, 8, 12, 0))


def test_always_open_at_night_and_on_holidays(settings):
    card = hotline(settings, "always", shanghai(2026, 10, 1, 3, 0), ["2026-10-01"])

    assert card.is_open
    assert card.opens_next is None


def test_window_crossing_midnight(settings):
    assert not is_open(settings, FRIDAY_NIGHTS, shanghai(2026, 3, 6, 21, 59))
    assert is_open(settings, FRIDAY_NIGHTS, shanghai(2026, 3, 6, 22, 0))
    assert is_open(settings, FRIDAY_NIGHTS, shanghai(2026, 3, 7, 1, 59))
    assert not is_open(settings, FRIDAY_NIGHTS, shanghai(2026, 3, 7, 2, 0))
    assert not is_open(settings, FRIDAY_NIGHTS, shanghai(2026, 3, 6, 1, 0))
    assert not is_open(settings, FRIDAY_NIGHTS, shanghai(2026, 3, 7, 23, 0))


def test_window_closing_at_midnight(settings):
    late = [{"days": [0], "open": "20:00", "close": "24:00"}]

    assert is_open(settings, late, shanghai(2026, 3, 2, 23, 59))
    assert not is_open(settings, late, shanghai(2026, 3, 3, 0, 0))


def test_closed_all_day_on_a_holiday(settings):
    assert not is_open(settings, HOTLINE, shanghai(2026, 10, 1, 10, 0), ["2026-10-01"])
    assert is_open(settings, HOTLINE, shanghai(2026, 10, 1, 10, 0), [date(2026, 10, 2)])


def test_overnight_window_does_not_open_on_a_holiday(settings):
    assert not is_open(settings, FRIDAY_NIGHTS, shanghai(2026, 3, 6, 23, 0), ["2026-03-06"])
    assert not is_open(settings, FRIDAY_NIGHTS, shanghai(2026, 3, 7, 1, 0), ["2026-03-06"])
    assert not is_open(settings, FRIDAY_NIGHTS, shanghai(2026, 3, 7, 1, 0), ["2026-03-07"])


def test_next_opening_friday_evening_is_monday_nine(settings):
    assert opens_next(settings, HOTLINE, shanghai(2026, 3, 6, 18, 30)) == shanghai(2026, 3, 9, 9, 0)


def test_next_opening_early_morning_is_the_same_day(settings):
    assert opens_next(settings, HOTLINE, shanghai(2026, 3, 2, 7, 0)) == shanghai(2026, 3, 2, 9, 0)


def test_next_opening_none_when_open_or_always_open(settings):
    assert opens_next(settings, HOTLINE, shanghai(2026, 3, 2, 10, 0)) is None
    assert opens_next(settings, "always", shanghai(2026, 3, 7, 3, 0)) is None


def test_next_opening_skips_holidays(settings):
    holidays = ["2026-10-01", "2026-10-02"]

    assert opens_next(settings, HOTLINE, shanghai(2026, 9, 30, 19, 0), holidays) == shanghai(
        2026, 10, 5, 9, 0
    )


def test_next_opening_of_window_crossing_midnight(settings):
    assert opens_next(settings, FRIDAY_NIGHTS, shanghai(2026, 3, 7, 2, 0)) == shanghai(
        2026, 3, 13, 22, 0
    )


def test_next_opening_is_in_the_support_time_zone(settings):
    opening = opens_next(settings, HOTLINE, datetime(2026, 3, 6, 12, 0, tzinfo=UTC))

    assert opening == shanghai(2026, 3, 9, 9, 0)
    assert opening.tzinfo == SHANGHAI


def test_next_opening_in_a_daylight_saving_gap_is_when_the_clock_jumps(settings):
    # 02:30 does not exist on 8 March 2026 in New York: the window opens at the jump, 03:00
    # EDT, as the SLA clocks count it (common.business_hours).
    settings.SUPPORT_TIME_ZONE = "America/New_York"
    early = [{"days": [6], "open": "02:30", "close": "05:00"}]
    saturday = datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK)

    opening = opens_next(settings, early, saturday)

    assert opening == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert (opening.hour, opening.minute) == (3, 0)


def test_next_opening_none_when_holidays_never_end(settings):
    years = [date(2026, 3, 2) + timedelta(days=day) for day in range(11 * 366)]

    card = hotline(settings, HOTLINE, shanghai(2026, 3, 2, 10, 0), years)

    assert not card.is_open
    assert card.opens_next is None


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ([{"days": [0], "open": "9am", "close": "18:00"}], "HH:MM"),
        ([{"days": [0], "open": "09:00", "close": "25:00"}], "HH:MM"),
        ([{"days": [0], "open": "24:00", "close": "02:00"}], "HH:MM"),
        ([{"days": [7], "open": "09:00", "close": "18:00"}], "out of range"),
        ([{"days": [-1], "open": "09:00", "close": "18:00"}], "out of range"),
        ([{"days": [], "open": "09:00", "close": "18:00"}], "non-empty list"),
        ([{"days": [0], "open": "09:00", "close": "09:00"}], "both '09:00'"),
        ([{"days": [0], "opens": "09:00", "close": "18:00"}], "exactly the keys"),
        ("sometimes", "always"),
        ([], "always"),
    ],
)
def test_invalid_hours_are_refused(settings, hours, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        is_open(settings, hours, shanghai(2026, 3, 2, 10, 0))


def test_invalid_holiday_is_refused(settings):
    with pytest.raises(ImproperlyConfigured, match="SUPPORT_HOLIDAYS: '2026-13-01'"):
        is_open(settings, HOTLINE, shanghai(2026, 3, 2, 10, 0), ["2026-13-01"])


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        ([{"code": "pigeon", "hours": "always", "response_minutes": 5}], "unknown channel code"),
        ([{"code": "hotline", "hours": "always"}], "missing response_minutes"),
        ([{"code": "hotline", "hours": "always", "response_minutes": 0}], "positive"),
        (
            [{"code": "hotline", "hours": "always", "response_minutes": 5, "phone": "1"}],
            "unknown keys phone",
        ),
        (
            [
                {"code": "hotline", "hours": "always", "response_minutes": 5},
                {"code": "hotline", "hours": "always", "response_minutes": 5},
            ],
            "hotline listed twice",
        ),
        (
            [{"code": "hotline", "hours": [{"days": [8], "open": "09:00", "close": "18:00"}]}],
            "missing response_minutes",
        ),
    ],
)
def test_channel_guide_rejects_invalid_channels(settings, channels, message):
    settings.SUPPORT_CHANNELS = channels

    with pytest.raises(ImproperlyConfigured, match=message):
        channel_guide(now=shanghai(2026, 3, 2, 10, 0))


def test_channel_guide_names_the_channel_of_a_bad_window(settings):
    settings.SUPPORT_CHANNELS = [
        {
            "code": "hotline",
            "hours": [{"days": [0], "open": "09:00", "close": "18:60"}],
            "response_minutes": 5,
        }
    ]

    with pytest.raises(ImproperlyConfigured, match=r"SUPPORT_CHANNELS\[0\] \(hotline\) hours"):
        channel_guide(now=shanghai(2026, 3, 2, 10, 0))


@pytest.mark.parametrize(("hours", "message"), cases(BAD_HOURS))
def test_channel_guide_refuses_bad_hours_naming_the_channel(settings, hours, message):
    settings.SUPPORT_CHANNELS = [
        {"code": "live_chat", "hours": "always", "response_minutes": 3},
        {"code": "hotline", "hours": hours, "response_minutes": 5},
    ]

    with pytest.raises(
        ImproperlyConfigured, match=message_at("SUPPORT_CHANNELS[1] (hotline) hours", message)
    ):
        channel_guide(now=shanghai(2026, 3, 2, 10, 0))


@pytest.mark.parametrize(("holidays", "message"), cases(BAD_HOLIDAYS))
def test_channel_guide_refuses_bad_holidays(settings, holidays, message):
    settings.SUPPORT_HOLIDAYS = holidays

    with pytest.raises(ImproperlyConfigured, match=message_at("SUPPORT_HOLIDAYS", message)):
        channel_guide(now=shanghai(2026, 3, 2, 10, 0))


@pytest.mark.parametrize(("name", "message"), cases(BAD_TIME_ZONES))
def test_channel_guide_refuses_bad_time_zones(settings, name, message):
    settings.SUPPORT_TIME_ZONE = name

    with pytest.raises(ImproperlyConfigured, match=message_at("SUPPORT_TIME_ZONE", message)):
        channel_guide(now=shanghai(2026, 3, 2, 10, 0))


def test_the_shipped_channel_settings_parse(settings):
    project = importlib.import_module("wallet_support.settings")
    settings.SUPPORT_TIME_ZONE = project.SUPPORT_TIME_ZONE
    settings.SUPPORT_HOLIDAYS = project.SUPPORT_HOLIDAYS
    del settings.SUPPORT_CHANNELS  # Unset, as the settings leave it without SUPPORT_CHANNELS_JSON.

    channels = support_channels()

    assert [channel.code for channel in channels] == [c["code"] for c in DEFAULT_CHANNELS]
    assert support_time_zone().key == project.SUPPORT_TIME_ZONE
    assert support_holidays() == {date.fromisoformat(day) for day in project.SUPPORT_HOLIDAYS}
    assert channels[2] == Channel(
        "hotline",
        (Window(frozenset({0, 1, 2, 3, 4}), time(9), time(18)),),
        5,
        None,
    )


def test_the_env_example_channel_settings_parse(settings):
    env_example = (Path(settings.BASE_DIR) / ".env.example").read_text()
    values = dict(re.findall(r"^(SUPPORT_[A-Z_]+)=(.*)$", env_example, re.MULTILINE))
    # The commented example of SUPPORT_CHANNELS_JSON, its "..." standing for more channels.
    example = re.search(r"^# (\[\{.*?), \.\.\.\]$", env_example, re.MULTILINE | re.DOTALL)
    settings.SUPPORT_TIME_ZONE = values["SUPPORT_TIME_ZONE"]
    settings.SUPPORT_HOLIDAYS = values["SUPPORT_HOLIDAYS"].split(",")
    settings.SUPPORT_CHANNELS = json.loads(re.sub(r"\n#\s*", " ", example[1]) + "]")

    (hotline,) = channel_guide(now=shanghai(2026, 10, 1, 10, 0))

    assert not hotline.is_open
    assert hotline.opens_next == shanghai(2026, 10, 5, 9, 0)


def test_channel_guide_rejects_unknown_time_zone(settings):
    settings.SUPPORT_TIME_ZONE = "Mars/Olympus_Mons"

    with pytest.raises(ImproperlyConfigured, match="SUPPORT_TIME_ZONE"):
        channel_guide(now=shanghai(2026, 3, 2, 10, 0))


def test_channel_guide_rejects_naive_now():
    with pytest.raises(ValueError, match="aware"):
        channel_guide(now=datetime(2026, 3, 2, 10, 0))  # noqa: DTZ001


def test_channel_guide_converts_utc_to_support_time_zone():
    monday_morning_in_shanghai = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)

    hotline = by_code(channel_guide(now=monday_morning_in_shanghai))["hotline"]

    assert hotline.is_open
    assert hotline.opens_next is None


def test_channel_guide_accepts_any_aware_now():
    sunday_night_in_new_york = datetime(2026, 3, 1, 20, 30, tzinfo=NEW_YORK)

    assert by_code(channel_guide(now=sunday_night_in_new_york))["hotline"].is_open


def test_channel_guide_hotline_closed_at_weekend_opens_monday():
    statuses = by_code(channel_guide(now=shanghai(2026, 3, 7, 12, 0)))

    assert not statuses["hotline"].is_open
    assert statuses["hotline"].opens_next == shanghai(2026, 3, 9, 9, 0)
    assert statuses["hotline"].opens_next.tzinfo == SHANGHAI
    assert statuses["live_chat"].is_open
    assert statuses["contact_form"].is_open


def test_channel_guide_contact_form_always_open():
    contact = by_code(channel_guide(now=shanghai(2026, 3, 8, 3, 0)))["contact_form"]

    assert contact.is_open
    assert contact.opens_next is None


def test_channel_guide_reads_holidays_from_settings(settings):
    settings.SUPPORT_HOLIDAYS = ["2026-10-01"]

    statuses = by_code(channel_guide(now=shanghai(2026, 10, 1, 12, 0)))

    assert not statuses["hotline"].is_open
    assert not statuses["live_chat"].is_open
    assert statuses["live_chat"].opens_next == shanghai(2026, 10, 2, 8, 0)
    assert statuses["contact_form"].is_open


@pytest.mark.parametrize("holiday", ["2026-03-06", "2026-03-07"], ids=["friday", "saturday"])
def test_channel_guide_and_the_sla_clock_agree_on_a_holiday(settings, holiday):
    # The guide's hours and a team's SLA hours are one engine: a desk closed on a holiday is
    # closed in both, at every moment of the weekend around it.
    settings.SUPPORT_CHANNELS = [{"code": "hotline", "hours": FRIDAY_NIGHTS, "response_minutes": 1}]
    settings.SUPPORT_HOLIDAYS = [holiday]
    team = BusinessCalendar.from_config(
        time_zone="Asia/Shanghai", hours=FRIDAY_NIGHTS, holidays=[holiday]
    )
    moments = [shanghai(2026, 3, 6) + timedelta(minutes=30 * step) for step in range(4 * 24)]

    guide = [channel_guide(now=moment)[0].is_open for moment in moments]

    assert guide == [is_business_time(moment, team) for moment in moments]
    # Open half-hours: none when the shift starts on the holiday, Friday 22:00-24:00 otherwise.
    assert sum(guide) == {"2026-03-06": 0, "2026-03-07": 4}[holiday]


def test_channel_guide_holiday_closes_the_tail_of_the_evening_before(settings):
    settings.SUPPORT_CHANNELS = [{"code": "hotline", "hours": FRIDAY_NIGHTS, "response_minutes": 1}]
    settings.SUPPORT_HOLIDAYS = ["2026-03-07"]

    (friday_night,) = channel_guide(now=shanghai(2026, 3, 6, 23, 30))
    (saturday_early,) = channel_guide(now=shanghai(2026, 3, 7, 1, 0))

    assert friday_night.is_open
    assert not saturday_early.is_open
    assert saturday_early.opens_next == shanghai(2026, 3, 13, 22, 0)


def test_channel_guide_reads_channels_from_settings(settings):
    settings.SUPPORT_CHANNELS = [
        {"code": "hotline", "hours": FRIDAY_NIGHTS, "response_minutes": 1, "url_name": None}
    ]

    (hotline,) = channel_guide(now=shanghai(2026, 3, 7, 1, 0))

    assert hotline.code == "hotline"
    assert hotline.is_open


def test_channel_guide_uses_the_current_time_by_default():
    with time_machine.travel(shanghai(2026, 3, 8, 12, 0), tick=False):
        statuses = by_code(channel_guide())

    assert not statuses["hotline"].is_open
    assert statuses["hotline"].opens_next == shanghai(2026, 3, 9, 9, 0)


def test_channel_guide_lists_channels_in_configured_order():
    codes = [status.code for status in channel_guide(now=shanghai(2026, 3, 2, 10, 0))]

    assert codes == ["live_chat", "contact_form", "hotline", "in_app", "social_media"]


@pytest.mark.usefixtures("english")
def test_channel_guide_english_texts():
    statuses = by_code(channel_guide(now=shanghai(2026, 3, 2, 10, 0)))

    assert statuses["live_chat"].name == "Live chat"
    assert statuses["live_chat"].suits.startswith("Urgent problems")
    assert statuses["live_chat"].hours_text == "Every day 08:00–22:00 (UTC+8)"
    assert statuses["hotline"].hours_text == "Mon–Fri 09:00–18:00 (UTC+8)"
    assert statuses["contact_form"].hours_text == "Always open"
    assert statuses["live_chat"].response_text == "about 3 minutes"
    assert statuses["social_media"].response_text == "about 2 hours"
    assert statuses["contact_form"].response_text == "within 24 hours"


@pytest.mark.usefixtures("english")
def test_channel_guide_hours_text_shows_several_windows(settings):
    settings.SUPPORT_TIME_ZONE = "Asia/Kolkata"
    settings.SUPPORT_CHANNELS = [
        {
            "code": "hotline",
            "hours": [
                {"days": [0, 2, 4], "open": "09:00", "close": "12:00"},
                {"days": [5, 6, 0], "open": "22:00", "close": "02:00"},
            ],
            "response_minutes": 5,
        }
    ]

    (hotline,) = channel_guide(now=shanghai(2026, 3, 2, 10, 0))

    assert hotline.hours_text == "Mon, Wed, Fri 09:00–12:00; Sat–Mon 22:00–02:00 (UTC+5:30)"


@pytest.mark.usefixtures("english")
def test_channel_guide_hours_text_shows_a_midnight_close_as_written(settings):
    settings.SUPPORT_CHANNELS = [
        {
            "code": "hotline",
            "hours": [
                {"days": [0], "open": "20:00", "close": "24:00"},
                {"days": [1], "open": "20:00", "close": "00:00"},
                {"days": [2], "open": "00:00", "close": "24:00"},
            ],
            "response_minutes": 5,
        }
    ]

    (hotline,) = channel_guide(now=shanghai(2026, 3, 2, 10, 0))

    assert hotline.hours_text == "Mon 20:00–24:00; Tue 20:00–00:00; Wed 00:00–24:00 (UTC+8)"


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (1, "about 1 minute"),
        (3, "about 3 minutes"),
        (60, "about 1 hour"),
        (120, "about 2 hours"),
        (24 * 60, "within 24 hours"),
        (3 * 24 * 60, "within 3 days"),
    ],
)
def test_response_text_plural_forms(minutes, text):
    assert response_text(minutes) == text


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("days", "text"),
    [
        ({0, 1, 2, 3, 4, 5, 6}, "Every day"),
        ({0, 1, 2, 3, 4}, "Mon–Fri"),
        ({5, 6}, "Sat–Sun"),
        ({3}, "Thu"),
        ({6, 0, 1, 3}, "Sun–Tue, Thu"),
    ],
)
def test_days_text_groups_consecutive_days(days, text):
    assert days_text(frozenset(days)) == text


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), "UTC"),
        (datetime(2026, 1, 1, tzinfo=SHANGHAI), "UTC+8"),
        (datetime(2026, 1, 1, tzinfo=NEW_YORK), "UTC-5"),
        (datetime(2026, 7, 1, tzinfo=NEW_YORK), "UTC-4"),
        (datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Kathmandu")), "UTC+5:45"),
    ],
)
def test_utc_offset_text_formats_offsets(moment, text):
    assert utc_offset_text(moment) == text


def test_channel_guide_in_chinese_gives_texts():
    with translation.override("zh-hans"):
        statuses = channel_guide(now=shanghai(2026, 3, 7, 12, 0))
        html = render_to_string("faq/includes/channel_guide.html", {"channels": statuses})

    assert len(statuses) == len(DEFAULT_CHANNELS)
    assert all(status.name and status.hours_text and status.response_text for status in statuses)
    assert "UTC+8" in by_code(statuses)["hotline"].hours_text
    assert 'role="list"' in html


def test_channel_guide_url_none_for_a_missing_route(settings):
    settings.SUPPORT_CHANNELS = [
        {"code": "live_chat", "hours": "always", "response_minutes": 3, "url_name": "no-such"},
        {"code": "hotline", "hours": "always", "response_minutes": 5, "url_name": "home"},
    ]

    live_chat, hotline = channel_guide(now=shanghai(2026, 3, 2, 10, 0))

    assert live_chat.url is None
    assert hotline.url == reverse("home")


@pytest.mark.usefixtures("english")
def test_channel_guide_template_shows_open_and_closed_channels(settings):
    settings.SUPPORT_CHANNELS = [
        {"code": "live_chat", "hours": "always", "response_minutes": 3, "url_name": "home"},
        {"code": "hotline", "hours": HOTLINE, "response_minutes": 5, "url_name": None},
    ]
    statuses = channel_guide(now=shanghai(2026, 3, 6, 18, 30))

    html = render_to_string(
        "faq/includes/channel_guide.html", {"channels": statuses, "CHAT_AVAILABLE": True}
    )

    assert '<section class="section" aria-labelledby="channel-guide-title">' in html
    assert '<h2 class="section__title" id="channel-guide-title">' in html
    assert '<ul class="tiles" role="list">' in html
    assert html.count('<li class="card">') == 2
    assert "availability--open" in html
    assert "Open now" in html
    assert "Closed" in html
    assert "Opens Mon 09:00" in html
    assert "Typical response: about 3 minutes" in html
    assert f'href="{reverse("home")}"' in html
    assert "Start a chat" in html
    assert "style=" not in html
    assert "<script" not in html


@pytest.mark.usefixtures("english")
def test_channel_guide_says_no_agent_is_free_when_chat_is_open_but_nobody_is_there(settings):
    settings.SUPPORT_CHANNELS = [
        {"code": "live_chat", "hours": "always", "response_minutes": 3, "url_name": "home"},
    ]
    statuses = channel_guide(now=shanghai(2026, 3, 6, 18, 30))

    html = render_to_string(
        "faq/includes/channel_guide.html", {"channels": statuses, "CHAT_AVAILABLE": False}
    )

    assert "No agent free" in html
    assert "Open now" not in html
    assert f'href="{reverse("tickets:contact")}"' in html
    assert "Start a chat" not in html


def test_channel_guide_template_shows_opening_in_support_time_zone(settings):
    settings.TIME_ZONE = "UTC"
    statuses = channel_guide(now=shanghai(2026, 3, 6, 18, 30))

    with translation.override("en"):
        html = render_to_string("faq/includes/channel_guide.html", {"channels": statuses})

    assert "Opens Mon 09:00" in html


def test_channel_guide_template_empty_renders_nothing():
    assert not render_to_string("faq/includes/channel_guide.html", {"channels": []}).strip()
