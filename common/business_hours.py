"""Business hours: response-time clocks that only run while a support team is at work.

A `BusinessCalendar` is a team's time zone, weekly opening hours and holidays. The functions
here answer "when is a target of N business hours after this moment due?"
(`add_business_time`), "how much business time passed between these two moments?"
(`business_time_between`), "is the team at work now?" (`is_business_time`) and "when does it
next open?" (`next_business_moment`). They are pure: aware datetimes in any zone go in, aware
UTC datetimes come out, and a naive datetime raises `ValueError`.

Rules:

* Opening hours are local wall-clock times. A window whose `closes` is not later than its
  `opens` runs past midnight and closes on the next day; "24:00" is stored as `time(0, 0)`, so
  00:00-24:00 is `opens == closes == time(0, 0)`, a window of one whole day.
* A window belongs to the day it opens on. A Friday 22:00-02:00 window covers Saturday
  00:00-02:00 even if Friday is in `days` and Saturday is not; a holiday on the Friday removes
  the whole window, after-midnight part included.
* Holidays are whole local dates: nothing is open on one, so a holiday on the Saturday closes
  the Friday window at midnight. They apply to "always" (24/7) calendars too.
* Daylight saving time: a wall-clock time means the first instant at which the local clock
  shows that time or later. A time skipped by a spring-forward change means the instant the
  clock jumps; a time repeated by a fall-back change means its first occurrence. So a
  09:00-17:00 window is 8 hours on a change day, while 00:00-24:00 is 23 or 25 hours.
* Windows are half-open: open at the opening instant, closed at the closing instant.
  Overlapping windows are merged, never counted twice.
* Adding a zero duration gives `start` itself if it is business time, else the next opening.
  A positive duration that runs out exactly at a closing time gives that closing time.
* Negative durations raise `ValueError`, and so does a search for business time that walks
  more than `MAX_SEARCH_DAYS` calendar days.

The settings format of opening hours (a team's working hours, the channel guide's hours) is
parsed here and nowhere else: `parse_hours`, `parse_holidays` and `parse_time_zone` raise
`ImproperlyConfigured` naming where the bad value is (their `where` argument).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

MAX_SEARCH_DAYS = 3660

_ONE_WEEK = timedelta(days=7)
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_ZERO = timedelta(0)
ALWAYS = "always"
_HH_MM = re.compile(r"(\d{2}):(\d{2})")
_WINDOW_KEYS = ("days", "open", "close")
_WINDOW_SHAPE = '{"days": [0-6], "open": "HH:MM", "close": "HH:MM"}'

# A span is (opening, closing) as offsets from local midnight of the opening day.
_Span = tuple[timedelta, timedelta]
# Days of merged intervals a calendar keeps at hand (`_Timeline`): the SLA clocks of a burst
# all start within minutes, so thousands of calls search the same few weeks.
_TIMELINE_DAYS = 62
_TIMELINE_REUSE_DAYS = 31


@dataclass(frozen=True)
class Window:
    """Opening hours on `days` (Monday=0); closes <= opens means next day, so time(0) is 24:00."""

    days: frozenset[int]
    opens: time
    closes: time
    # How the config spelled a midnight close ("24:00" or "00:00"), kept only for display.
    closes_at_24: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        days = tuple(self.days)
        if not days:
            raise ImproperlyConfigured("A business-hours window needs at least one day.")
        for day in days:  # Before frozenset(), which would raise TypeError for a list in days.
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise ImproperlyConfigured(
                    f"Day {day!r} is out of range: days are 0 (Monday) to 6 (Sunday)."
                )
        object.__setattr__(self, "days", frozenset(days))
        if not isinstance(self.opens, time) or not isinstance(self.closes, time):
            raise ImproperlyConfigured("Window opening and closing must be datetime.time values.")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ImproperlyConfigured(
                "Window times are local wall-clock times and must not carry a tzinfo."
            )
        if self.closes_at_24 and self.closes != time(0):
            raise ImproperlyConfigured("Only a window closing at time(0, 0) closes at 24:00.")

    @property
    def overnight(self) -> bool:
        """Whether the window closes on the day after it opens."""
        return self.closes <= self.opens

    @property
    def span(self) -> _Span:
        """Opening and closing as offsets from local midnight of the opening day."""
        opens, closes = _offset(self.opens), _offset(self.closes)
        return opens, (closes + _ONE_DAY if closes <= opens else closes)


@dataclass(frozen=True)
class BusinessCalendar:
    """A support team's time zone, weekly opening hours (None: open 24/7) and holidays."""

    time_zone: str
    hours: tuple[Window, ...] | None
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        parse_time_zone(name=self.time_zone)
        if self.hours is not None:
            hours = tuple(self.hours)
            if not hours:
                raise ImproperlyConfigured(
                    'Business hours need at least one window; use "always" for 24/7.'
                )
            object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    @classmethod
    def from_config(
        cls,
        *,
        time_zone: str,
        hours: list[dict] | str,
        holidays: Iterable[str | date] = (),
        where: str = "business hours",
    ) -> BusinessCalendar:
        """Build a calendar from settings-style data, raising ImproperlyConfigured if it is bad."""
        return cls(
            time_zone=time_zone,
            hours=parse_hours(hours=hours, where=where),
            holidays=parse_holidays(holidays=holidays, where="holidays"),
        )

    @cached_property
    def zone(self) -> ZoneInfo:
        """The team's time zone."""
        return parse_time_zone(name=self.time_zone)

    @cached_property
    def _spans_by_weekday(self) -> tuple[tuple[_Span, ...], ...]:
        """For each weekday (Monday=0), the spans of the windows opening on it, earliest first."""
        if self.hours is None:
            return (((_ZERO, _ONE_DAY),),) * 7
        return tuple(
            tuple(sorted(window.span for window in self.hours if weekday in window.days))
            for weekday in range(7)
        )

    @property
    def _always_open(self) -> bool:
        """Whether every moment is business time, so business time is plain elapsed time."""
        return self.hours is None and not self.holidays


