"""Business-hours arithmetic for response-time targets: weekly hours, holidays, zones, DST."""

import contextlib
import dataclasses
import timeit
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given, settings
from hypothesis import strategies as st

from common.business_hours import (
    MAX_SEARCH_DAYS,
    BusinessCalendar,
    Window,
    add_business_time,
    business_time_between,
    is_business_time,
    next_business_moment,
    parse_holidays,
    parse_hours,
    parse_time_zone,
    parse_window,
)
from tests.support.business_hours import (
    BAD_HOLIDAYS,
    BAD_HOURS,
    BAD_TIME_ZONES,
    cases,
    message_at,
    window,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = [0, 1, 2, 3, 4]
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
# China's National Day holiday, Wednesday 1 to Wednesday 8 October 2025.
NATIONAL_DAY = [f"2025-10-0{day}" for day in range(1, 9)]


def office(
    zone: str = "Asia/Shanghai",
    opens: str = "09:00",
    closes: str = "18:00",
    days: list[int] = WEEKDAYS,
    holidays: tuple[str, ...] = (),
) -> BusinessCalendar:
    """A team with one window of opening hours."""
    return BusinessCalendar.from_config(
        time_zone=zone, hours=[{"days": days, "open": opens, "close": closes}], holidays=holidays
    )


def at(zone: ZoneInfo, *fields: int) -> datetime:
    """An aware datetime on the wall clock of `zone` (first occurrence if repeated)."""
    return datetime(*fields, tzinfo=zone)


def sh(*fields: int) -> datetime:
    """An aware datetime on the Shanghai wall clock."""
    return at(SHANGHAI, *fields)


SHANGHAI_OFFICE = office()
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


# Weekly hours ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        pytest.param(sh(2025, 3, 10, 10), 2 * HOUR, sh(2025, 3, 10, 12), id="within_a_day"),
        pytest.param(sh(2025, 3, 10, 9), 9 * HOUR, sh(2025, 3, 10, 18), id="ends_at_closing"),
        pytest.param(sh(2025, 3, 10, 7), HOUR, sh(2025, 3, 10, 10), id="before_opening"),
        pytest.param(sh(2025, 3, 10, 17), 2 * HOUR, sh(2025, 3, 11, 10), id="across_a_night"),
        pytest.param(sh(2025, 3, 10, 20), HOUR, sh(2025, 3, 11, 10), id="filed_at_night"),
        pytest.param(
            datetime(2025, 3, 7, 11, tzinfo=UTC),
            4 * HOUR,
            sh(2025, 3, 10, 13),
            id="friday_evening_to_monday",
        ),
        pytest.param(
            sh(2025, 3, 7, 16), 4 * HOUR, sh(2025, 3, 10, 11), id="friday_afternoon_across_weekend"
        ),
        pytest.param(sh(2025, 3, 8, 12), HOUR, sh(2025, 3, 10, 10), id="filed_on_saturday"),
        pytest.param(sh(2025, 3, 9, 23, 59), HOUR, sh(2025, 3, 10, 10), id="filed_on_sunday_night"),
        pytest.param(sh(2025, 3, 12, 15), 45 * HOUR, sh(2025, 3, 19, 15), id="one_working_week"),
        pytest.param(
            sh(2025, 3, 10, 9),
            timedelta(minutes=90, seconds=7),
            sh(2025, 3, 10, 10, 30, 7),
            id="seconds_kept",
        ),
        pytest.param(
            sh(2025, 3, 10, 9), timedelta(days=30), sh(2025, 6, 27, 18), id="thirty_day_target"
        ),
    ],
)
def test_add_business_time_weekday_hours(start, duration, due):
    assert add_business_time(start, duration, SHANGHAI_OFFICE) == due


