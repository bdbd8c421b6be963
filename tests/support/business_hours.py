"""Bad opening-hours settings and what the one parser (common.business_hours) says about each.

Every place that reads the format (a team's working hours, the channel guide's settings) is tested
with the same cases, so a rule kept in one place and lost in another fails a test. Each message is
a regex of what follows the `where` the caller passed (e.g. "working hours").
"""

import re
from datetime import UTC, datetime
from types import MappingProxyType
from typing import NamedTuple

import pytest

GOOD_WINDOW = {"days": [0, 1, 2, 3, 4], "open": "09:00", "close": "18:00"}


class BadValue(NamedTuple):
    value: object
    message: str  # a regex of the message after `where`
    in_form: bool = True  # whether an admin form hands it to the model (JSON, and not blank)


def window(**overrides: object) -> dict:
    """A valid weekday 09:00-18:00 window with some keys replaced."""
    return {**GOOD_WINDOW, **overrides}


def without(key: str) -> dict:
    """The valid window without one of its keys."""
    return {name: value for name, value in GOOD_WINDOW.items() if name != key}


BAD_HOURS = {
    "unknown_word": BadValue("sometimes", r": 'sometimes' is not understood; use \"always\""),
    "always_capitalised": BadValue("Always", r": 'Always' is not understood"),
    "no_windows": BadValue(
        [], r": no windows; list at least one window, or use \"always\"", in_form=False
    ),
    "window_not_in_a_list": BadValue(GOOD_WINDOW, r": expected \"always\" or a list .*not dict"),
    "null": BadValue(None, r": expected \"always\" or a list .*not NoneType", in_form=False),
    "number": BadValue(9, r": expected \"always\" or a list .*not int"),
    "window_a_string": BadValue([GOOD_WINDOW, "09:00-18:00"], r"\[1\]: expected a dict"),
    "window_a_mapping_proxy": BadValue(
        [MappingProxyType(GOOD_WINDOW)], r"\[0\]: expected a dict", in_form=False
    ),
    "missing_close": BadValue(
        [GOOD_WINDOW, without("close")],
        r"\[1\]: missing close; expected exactly the keys days, open and close\.",
    ),
    "missing_days": BadValue([without("days")], r"\[0\]: missing days;"),
    "misspelt_key": BadValue(
        [{"days": [0], "opens": "09:00", "close": "18:00"}],
        r"\[0\]: missing open; unknown key\(s\) opens; expected exactly the keys",
    ),
    "extra_key": BadValue([window(note="lunch")], r"\[0\]: unknown key\(s\) note; expected"),
    "days_empty": BadValue(
        [window(days=[])], r"\[0\] days: expected a non-empty list of weekdays .*got \[\]\."
    ),
    "days_a_number": BadValue([window(days=3)], r"\[0\] days: expected a non-empty list.*got 3"),
    "days_a_string": BadValue([window(days="0-4")], r"\[0\] days: .*got '0-4'"),
    "days_a_dict": BadValue([window(days={"0": 1})], r"\[0\] days: .*got \{'0': 1\}"),
    "days_a_set": BadValue([window(days={0, 1})], r"\[0\] days: .*got \{0, 1\}", in_form=False),
    "days_bytes": BadValue([window(days=b"\x00")], r"\[0\] days: .*got b", in_form=False),
    "day_seven": BadValue([GOOD_WINDOW, window(days=[7])], r"\[1\]: Day 7 is out of range"),
    "day_negative": BadValue([window(days=[0, -1])], r"\[0\]: Day -1 is out of range"),
    "day_bool": BadValue([window(days=[True])], r"\[0\]: Day True is out of range"),
    "day_name": BadValue([window(days=["mon"])], r"\[0\]: Day 'mon' is out of range"),
    "day_float": BadValue([window(days=[1.0])], r"\[0\]: Day 1\.0 is out of range"),
    "day_a_list": BadValue([window(days=[[0]])], r"\[0\]: Day \[0\] is out of range"),
    "open_words": BadValue(
        [window(open="9am")], r"\[0\] open: '9am' is not a time HH:MM from 00:00 to 23:59\."
    ),
    "open_one_digit_hour": BadValue([window(open="9:00")], r"\[0\] open: '9:00' is not a time"),
    "open_with_seconds": BadValue([window(open="09:00:00")], r"\[0\] open: '09:00:00' is not"),
    "open_at_24": BadValue(
        [window(open="24:00", close="02:00")], r"\[0\] open: '24:00' .* from 00:00 to 23:59\."
    ),
    "open_a_number": BadValue([window(open=900)], r"\[0\] open: 900 is not a time"),
    "close_hour_25": BadValue(
        [window(close="25:00")], r"\[0\] close: '25:00' is not a time HH:MM from 00:00 to 24:00\."
    ),
    "close_minute_60": BadValue([window(close="18:60")], r"\[0\] close: '18:60' is not"),
    "close_24_30": BadValue([window(close="24:30")], r"\[0\] close: '24:30' is not"),
    "close_null": BadValue([window(close=None)], r"\[0\] close: None is not a time"),
    "open_equals_close": BadValue(
        [window(close="09:00")],
        r"\[0\]: open and close are both '09:00'; a window must have a length",
    ),
    "midnight_to_midnight": BadValue(
        [window(open="00:00", close="00:00")], r"\[0\]: open and close are both '00:00'"
    ),
    "equal_in_other_digits": BadValue(
        [window(open="\uff10\uff19:\uff10\uff10", close="09:00")],
        r"\[0\]: open and close are both '０９:００'",
    ),
}

BAD_HOLIDAYS = {
    "one_string": BadValue("2026-10-01", r": expected a list of ISO dates \(YYYY-MM-DD\)"),
    "a_number": BadValue(20261001, r": expected a list of ISO dates"),
    "null": BadValue(None, r": expected a list of ISO dates"),
    "impossible_date": BadValue(["2026-02-30"], r": '2026-02-30' is not an ISO date"),
    "month_13": BadValue(["2026-13-01"], r": '2026-13-01' is not an ISO date"),
    "words": BadValue(["1 May"], r": '1 May' is not an ISO date \(YYYY-MM-DD\)"),
    "a_number_in_the_list": BadValue([20261001], r": 20261001 is not an ISO date"),
    "a_datetime": BadValue(
        [datetime(2026, 10, 1, tzinfo=UTC)], r": 2026-10-01T00:00:00\+00:00 is a datetime"
    ),
}

BAD_TIME_ZONES = {
    "unknown": BadValue("Mars/Olympus", r": 'Mars/Olympus' is not a known IANA time zone"),
    "a_directory": BadValue("America", r": 'America' is not a known IANA time zone"),
    "a_path": BadValue("../etc/passwd", r": '\.\./etc/passwd' is not a known IANA time zone"),
    "empty": BadValue(
        "", r": expected an IANA time zone name such as 'Asia/Shanghai', got ''", in_form=False
    ),
    "null": BadValue(None, r": expected an IANA time zone name .*got None", in_form=False),
}


def cases(bad: dict[str, BadValue], *, form_only: bool = False) -> list:
    """The cases as pytest params (value, message), with their names as ids."""
    return [
        pytest.param(case.value, case.message, id=name)
        for name, case in bad.items()
        if case.in_form or not form_only
    ]


def message_at(where: str, message: str) -> str:
    """The regex of a whole message: `where` (taken literally), then the case's message."""
    return f"^{re.escape(where)}{message}"