@dataclass(frozen=True)
class _Timeline:
    """A calendar's merged business intervals of windows opening on `first` and the next
    _TIMELINE_DAYS days, with the business time before each, so a lookup is two bisections.

    Every interval but the last is complete; the last may go on with windows opening later
    (around the clock it is the whole timeline), which only moves its closing, so a lookup
    answers up to that closing and walks the days beyond it."""

    first: date
    opens: tuple[datetime, ...]
    closes: tuple[datetime, ...]
    before: tuple[timedelta, ...]  # business time from the first opening to each opening
    through: tuple[timedelta, ...]  # ... to each closing

    @classmethod
    def build(cls, calendar: BusinessCalendar, first: date) -> _Timeline:
        intervals = list(_intervals(calendar, first, first + timedelta(days=_TIMELINE_DAYS)))
        before, through, total = [], [], _ZERO
        for opens, closes in intervals:
            before.append(total)
            total += closes - opens
            through.append(total)
        return cls(
            first,
            tuple(opens for opens, _closes in intervals),
            tuple(closes for _opens, closes in intervals),
            tuple(before),
            tuple(through),
        )

    def elapsed(self, instant: datetime) -> tuple[int, timedelta] | None:
        """The interval closing after `instant` and the business time before `instant`; None
        from the last closing on."""
        index = bisect_right(self.closes, instant)
        if index >= len(self.closes):
            return None
        return index, self.before[index] + max(_ZERO, instant - self.opens[index])


_FIRST_USE = object()


def _timeline(calendar: BusinessCalendar, first: date) -> _Timeline | None:
    """The calendar's timeline covering windows from `first` on, rebuilt as time moves on.

    None (walk the days) on a calendar's first use, so a calendar made for one answer never
    pays for weeks of intervals, and for a moment before the timeline held (an old clock)."""
    held = calendar.__dict__.get("_timeline")
    if held is None:
        calendar.__dict__["_timeline"] = _FIRST_USE
        return None
    # Not `is _FIRST_USE`: a calendar kept in the cache comes back unpickled with a marker of
    # its own, another object (the home page's promises failed so, now and then).
    if isinstance(held, _Timeline):
        if held.first <= first < held.first + timedelta(days=_TIMELINE_REUSE_DAYS):
            return held
        if first < held.first:
            return None
    held = _Timeline.build(calendar, first)
    # Frozen: kept beside the fields, as cached_property keeps `zone`; one assignment, so a
    # thread sees either timeline whole.
    calendar.__dict__["_timeline"] = held
    return held