def test_add_business_time_returns_utc_whatever_the_input_zone():
    due = add_business_time(at(NEW_YORK, 2025, 3, 7, 6), 4 * HOUR, SHANGHAI_OFFICE)

    assert due.tzinfo is UTC
    assert due == datetime(2025, 3, 10, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "duration", "holidays", "due"),
    [
        pytest.param(
            sh(2025, 3, 11, 17), 2 * HOUR, ("2025-03-12",), sh(2025, 3, 13, 10), id="single"
        ),
        pytest.param(
            sh(2025, 3, 11, 17),
            2 * HOUR,
            ("2025-03-12", "2025-03-13"),
            sh(2025, 3, 14, 10),
            id="consecutive",
        ),
        pytest.param(
            sh(2025, 9, 30, 17),
            2 * HOUR,
            tuple(NATIONAL_DAY),
            sh(2025, 10, 9, 10),
            id="national_day_week",
        ),
        pytest.param(
            sh(2025, 3, 7, 17),
            2 * HOUR,
            ("2025-03-10",),
            sh(2025, 3, 11, 10),
            id="monday_after_weekend",
        ),
        pytest.param(
            sh(2025, 3, 12, 10),
            HOUR,
            ("2025-03-12",),
            sh(2025, 3, 13, 10),
            id="filed_on_the_holiday",
        ),
        pytest.param(
            sh(2025, 3, 11, 17),
            2 * HOUR,
            ("2025-03-15",),
            sh(2025, 3, 12, 10),
            id="on_a_weekend_changes_nothing",
        ),
    ],
)
def test_add_business_time_skips_holidays(start, duration, holidays, due):
    assert add_business_time(start, duration, office(holidays=holidays)) == due


@pytest.mark.parametrize(
    ("zone", "due"),
    [
        pytest.param("Asia/Shanghai", sh(2025, 3, 10, 16), id="shanghai_mid_afternoon"),
        pytest.param("Europe/Berlin", at(BERLIN, 2025, 3, 10, 11), id="berlin_before_opening"),
        pytest.param("America/New_York", at(NEW_YORK, 2025, 3, 10, 11), id="new_york_at_night"),
        pytest.param("UTC", datetime(2025, 3, 10, 11, tzinfo=UTC), id="utc_before_opening"),
    ],
)
def test_add_business_time_counts_in_the_team_time_zone(zone, due):
    start = datetime(2025, 3, 10, 6, tzinfo=UTC)

    assert add_business_time(start, 2 * HOUR, office(zone=zone)) == due


# Boundaries -----------------------------------------------------------------------------------


def test_add_business_time_from_exact_opening():
    opening = sh(2025, 3, 10, 9)

    assert is_business_time(opening, SHANGHAI_OFFICE)
    assert next_business_moment(opening, SHANGHAI_OFFICE) == opening
    assert add_business_time(opening, timedelta(0), SHANGHAI_OFFICE) == opening
    assert add_business_time(opening, HOUR, SHANGHAI_OFFICE) == sh(2025, 3, 10, 10)


def test_add_business_time_from_exact_closing():
    closing = sh(2025, 3, 10, 18)

    assert not is_business_time(closing, SHANGHAI_OFFICE)
    assert next_business_moment(closing, SHANGHAI_OFFICE) == sh(2025, 3, 11, 9)
    assert add_business_time(closing, timedelta(0), SHANGHAI_OFFICE) == sh(2025, 3, 11, 9)
    assert add_business_time(closing, HOUR, SHANGHAI_OFFICE) == sh(2025, 3, 11, 10)


@pytest.mark.parametrize(
    ("start", "end", "elapsed"),
    [
        pytest.param(sh(2025, 3, 10, 9), sh(2025, 3, 10, 18), 9 * HOUR, id="opening_to_closing"),
        pytest.param(sh(2025, 3, 10, 10), sh(2025, 3, 10, 11, 30), 1.5 * HOUR, id="within_a_day"),
        pytest.param(sh(2025, 3, 7, 17), sh(2025, 3, 10, 10), 2 * HOUR, id="across_weekend"),
        pytest.param(sh(2025, 3, 8, 9), sh(2025, 3, 9, 18), timedelta(0), id="weekend_only"),
        pytest.param(sh(2025, 3, 10, 0), sh(2025, 3, 17, 0), 45 * HOUR, id="whole_week"),
        pytest.param(sh(2025, 3, 10, 12), sh(2025, 3, 10, 12), timedelta(0), id="same_moment"),
        pytest.param(sh(2025, 3, 11, 12), sh(2025, 3, 10, 12), timedelta(0), id="end_before_start"),
    ],
)
def test_business_time_between_weekday_hours(start, end, elapsed):
    assert business_time_between(start, end, SHANGHAI_OFFICE) == elapsed


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(sh(2025, 3, 10, 8, 59, 59), False, id="just_before_opening"),
        pytest.param(sh(2025, 3, 10, 9), True, id="at_opening"),
        pytest.param(sh(2025, 3, 10, 17, 59, 59), True, id="just_before_closing"),
        pytest.param(sh(2025, 3, 10, 18), False, id="at_closing"),
        pytest.param(sh(2025, 3, 8, 12), False, id="saturday"),
        pytest.param(datetime(2025, 3, 10, 2, tzinfo=UTC), True, id="given_in_utc"),
    ],
)
def test_is_business_time_weekday_hours(moment, expected):
    assert is_business_time(moment, SHANGHAI_OFFICE) is expected