def _timeline_add(
    calendar: BusinessCalendar, first: date, moment: datetime, duration: timedelta
) -> datetime | None:
    timeline = _timeline(calendar, first)
    start = timeline.elapsed(moment) if timeline else None
    if start is None:
        return None
    index, elapsed = start
    target = elapsed + duration
    # The first interval whose closing reaches the target: a target met exactly at a closing
    # is that closing, as the walk gives it.
    index = bisect_left(timeline.through, target, lo=index)
    if index >= len(timeline.closes):
        return None
    return timeline.opens[index] + (target - timeline.before[index])


def add_business_time(start: datetime, duration: timedelta, calendar: BusinessCalendar) -> datetime:
    """The aware datetime (UTC) at which `duration` of business time has elapsed after `start`."""
    moment = _naive_utc(start, "start")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}.")
    if calendar._always_open:
        return (moment + duration).replace(tzinfo=UTC)
    first = _local_date(moment, calendar) - _ONE_DAY
    due = _timeline_add(calendar, first, moment, duration)
    if due is not None:
        return due.replace(tzinfo=UTC)
    return _walk_add(calendar, first, moment, duration, start)


def _walk_add(
    calendar: BusinessCalendar,
    first: date,
    moment: datetime,
    duration: timedelta,
    start: datetime,
) -> datetime:
    """`add_business_time` by walking the days from `first`: what the timeline answers faster."""
    remaining = duration
    for opens, closes in _intervals(calendar, first, first + timedelta(days=MAX_SEARCH_DAYS)):
        if closes <= moment:
            continue
        opens = max(opens, moment)
        if closes - opens >= remaining:
            return (opens + remaining).replace(tzinfo=UTC)
        remaining -= closes - opens
    raise ValueError(
        f"{duration} of business time does not fit within {MAX_SEARCH_DAYS} days of {start}."
    )


def business_time_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> timedelta:
    """Business time elapsed from start to end (zero if end <= start)."""
    begin, finish = _naive_utc(start, "start"), _naive_utc(end, "end")
    if finish <= begin:
        return _ZERO
    if calendar._always_open:
        return finish - begin
    first, last = _local_date(begin, calendar) - _ONE_DAY, _local_date(finish, calendar)
    timeline = _timeline(calendar, first)
    if timeline is not None:
        since, until = timeline.elapsed(begin), timeline.elapsed(finish)
        if since is not None and until is not None:
            return until[1] - since[1]
    total = _ZERO
    for opens, closes in _intervals(calendar, first, last):
        if opens >= finish:
            break
        overlap = min(closes, finish) - max(opens, begin)
        if overlap > _ZERO:
            total += overlap
    return total


def is_business_time(moment: datetime, calendar: BusinessCalendar) -> bool:
    """Whether the team is at work at `moment`."""
    instant = _naive_utc(moment, "moment")
    if calendar._always_open:
        return True
    # A window ends before midnight at the end of the day after it opens.
    day = _local_date(instant, calendar)
    return any(
        opens <= instant < closes for opens, closes in _intervals(calendar, day - _ONE_DAY, day)
    )


def next_business_moment(moment: datetime, calendar: BusinessCalendar) -> datetime:
    """`moment` itself if in business hours, else the next opening (aware, UTC)."""
    return add_business_time(moment, _ZERO, calendar)


def _intervals(
    calendar: BusinessCalendar, first: date, last: date
) -> Iterator[tuple[datetime, datetime]]:
    """Business intervals (naive UTC, half-open, in order, never overlapping) of windows opening
    first..last. Touching windows are merged, but a merged interval is handed out once it spans
    a week: a calendar open round the clock would otherwise be read to its end (ten years, some
    3,600 days) before the first interval came out, and every promise and SLA due time paid
    for it. Callers sum or test intervals, so a seam between two of them changes nothing."""
    zone, holidays, spans = calendar.zone, calendar.holidays, calendar._spans_by_weekday
    current: list[datetime] | None = None
    handed_out_to: datetime | None = None  # where the last interval handed out ended
    day = first
    while day <= last:
        if day not in holidays:
            midnight = datetime.combine(day, time.min)
            tomorrow_closed = day + _ONE_DAY in holidays
            for opening, span_closing in spans[day.weekday()]:
                closing = min(span_closing, _ONE_DAY) if tomorrow_closed else span_closing
                opens = _wall_to_utc(midnight + opening, zone)
                closes = _wall_to_utc(midnight + closing, zone)
                if handed_out_to is not None:
                    opens = max(opens, handed_out_to)
                if opens >= closes:
                    continue  # Swallowed by a spring-forward gap or already handed out.
                if current is None:
                    current = [opens, closes]
                elif opens <= current[1]:
                    current[1] = max(current[1], closes)
                else:
                    yield current[0], current[1]
                    current = [opens, closes]
                if current[1] - current[0] >= _ONE_WEEK:
                    yield current[0], current[1]
                    handed_out_to, current = current[1], None
        day += _ONE_DAY
    if current is not None:
        yield current[0], current[1]


def _wall_to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (naive UTC) at which the local clock shows `local` or later."""
    # ZoneInfo reads a naive datetime as its own wall-clock time (PEP 495 fold included).
    before, after = zone.utcoffset(local), zone.utcoffset(local.replace(fold=1))
    if before >= after:
        return local - before  # Normal, or repeated by a fall-back change: first occurrence.
    # Skipped by a spring-forward change: find the jump, which lies in (local - after,
    # local - before]. zoneinfo does not expose transitions; they fall on whole seconds.
    low = (local - after).replace(microsecond=0)
    high = (local - before).replace(microsecond=0)
    while high - low > _ONE_SECOND:
        middle = low + (high - low) // 2 // _ONE_SECOND * _ONE_SECOND
        if middle.replace(tzinfo=UTC).astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high


def _naive_utc(moment: datetime, name: str) -> datetime:
    """`moment` as a naive UTC datetime, refusing naive input."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}.")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {moment.isoformat()}.")
    return moment.astimezone(UTC).replace(tzinfo=None)


def _local_date(instant: datetime, calendar: BusinessCalendar) -> date:
    """The team's local date at a naive UTC instant."""
    return instant.replace(tzinfo=UTC).astimezone(calendar.zone).date()


def _offset(moment: time) -> timedelta:
    """Time since midnight of a wall-clock time."""
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


def _wall_clock(offset: timedelta) -> time:
    """The wall-clock time `offset` (whole minutes, less than a day) after midnight."""
    hours, minutes = divmod(offset // timedelta(minutes=1), 60)
    return time(hours, minutes)


def utc_offset_text(moment: datetime) -> str:
    """The UTC offset of an aware datetime, such as "UTC+8" or "UTC-3:30"."""
    offset = moment.utcoffset() or timedelta()
    minutes = int(offset.total_seconds()) // 60
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}:{minutes:02d}" if minutes else f"UTC{sign}{hours}"