# 24/7 -----------------------------------------------------------------------------------------


def test_add_business_time_always_open_is_plain_elapsed_time():
    always = BusinessCalendar.from_config(time_zone="America/New_York", hours="always")
    start = at(NEW_YORK, 2025, 3, 8, 22)  # 03:00 UTC
    # Across the spring-forward night: 30 elapsed hours, 31 on the wall clock.
    due = datetime(2025, 3, 10, 9, tzinfo=UTC)

    assert always.hours is None
    assert add_business_time(start, 30 * HOUR, always) == due
    assert due == at(NEW_YORK, 2025, 3, 10, 5)
    assert business_time_between(start, due, always) == 30 * HOUR
    assert is_business_time(at(NEW_YORK, 2025, 3, 9, 2, 30), always)
    assert next_business_moment(start, always) == start


def test_add_business_time_always_open_still_closes_on_holidays():
    always = BusinessCalendar.from_config(
        time_zone="Asia/Shanghai", hours="always", holidays=["2025-10-01", "2025-10-02"]
    )
    start = sh(2025, 9, 30, 20)

    assert add_business_time(start, 6 * HOUR, always) == sh(2025, 10, 3, 2)
    assert not is_business_time(sh(2025, 10, 2, 12), always)
    assert next_business_moment(sh(2025, 10, 1), always) == sh(2025, 10, 3)
    assert business_time_between(start, sh(2025, 10, 4), always) == 28 * HOUR


def test_a_round_the_clock_calendar_reads_days_near_the_answer_only(monkeypatch):
    """Open 24/7 but for a holiday in the past: one long business interval. The home page's
    promises and every SLA due time add an hour to it; before, that read ten years of days."""
    from common import business_hours

    always = BusinessCalendar.from_config(
        time_zone="Asia/Shanghai", hours="always", holidays=["2025-10-01"]
    )
    calls = 0
    real = business_hours._wall_to_utc

    def counted(local, zone):
        nonlocal calls
        calls += 1
        return real(local, zone)

    monkeypatch.setattr(business_hours, "_wall_to_utc", counted)
    start = sh(2026, 12, 2, 10)

    assert add_business_time(start, HOUR, always) == sh(2026, 12, 2, 11)
    assert add_business_time(start, 30 * 24 * HOUR, always) == sh(2027, 1, 1, 10)
    assert business_time_between(sh(2025, 9, 30), sh(2025, 10, 3), always) == 48 * HOUR
    assert calls < 200


# Windows past midnight ------------------------------------------------------------------------


def late_shift(holidays: tuple[str, ...] = ()) -> BusinessCalendar:
    """Open only Friday 22:00 to Saturday 02:00, Berlin time."""
    return office(zone="Europe/Berlin", opens="22:00", closes="02:00", days=[4], holidays=holidays)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(at(BERLIN, 2025, 1, 10, 21, 59), False, id="friday_before_opening"),
        pytest.param(at(BERLIN, 2025, 1, 10, 22), True, id="friday_at_opening"),
        pytest.param(at(BERLIN, 2025, 1, 11, 1, 59), True, id="saturday_tail"),
        pytest.param(at(BERLIN, 2025, 1, 11, 2), False, id="saturday_at_closing"),
        pytest.param(at(BERLIN, 2025, 1, 10, 1), False, id="friday_early_morning"),
    ],
)
def test_is_business_time_window_past_midnight_belongs_to_its_opening_day(moment, expected):
    assert is_business_time(moment, late_shift()) is expected


def test_add_business_time_window_past_midnight():
    start = at(BERLIN, 2025, 1, 10, 23)

    assert add_business_time(start, 3 * HOUR, late_shift()) == at(BERLIN, 2025, 1, 11, 2)
    assert add_business_time(start, 4 * HOUR, late_shift()) == at(BERLIN, 2025, 1, 17, 23)
    assert business_time_between(at(BERLIN, 2025, 1, 6), at(BERLIN, 2025, 1, 20), late_shift()) == (
        8 * HOUR
    )


def test_is_business_time_holiday_on_opening_day_removes_the_whole_window():
    calendar = late_shift(holidays=("2025-01-10",))

    assert not is_business_time(at(BERLIN, 2025, 1, 10, 23), calendar)
    assert not is_business_time(at(BERLIN, 2025, 1, 11, 1), calendar)
    assert next_business_moment(at(BERLIN, 2025, 1, 11, 1), calendar) == at(BERLIN, 2025, 1, 17, 22)


def test_is_business_time_holiday_after_midnight_closes_the_previous_window_at_midnight():
    # The holiday is the whole Saturday: the Friday shift stops at midnight, as the channel
    # guide says (faq.channels), and no SLA clock runs on the holiday.
    calendar = late_shift(holidays=("2025-01-11",))

    assert is_business_time(at(BERLIN, 2025, 1, 10, 23, 59), calendar)
    assert not is_business_time(at(BERLIN, 2025, 1, 11, 0), calendar)
    assert not is_business_time(at(BERLIN, 2025, 1, 11, 1), calendar)
    assert business_time_between(at(BERLIN, 2025, 1, 10), at(BERLIN, 2025, 1, 12), calendar) == (
        2 * HOUR
    )
    assert add_business_time(at(BERLIN, 2025, 1, 10, 23), 90 * MINUTE, calendar) == at(
        BERLIN, 2025, 1, 17, 22, 30
    )
    assert next_business_moment(at(BERLIN, 2025, 1, 11, 1), calendar) == at(BERLIN, 2025, 1, 17, 22)


def test_a_whole_day_window_before_a_holiday_is_unchanged():
    calendar = office(opens="00:00", closes="24:00", days=EVERY_DAY, holidays=("2025-03-11",))

    assert is_business_time(sh(2025, 3, 10, 23, 59), calendar)
    assert not is_business_time(sh(2025, 3, 11, 0), calendar)
    assert next_business_moment(sh(2025, 3, 11, 12), calendar) == sh(2025, 3, 12)


def test_add_business_time_window_closing_at_24_00():
    evenings = office(opens="18:00", closes="24:00")

    assert evenings.hours[0].closes == time(0, 0)
    assert add_business_time(sh(2025, 3, 10, 23), 2 * HOUR, evenings) == sh(2025, 3, 11, 19)
    assert not is_business_time(sh(2025, 3, 11, 0), evenings)


def test_business_time_between_overlapping_windows_count_once():
    calendar = BusinessCalendar.from_config(
        time_zone="Asia/Shanghai",
        hours=[
            {"days": [0], "open": "09:00", "close": "18:00"},
            {"days": [0], "open": "12:00", "close": "20:00"},
            {"days": [6], "open": "20:00", "close": "10:00"},
        ],
    )

    # Sunday 20:00 to Monday 10:00, then Monday to 20:00 without a gap.
    assert business_time_between(sh(2025, 3, 9), sh(2025, 3, 11), calendar) == 24 * HOUR
    assert add_business_time(sh(2025, 3, 9, 19), 14 * HOUR, calendar) == sh(2025, 3, 10, 10)


# Daylight saving time -------------------------------------------------------------------------

DST_DAYS = [
    pytest.param("America/New_York", date(2025, 3, 9), id="new_york_spring_forward"),
    pytest.param("America/New_York", date(2025, 11, 2), id="new_york_fall_back"),
    pytest.param("Europe/Berlin", date(2025, 3, 30), id="berlin_spring_forward"),
    pytest.param("Europe/Berlin", date(2025, 10, 26), id="berlin_fall_back"),
]