def parse_time_zone(*, name: object, where: str = "time zone") -> ZoneInfo:
    """The ZoneInfo of an IANA name, so that a typo fails when the settings are read."""
    if not isinstance(name, str) or not name:
        raise ImproperlyConfigured(
            f"{where}: expected an IANA time zone name such as 'Asia/Shanghai', got {name!r}."
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise ImproperlyConfigured(
            f"{where}: {name!r} is not a known IANA time zone such as 'Asia/Shanghai'."
        ) from error


def parse_hours(*, hours: object, where: str = "business hours") -> tuple[Window, ...] | None:
    """Opening hours from settings-style data: "always" (None) or a non-empty list of windows."""
    if hours == ALWAYS:
        return None
    if isinstance(hours, str):
        raise ImproperlyConfigured(
            f'{where}: {hours!r} is not understood; use "{ALWAYS}" or a list of {_WINDOW_SHAPE}.'
        )
    if not isinstance(hours, list | tuple):
        raise ImproperlyConfigured(
            f'{where}: expected "{ALWAYS}" or a list of {_WINDOW_SHAPE}, '
            f"not {type(hours).__name__}."
        )
    if not hours:
        raise ImproperlyConfigured(
            f'{where}: no windows; list at least one window, or use "{ALWAYS}" for 24/7.'
        )
    return tuple(
        parse_window(entry=entry, where=f"{where}[{index}]") for index, entry in enumerate(hours)
    )


def parse_window(*, entry: object, where: str) -> Window:
    """One {"days", "open", "close"} window; the engine counts a "24:00" close as time(0, 0)."""
    if not isinstance(entry, dict):
        raise ImproperlyConfigured(f"{where}: expected a dict {_WINDOW_SHAPE}, got {entry!r}.")
    missing = [key for key in _WINDOW_KEYS if key not in entry]
    unknown = sorted(str(key) for key in entry if key not in _WINDOW_KEYS)
    if missing or unknown:
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += [f"unknown key(s) {', '.join(unknown)}"] if unknown else []
        raise ImproperlyConfigured(
            f"{where}: {'; '.join(problems)}; expected exactly the keys days, open and close."
        )
    days = entry["days"]
    if not isinstance(days, list | tuple) or not days:
        raise ImproperlyConfigured(
            f"{where} days: expected a non-empty list of weekdays 0 (Monday) to 6 (Sunday), "
            f"got {days!r}."
        )
    opens = parse_clock(value=entry["open"], where=f"{where} open")
    closes = parse_clock(value=entry["close"], where=f"{where} close", closing=True)
    if opens == closes:
        raise ImproperlyConfigured(
            f"{where}: open and close are both {entry['open']!r}; a window must have a length "
            f'("00:00" to "24:00" is a whole day, "{ALWAYS}" is open around the clock).'
        )
    try:
        return Window(
            days=days,
            opens=_wall_clock(opens),
            closes=_wall_clock(closes % _ONE_DAY),
            closes_at_24=closes == _ONE_DAY,
        )
    except ImproperlyConfigured as error:
        raise ImproperlyConfigured(f"{where}: {error}") from error


def parse_clock(*, value: object, where: str, closing: bool = False) -> timedelta:
    """Time since midnight of an "HH:MM" wall-clock time; a closing time may be "24:00"."""
    match = _HH_MM.fullmatch(value) if isinstance(value, str) else None
    hour, minute = (int(match[1]), int(match[2])) if match else (-1, -1)
    if closing and (hour, minute) == (24, 0):
        return _ONE_DAY
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        allowed = "00:00 to 24:00" if closing else "00:00 to 23:59"
        raise ImproperlyConfigured(f"{where}: {value!r} is not a time HH:MM from {allowed}.")
    return timedelta(hours=hour, minutes=minute)


def parse_holidays(*, holidays: object, where: str = "holidays") -> frozenset[date]:
    """Holiday dates from ISO strings ("2026-10-01") or dates; a datetime is refused."""
    if isinstance(holidays, str) or not isinstance(holidays, Iterable):
        raise ImproperlyConfigured(
            f"{where}: expected a list of ISO dates (YYYY-MM-DD), got {holidays!r}."
        )
    dates = set()
    for holiday in holidays:
        if isinstance(holiday, datetime):
            raise ImproperlyConfigured(
                f"{where}: {holiday.isoformat()} is a datetime; holidays are whole local dates."
            )
        if isinstance(holiday, date):
            dates.add(holiday)
            continue
        try:
            dates.add(date.fromisoformat(holiday))
        except (TypeError, ValueError) as error:
            raise ImproperlyConfigured(
                f"{where}: {holiday!r} is not an ISO date (YYYY-MM-DD) such as '2026-10-01'."
            ) from error
    return frozenset(dates)