def local_midnight(zone: str, day: date) -> datetime:
    """The start of a local date in `zone`."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(("zone", "day"), DST_DAYS)
def test_business_time_between_nine_to_five_is_eight_hours_on_a_dst_day(zone, day):
    calendar = office(zone=zone, opens="09:00", closes="17:00", days=EVERY_DAY)
    start = local_midnight(zone, day)

    assert business_time_between(start, start + 2 * timedelta(days=1), calendar) == 16 * HOUR
    assert business_time_between(start, local_midnight(zone, day + timedelta(1)), calendar) == (
        8 * HOUR
    )


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        pytest.param("America/New_York", date(2025, 3, 9), 23, id="new_york_spring_forward"),
        pytest.param("America/New_York", date(2025, 11, 2), 25, id="new_york_fall_back"),
        pytest.param("Europe/Berlin", date(2025, 3, 30), 23, id="berlin_spring_forward"),
        pytest.param("Europe/Berlin", date(2025, 10, 26), 25, id="berlin_fall_back"),
        pytest.param("Europe/Berlin", date(2025, 10, 27), 24, id="berlin_ordinary_monday"),
    ],
)
def test_business_time_between_whole_day_window_follows_the_wall_clock(zone, day, hours):
    calendar = office(zone=zone, opens="00:00", closes="24:00", days=EVERY_DAY)
    start, end = local_midnight(zone, day), local_midnight(zone, day + timedelta(1))

    assert business_time_between(start, end, calendar) == hours * HOUR
    assert add_business_time(start, hours * HOUR, calendar) == end


@pytest.mark.parametrize(("zone", "day"), DST_DAYS)
def test_add_business_time_across_a_dst_night_keeps_wall_clock_hours(zone, day):
    calendar = office(zone=zone, opens="09:00", closes="17:00", days=EVERY_DAY)
    saturday_afternoon = datetime.combine(day - timedelta(1), time(16), tzinfo=ZoneInfo(zone))

    due = add_business_time(saturday_afternoon, 2 * HOUR, calendar)

    assert due == datetime.combine(day, time(10), tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("zone", "opens", "day", "first_opening"),
    [
        pytest.param(
            "America/New_York",
            "02:30",
            date(2025, 3, 9),
            datetime(2025, 3, 9, 7, tzinfo=UTC),
            id="new_york_skipped_opens_at_jump",
        ),
        pytest.param(
            "Europe/Berlin",
            "02:30",
            date(2025, 3, 30),
            datetime(2025, 3, 30, 1, tzinfo=UTC),
            id="berlin_skipped_opens_at_jump",
        ),
        pytest.param(
            "America/New_York",
            "01:30",
            date(2025, 11, 2),
            datetime(2025, 11, 2, 5, 30, tzinfo=UTC),
            id="new_york_repeated_opens_first_time",
        ),
        pytest.param(
            "Europe/Berlin",
            "02:30",
            date(2025, 10, 26),
            datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
            id="berlin_repeated_opens_first_time",
        ),
    ],
)
def test_next_business_moment_opening_time_skipped_or_repeated_by_dst(
    zone, opens, day, first_opening
):
    calendar = office(zone=zone, opens=opens, closes="04:00", days=[6])

    assert next_business_moment(local_midnight(zone, day), calendar) == first_opening


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        pytest.param("America/New_York", date(2025, 3, 9), 1.5, id="new_york_spring_forward"),
        pytest.param("America/New_York", date(2025, 11, 2), 3.5, id="new_york_fall_back"),
        pytest.param("Europe/Berlin", date(2025, 3, 30), 1.5, id="berlin_spring_forward"),
        pytest.param("Europe/Berlin", date(2025, 10, 26), 3.5, id="berlin_fall_back"),
    ],
)
def test_business_time_between_window_spanning_the_dst_change(zone, day, hours):
    # 2.5 wall-clock hours, less the skipped hour or plus the repeated one.
    calendar = office(zone=zone, opens="01:30", closes="04:00", days=[6])
    start = local_midnight(zone, day)

    assert business_time_between(start, start + timedelta(days=1), calendar) == hours * HOUR


@pytest.mark.parametrize(
    ("zone", "saturday", "hours"),
    [
        pytest.param("America/New_York", date(2025, 3, 8), 7, id="new_york_spring_forward"),
        pytest.param("America/New_York", date(2025, 11, 1), 9, id="new_york_fall_back"),
        pytest.param("Europe/Berlin", date(2025, 3, 29), 7, id="berlin_spring_forward"),
        pytest.param("Europe/Berlin", date(2025, 10, 25), 9, id="berlin_fall_back"),
    ],
)
def test_business_time_between_night_shift_over_a_dst_change(zone, saturday, hours):
    calendar = office(zone=zone, opens="22:00", closes="06:00", days=[5])
    start = local_midnight(zone, saturday)

    assert business_time_between(start, start + timedelta(days=3), calendar) == hours * HOUR


def test_next_business_moment_window_inside_a_skipped_hour_does_not_open():
    calendar = office(zone="America/New_York", opens="02:00", closes="02:45", days=[6])
    spring_forward = local_midnight("America/New_York", date(2025, 3, 9))

    assert business_time_between(spring_forward, spring_forward + timedelta(1), calendar) == (
        timedelta(0)
    )
    assert next_business_moment(spring_forward, calendar) == at(NEW_YORK, 2025, 3, 16, 2)


# Properties -----------------------------------------------------------------------------------

CALENDARS = [
    office(zone="America/New_York", holidays=("2025-07-04", "2025-12-25", "2025-12-26")),
    office(zone="Asia/Shanghai", holidays=tuple(NATIONAL_DAY)),
    office(zone="Europe/Berlin", opens="22:00", closes="06:00", days=[0, 4, 5]),
    office(zone="Europe/Berlin", opens="00:00", closes="24:00", days=EVERY_DAY),
    office(zone="America/New_York", opens="01:30", closes="02:30", days=EVERY_DAY),
    BusinessCalendar.from_config(
        time_zone="Europe/Berlin",
        hours=[
            {"days": WEEKDAYS, "open": "08:00", "close": "12:30"},
            {"days": WEEKDAYS, "open": "12:00", "close": "17:45"},
            {"days": [5], "open": "10:00", "close": "14:00"},
        ],
        holidays=["2025-03-31", "2025-10-27"],
    ),
    BusinessCalendar.from_config(time_zone="Asia/Shanghai", hours="always", holidays=NATIONAL_DAY),
    BusinessCalendar.from_config(time_zone="UTC", hours="always"),
]
calendars = st.sampled_from(CALENDARS)
moments = st.datetimes(
    min_value=datetime(2024, 12, 1),  # noqa: DTZ001 - Hypothesis wants naive bounds
    max_value=datetime(2026, 1, 31),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, SHANGHAI, NEW_YORK, BERLIN, ZoneInfo("Asia/Kolkata")]),
    allow_imaginary=False,
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30))


@settings(max_examples=300, deadline=None)
@given(calendars, moments, durations)
def test_business_time_between_inverts_add_business_time(calendar, start, duration):
    due = add_business_time(start, duration, calendar)

    assert due.tzinfo is UTC
    assert due >= start
    assert business_time_between(start, due, calendar) == duration


@settings(max_examples=200, deadline=None)
@given(calendars, moments, durations, durations.filter(bool))
def test_add_business_time_is_additive(calendar, start, first, second):
    halfway = add_business_time(start, first, calendar)

    assert add_business_time(halfway, second, calendar) == add_business_time(
        start, first + second, calendar
    )


@settings(max_examples=200, deadline=None)
@given(calendars, moments)
def test_next_business_moment_is_the_first_business_moment(calendar, moment):
    opening = next_business_moment(moment, calendar)

    assert is_business_time(opening, calendar)
    # Compared in UTC: Python never finds a repeated wall-clock time equal to another zone's.
    assert (opening == moment.astimezone(UTC)) is is_business_time(moment, calendar)
    assert business_time_between(moment, opening, calendar) == timedelta(0)


# Bad input ------------------------------------------------------------------------------------

NAIVE = datetime(2025, 3, 10, 9)  # noqa: DTZ001 - the point of the test
AWARE = sh(2025, 3, 10, 9)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: add_business_time(NAIVE, HOUR, SHANGHAI_OFFICE), id="add"),
        pytest.param(
            lambda: business_time_between(NAIVE, AWARE, SHANGHAI_OFFICE), id="between_start"
        ),
        pytest.param(
            lambda: business_time_between(AWARE, NAIVE, SHANGHAI_OFFICE), id="between_end"
        ),
        pytest.param(lambda: is_business_time(NAIVE, SHANGHAI_OFFICE), id="is_business_time"),
        pytest.param(
            lambda: next_business_moment(NAIVE, SHANGHAI_OFFICE), id="next_business_moment"
        ),
    ],
)
def test_business_hours_naive_datetime_raises_value_error(call):
    with pytest.raises(ValueError, match="aware datetime"):
        call()


def test_add_business_time_negative_duration_raises_value_error():
    with pytest.raises(ValueError, match="must not be negative"):
        add_business_time(AWARE, -HOUR, SHANGHAI_OFFICE)


def test_add_business_time_gives_up_after_max_search_days():
    closed_for_a_decade = frozenset(
        date(2025, 1, 1) + timedelta(days=offset) for offset in range(MAX_SEARCH_DAYS + 10)
    )
    calendar = BusinessCalendar(
        time_zone="Asia/Shanghai", hours=SHANGHAI_OFFICE.hours, holidays=closed_for_a_decade
    )

    with pytest.raises(ValueError, match=f"within {MAX_SEARCH_DAYS} days"):
        add_business_time(sh(2025, 1, 2), HOUR, calendar)


@pytest.mark.parametrize(("hours", "message"), cases(BAD_HOURS))
def test_from_config_refuses_bad_hours_naming_where(hours, message):
    with pytest.raises(ImproperlyConfigured, match=message_at("business hours", message)):
        BusinessCalendar.from_config(time_zone="Asia/Shanghai", hours=hours)


@pytest.mark.parametrize(("hours", "message"), cases(BAD_HOURS))
def test_parse_hours_refuses_bad_hours_at_the_given_where(hours, message):
    with pytest.raises(ImproperlyConfigured, match=message_at("TEAM[2] hours", message)):
        parse_hours(hours=hours, where="TEAM[2] hours")


@pytest.mark.parametrize(("holidays", "message"), cases(BAD_HOLIDAYS))
def test_from_config_refuses_bad_holidays(holidays, message):
    with pytest.raises(ImproperlyConfigured, match=message_at("holidays", message)):
        BusinessCalendar.from_config(time_zone="UTC", hours="always", holidays=holidays)


@pytest.mark.parametrize(("holidays", "message"), cases(BAD_HOLIDAYS))
def test_parse_holidays_refuses_bad_holidays_at_the_given_where(holidays, message):
    with pytest.raises(ImproperlyConfigured, match=message_at("DAYS_OFF", message)):
        parse_holidays(holidays=holidays, where="DAYS_OFF")


@pytest.mark.parametrize(("name", "message"), cases(BAD_TIME_ZONES))
def test_from_config_refuses_bad_time_zones(name, message):
    with pytest.raises(ImproperlyConfigured, match=message_at("time zone", message)):
        BusinessCalendar.from_config(time_zone=name, hours="always")


@pytest.mark.parametrize(("name", "message"), cases(BAD_TIME_ZONES))
def test_parse_time_zone_refuses_bad_names_at_the_given_where(name, message):
    with pytest.raises(ImproperlyConfigured, match=message_at("ZONE", message)):
        parse_time_zone(name=name, where="ZONE")


def test_from_config_where_names_the_hours():
    with pytest.raises(ImproperlyConfigured, match=r"^working hours\[1\] open: '9am'"):
        BusinessCalendar.from_config(
            time_zone="UTC", hours=[window(), window(open="9am")], where="working hours"
        )


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param(window(), Window(frozenset(WEEKDAYS), time(9), time(18)), id="weekdays"),
        pytest.param(
            window(days=(4, 4, 5), open="22:00", close="02:00"),
            Window(frozenset({4, 5}), time(22), time(2)),
            id="tuple_with_repeats_overnight",
        ),
        pytest.param(
            window(open="00:00", close="24:00"),
            Window(frozenset(WEEKDAYS), time(0), time(0), closes_at_24=True),
            id="whole_day",
        ),
        pytest.param(
            window(open="23:59", close="00:00"),
            Window(frozenset(WEEKDAYS), time(23, 59), time(0)),
            id="close_at_midnight_as_00_00",
        ),
    ],
)
def test_parse_window_accepts_valid_windows(entry, expected):
    parsed = parse_window(entry=entry, where="w")

    assert parsed == expected
    assert parsed.closes_at_24 == expected.closes_at_24


def test_a_24_00_close_is_the_engines_midnight_and_only_display_tells_it_apart():
    at_24, at_00 = parse_hours(
        hours=[window(open="20:00", close="24:00"), window(open="20:00", close="00:00")]
    )

    assert (at_24.closes_at_24, at_00.closes_at_24) == (True, False)
    assert at_24 == at_00
    assert at_24.span == at_00.span == (timedelta(hours=20), timedelta(days=1))


def test_window_refuses_24_00_on_a_close_other_than_midnight():
    with pytest.raises(ImproperlyConfigured, match="24:00"):
        Window(frozenset({0}), time(20), time(23), closes_at_24=True)


def test_window_refuses_an_unhashable_day_as_out_of_range():
    with pytest.raises(ImproperlyConfigured, match=r"Day \[0\] is out of range"):
        Window(days=[[0]], opens=time(9), closes=time(18))


def test_parse_hours_always_is_none():
    assert parse_hours(hours="always") is None


def test_parse_holidays_accepts_dates_iso_strings_and_any_iterable():
    holidays = parse_holidays(holidays=iter(["2026-10-01", date(2026, 10, 2), "2026-10-01"]))

    assert holidays == {date(2026, 10, 1), date(2026, 10, 2)}


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 30)
    | st.sampled_from(
        ["always", "09:00", "24:00", "00:00", "18:60", "days", "open", "close", "2026-10-01"]
    ),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["days", "open", "close", "x"]), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(hours=JSON, holidays=JSON)
def test_any_json_either_parses_or_is_refused_as_improperly_configured(hours, holidays):
    # Team.clean turns only ImproperlyConfigured into a form error: nothing else may escape.
    with contextlib.suppress(ImproperlyConfigured):
        BusinessCalendar.from_config(time_zone="UTC", hours=hours, holidays=holidays)


def test_business_calendar_from_config_builds_windows_and_holidays():
    calendar = BusinessCalendar.from_config(
        time_zone="Europe/Berlin",
        hours=[
            {"days": [0, 1, 2, 3, 4], "open": "08:30", "close": "24:00"},
            {"days": [4], "open": "22:00", "close": "02:00"},
        ],
        holidays=["2025-12-25", date(2025, 12, 26)],
    )

    assert calendar == BusinessCalendar(
        time_zone="Europe/Berlin",
        hours=(
            Window(days=frozenset(WEEKDAYS), opens=time(8, 30), closes=time(0, 0)),
            Window(days=frozenset({4}), opens=time(22), closes=time(2)),
        ),
        holidays=frozenset({date(2025, 12, 25), date(2025, 12, 26)}),
    )
    assert [window.overnight for window in calendar.hours] == [True, True]
    assert calendar.hours[0].span == (timedelta(hours=8, minutes=30), timedelta(days=1))


def test_add_business_time_thirty_day_target_is_fast():
    start = sh(2025, 3, 7, 19)

    seconds = timeit.timeit(
        lambda: add_business_time(start, timedelta(days=30), SHANGHAI_OFFICE), number=20
    )

    # Tens of microseconds a day walked; a minute-by-minute walk would take far longer.
    assert seconds / 20 < 0.025


# The timeline a calendar keeps after its first use ---------------------------------------------


def fresh(calendar: BusinessCalendar) -> BusinessCalendar:
    """The same calendar without the timeline an earlier call left on it."""
    return dataclasses.replace(calendar)


@settings(max_examples=300, deadline=None)
@given(
    calendars,
    moments,
    durations,
    st.timedeltas(min_value=timedelta(days=-40), max_value=timedelta(days=40)),
)
def test_the_timeline_answers_as_the_walk_through_the_days(calendar, start, duration, shift):
    calendar = fresh(calendar)
    walked_due = add_business_time(start, duration, calendar)  # first use: the walk
    walked_elapsed = business_time_between(start, start + shift, fresh(calendar))
    add_business_time(start + shift, timedelta(0), calendar)  # a timeline from elsewhere

    assert calendar._always_open or "_timeline" in calendar.__dict__
    assert add_business_time(start, duration, calendar) == walked_due
    assert business_time_between(start, start + shift, calendar) == walked_elapsed


def test_a_calendar_builds_its_timeline_on_its_second_use_only(monkeypatch):
    from common import business_hours

    builds = []
    build = business_hours._Timeline.build
    monkeypatch.setattr(
        business_hours._Timeline,
        "build",
        classmethod(lambda cls, *args: builds.append(args) or build(*args)),
    )
    calendar = fresh(SHANGHAI_OFFICE)
    start = sh(2025, 3, 7, 19)

    add_business_time(start, HOUR, calendar)
    assert builds == []
    due = add_business_time(start, HOUR, calendar)
    for minutes in range(1000):
        assert add_business_time(start + timedelta(minutes=minutes), HOUR, calendar) >= due

    assert len(builds) == 1


@pytest.mark.parametrize("uses_before_pickling", [1, 2])
def test_a_calendar_kept_in_the_cache_answers_after_it_comes_back(uses_before_pickling):
    """The cache pickles a calendar with whatever it holds after its first uses; unpickled, its
    first-use marker is another object than the module's (the home page failed with 500)."""
    import pickle

    calendar = BusinessCalendar(time_zone="Asia/Shanghai", hours=SHANGHAI_OFFICE.hours)
    expected = add_business_time(sh(2025, 1, 2), HOUR, SHANGHAI_OFFICE)
    for _ in range(uses_before_pickling):
        assert add_business_time(sh(2025, 1, 2), HOUR, calendar) == expected

    back = pickle.loads(pickle.dumps(calendar))  # noqa: S301 - our own bytes, as the cache does

    for _ in range(3):
        assert add_business_time(sh(2025, 1, 2), HOUR, back) == expected
        assert business_time_between(sh(2025, 1, 2), sh(2025, 1, 3), back) == (
            business_time_between(sh(2025, 1, 2), sh(2025, 1, 3), SHANGHAI_OFFICE)
        )
