"""The channel guide: each support channel's hours, whether it is open now and how fast it answers.

Operators override the schedule in settings: `SUPPORT_CHANNELS` (same shape as `DEFAULT_CHANNELS`),
`SUPPORT_TIME_ZONE` (defaults to `TIME_ZONE`) and `SUPPORT_HOLIDAYS` (ISO dates on which every
scheduled channel is closed all day). Hours are wall-clock times in the support time zone; a window
whose close is not after its open ("22:00" to "02:00") runs past midnight into the next day, and
"24:00" may close a window at midnight. The texts shown to customers live here, keyed by code.

Whether a channel is open now, and when it next opens, common.business_hours answers: the engine
the SLA clocks count in. So a holiday closes a scheduled channel for the whole date, including the
after-midnight part of the evening before's window; channels open "always" stay open on holidays.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from common import business_hours
from common.business_hours import BusinessCalendar, is_business_time, next_business_moment

ALWAYS = "always"
MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
MONDAY_TO_FRIDAY = [0, 1, 2, 3, 4]
TIME_PATTERN = re.compile(r"(\d{2}):(\d{2})")

DEFAULT_CHANNELS: list[dict[str, Any]] = [
    {
        "code": "live_chat",
        "hours": [{"days": EVERY_DAY, "open": "08:00", "close": "22:00"}],
        "response_minutes": 3,
        "url_name": "livechat:chat",
    },
    {
        "code": "contact_form",
        "hours": ALWAYS,
        "response_minutes": MINUTES_PER_DAY,
        "url_name": "tickets:contact",
    },
    {
        "code": "hotline",
        "hours": [{"days": MONDAY_TO_FRIDAY, "open": "09:00", "close": "18:00"}],
        "response_minutes": 5,
        "url_name": None,
    },
    {
        "code": "in_app",
        "hours": [{"days": EVERY_DAY, "open": "08:00", "close": "22:00"}],
        "response_minutes": 10,
        "url_name": None,
    },
    {
        "code": "social_media",
        "hours": [{"days": EVERY_DAY, "open": "09:00", "close": "21:00"}],
        "response_minutes": 2 * MINUTES_PER_HOUR,
        "url_name": None,
    },
]

CHANNEL_NAMES = {
    "live_chat": _("Live chat"),
    "contact_form": _("Contact form and email"),
    "hotline": _("Hotline"),
    "in_app": _("In-app support"),
    "social_media": _("Social media"),
}
CHANNEL_SUITS = {
    "live_chat": _("Urgent problems: a stolen account, a transaction that went wrong"),
    "contact_form": _("Detailed reports with screenshots; keeps a written record"),
    "hotline": _("Complex problems you would rather talk through; calls may cost money"),
    "in_app": _("Questions while using the wallet app, answered in real time"),
    "social_media": _("News and simple questions — never post account details in public"),
}
CHANNEL_ACTIONS = {
    "live_chat": _("Start a chat"),
    "contact_form": _("Write to us"),
    "hotline": _("Call us"),
    "in_app": _("Open the app"),
    "social_media": _("Follow us"),
}
DAY_NAMES = (
    pgettext_lazy("weekday", "Mon"),
    pgettext_lazy("weekday", "Tue"),
    pgettext_lazy("weekday", "Wed"),
    pgettext_lazy("weekday", "Thu"),
    pgettext_lazy("weekday", "Fri"),
    pgettext_lazy("weekday", "Sat"),
    pgettext_lazy("weekday", "Sun"),
)


@dataclass(frozen=True)
class Window:
    """One opening window as configured and shown: weekdays (Monday=0), minutes after midnight
    (an end of 1440 is "24:00"); `channel_calendar` turns it into the engine's."""

    days: frozenset[int]
    start: int
    end: int


Schedule = tuple[Window, ...] | None


@dataclass(frozen=True)
class Channel:
    """A validated channel configuration."""

    code: str
    schedule: Schedule
    response_minutes: int
    url_name: str | None


@dataclass(frozen=True)
class ChannelStatus:
    """What the channel guide shows for one channel at one moment."""

    code: str
    name: str
    suits: str
    hours_text: str
    is_open: bool
    opens_next: datetime | None
    response_text: str
    url: str | None
    action_text: str = ""


def parse_clock(value: object, *, where: str, allow_midnight_end: bool = False) -> int:
    """Minutes after midnight of an "HH:MM" time; "24:00" only where a window may end."""
    match = TIME_PATTERN.fullmatch(value) if isinstance(value, str) else None
    if match:
        hours, minutes = int(match[1]), int(match[2])
        if hours < 24 and minutes < 60:
            return hours * MINUTES_PER_HOUR + minutes
        if allow_midnight_end and hours == 24 and minutes == 0:
            return MINUTES_PER_DAY
    raise ImproperlyConfigured(f'{where}: expected a time "HH:MM" such as "09:00", got {value!r}.')


def parse_days(value: object, *, where: str) -> frozenset[int]:
    """The weekdays of a window: a non-empty list of integers 0 (Monday) to 6 (Sunday)."""
    if not isinstance(value, list | tuple) or not value:
        raise ImproperlyConfigured(
            f"{where}: days must be a non-empty list of weekdays 0 (Monday) to 6 (Sunday), "
            f"got {value!r}."
        )
    for day in value:
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise ImproperlyConfigured(
                f"{where}: day {day!r} is out of range; use 0 (Monday) to 6 (Sunday)."
            )
    return frozenset(value)


def parse_hours(hours: object, *, where: str = "hours") -> Schedule:
    """A channel's hours as windows, or None for "always"; ImproperlyConfigured when invalid."""
    if hours == ALWAYS:
        return None
    if not isinstance(hours, list | tuple) or not hours:
        raise ImproperlyConfigured(
            f'{where}: expected "{ALWAYS}" or a non-empty list of '
            f'{{"days": [...], "open": "HH:MM", "close": "HH:MM"}}, got {hours!r}.'
        )
    windows = []
    for index, window in enumerate(hours):
        here = f"{where}[{index}]"
        if not isinstance(window, Mapping) or set(window) != {"days", "open", "close"}:
            raise ImproperlyConfigured(
                f'{here}: expected exactly the keys "days", "open" and "close", got {window!r}.'
            )
        start = parse_clock(window["open"], where=f"{here} open")
        end = parse_clock(window["close"], where=f"{here} close", allow_midnight_end=True)
        if start == end:
            raise ImproperlyConfigured(
                f"{here}: open and close are both {window['open']!r}; for a channel that never "
                f'closes use "{ALWAYS}".'
            )
        windows.append(Window(parse_days(window["days"], where=here), start, end))
    return tuple(windows)


def parse_holidays(holidays: Iterable[date | str], *, where: str = "holidays") -> frozenset[date]:
    """The holiday dates, given as dates or ISO strings such as "2026-10-01"."""
    if isinstance(holidays, str | date):
        raise ImproperlyConfigured(f"{where}: expected a list of ISO dates, got {holidays!r}.")
    parsed = set()
    for holiday in holidays:
        if isinstance(holiday, datetime):
            parsed.add(holiday.date())
        elif isinstance(holiday, date):
            parsed.add(holiday)
        else:
            try:
                parsed.add(date.fromisoformat(holiday))
            except (TypeError, ValueError):
                raise ImproperlyConfigured(
                    f'{where}: {holiday!r} is not an ISO date such as "2026-10-01".'
                ) from None
    return frozenset(parsed)


def support_time_zone() -> ZoneInfo:
    """The time zone in which support hours are given."""
    name = getattr(settings, "SUPPORT_TIME_ZONE", settings.TIME_ZONE)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, TypeError, ValueError):
        raise ImproperlyConfigured(
            f'SUPPORT_TIME_ZONE: {name!r} is not a known IANA time zone such as "Asia/Shanghai".'
        ) from None


def support_holidays() -> frozenset[date]:
    """The configured holidays."""
    return parse_holidays(getattr(settings, "SUPPORT_HOLIDAYS", []), where="SUPPORT_HOLIDAYS")


def parse_channel(config: object, index: int) -> Channel:
    """One validated entry of SUPPORT_CHANNELS."""
    where = f"SUPPORT_CHANNELS[{index}]"
    if not isinstance(config, Mapping):
        raise ImproperlyConfigured(f"{where}: expected a dict, got {config!r}.")
    required = {"code", "hours", "response_minutes"}
    if missing := required - set(config):
        raise ImproperlyConfigured(f"{where}: missing {', '.join(sorted(missing))}.")
    if unknown := set(config) - required - {"url_name"}:
        raise ImproperlyConfigured(f"{where}: unknown keys {', '.join(sorted(unknown))}.")
    code = config["code"]
    if code not in CHANNEL_NAMES:
        raise ImproperlyConfigured(
            f"{where}: unknown channel code {code!r}; use one of {', '.join(CHANNEL_NAMES)}."
        )
    where = f"SUPPORT_CHANNELS[{index}] ({code})"
    minutes = config["response_minutes"]
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
        raise ImproperlyConfigured(
            f"{where}: response_minutes must be a positive whole number, got {minutes!r}."
        )
    url_name = config.get("url_name")
    if url_name is not None and not isinstance(url_name, str):
        raise ImproperlyConfigured(f"{where}: url_name must be a URL name or None.")
    return Channel(code, parse_hours(config["hours"], where=f"{where} hours"), minutes, url_name)


def support_channels() -> list[Channel]:
    """The configured channels, validated."""
    configs = getattr(settings, "SUPPORT_CHANNELS", DEFAULT_CHANNELS)
    if not isinstance(configs, Sequence) or isinstance(configs, str):
        raise ImproperlyConfigured("SUPPORT_CHANNELS: expected a list of channel dicts.")
    channels = [parse_channel(config, index) for index, config in enumerate(configs)]
    codes = [channel.code for channel in channels]
    if duplicates := sorted({code for code in codes if codes.count(code) > 1}):
        raise ImproperlyConfigured(f"SUPPORT_CHANNELS: {', '.join(duplicates)} listed twice.")
    return channels


def utc_offset_text(moment: datetime) -> str:
    """The UTC offset of an aware datetime, such as "UTC+8" or "UTC-3:30"."""
    offset = moment.utcoffset() or timedelta()
    minutes = int(offset.total_seconds()) // 60
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, minutes = divmod(abs(minutes), MINUTES_PER_HOUR)
    return f"UTC{sign}{hours}:{minutes:02d}" if minutes else f"UTC{sign}{hours}"


def clock_text(minutes: int) -> str:
    """Minutes after midnight as "HH:MM"."""
    return f"{minutes // MINUTES_PER_HOUR:02d}:{minutes % MINUTES_PER_HOUR:02d}"


def days_text(days: frozenset[int]) -> str:
    """Weekdays in words: "Every day", "Mon–Fri", "Sat–Mon", "Mon, Wed, Fri"."""
    if len(days) == len(DAY_NAMES):
        return gettext("Every day")
    starts = [day for day in sorted(days) if (day - 1) % 7 not in days]
    first = max(starts) if {0, 6} <= days else min(starts)
    runs: list[list[int]] = []
    for step in range(7):
        day = (first + step) % 7
        if day not in days:
            continue
        if runs and (day - 1) % 7 == runs[-1][-1]:
            runs[-1].append(day)
        else:
            runs.append([day])
    labels = [
        str(DAY_NAMES[run[0]])
        if len(run) == 1
        else pgettext("range of weekdays", "%(first)s–%(last)s")
        % {"first": DAY_NAMES[run[0]], "last": DAY_NAMES[run[-1]]}
        for run in runs
    ]
    return pgettext("separator in a list of weekdays", ", ").join(labels)


def hours_text(schedule: Schedule, zone_text: str) -> str:
    """Opening hours in words, such as "Mon–Fri 09:00–18:00 (UTC+8)"."""
    if schedule is None:
        return gettext("Always open")
    windows = [
        pgettext("opening hours", "%(days)s %(open)s–%(close)s")
        % {
            "days": days_text(window.days),
            "open": clock_text(window.start),
            "close": clock_text(window.end),
        }
        for window in schedule
    ]
    return pgettext("opening hours with time zone", "%(hours)s (%(zone)s)") % {
        "hours": pgettext("separator between opening hours", "; ").join(windows),
        "zone": zone_text,
    }


def response_text(minutes: int) -> str:
    """Expected response time in words: "about 3 minutes", "about 2 hours", "within 24 hours"."""
    if minutes < MINUTES_PER_HOUR:
        return ngettext("about %(count)d minute", "about %(count)d minutes", minutes) % {
            "count": minutes
        }
    if minutes < MINUTES_PER_DAY:
        hours = round(minutes / MINUTES_PER_HOUR)
        return ngettext("about %(count)d hour", "about %(count)d hours", hours) % {"count": hours}
    hours = -(-minutes // MINUTES_PER_HOUR)
    if hours <= 2 * 24:
        return ngettext("within %(count)d hour", "within %(count)d hours", hours) % {"count": hours}
    days = -(-hours // 24)
    return ngettext("within %(count)d day", "within %(count)d days", days) % {"count": days}


def channel_url(url_name: str | None) -> str | None:
    """The URL where a channel starts, or None when it has none or the route does not exist."""
    if not url_name:
        return None
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def channel_calendar(
    schedule: Schedule, *, time_zone: ZoneInfo, holidays: frozenset[date]
) -> BusinessCalendar:
    """A channel's hours as the business-hours engine counts them; holidays close only the
    scheduled ones (the contact form takes tickets every day)."""
    if schedule is None:
        return BusinessCalendar(time_zone=time_zone.key, hours=None)
    return BusinessCalendar(
        time_zone=time_zone.key,
        hours=tuple(
            business_hours.Window(
                days=window.days,
                opens=_wall_clock(window.start),
                closes=_wall_clock(window.end % MINUTES_PER_DAY),
            )
            for window in schedule
        ),
        holidays=holidays,
    )


def _wall_clock(minutes: int) -> time:
    return time(minutes // MINUTES_PER_HOUR, minutes % MINUTES_PER_HOUR)


def channel_status(
    channel: Channel, *, moment: datetime, time_zone: ZoneInfo, holidays: frozenset[date]
) -> ChannelStatus:
    """The status of one channel at an aware moment; its next opening in the support time zone."""
    calendar = channel_calendar(channel.schedule, time_zone=time_zone, holidays=holidays)
    is_open = is_business_time(moment, calendar)
    return ChannelStatus(
        code=channel.code,
        name=str(CHANNEL_NAMES[channel.code]),
        suits=str(CHANNEL_SUITS[channel.code]),
        hours_text=hours_text(channel.schedule, utc_offset_text(moment.astimezone(time_zone))),
        is_open=is_open,
        opens_next=None if is_open else _next_opening(moment, calendar, time_zone),
        response_text=response_text(channel.response_minutes),
        url=channel_url(channel.url_name),
        action_text=str(CHANNEL_ACTIONS[channel.code]),
    )


def _next_opening(
    moment: datetime, calendar: BusinessCalendar, time_zone: ZoneInfo
) -> datetime | None:
    try:
        return next_business_moment(moment, calendar).astimezone(time_zone)
    except ValueError:
        return None  # Closed by holidays for years on end: no opening to announce.


def channel_guide(*, now: datetime | None = None) -> list[ChannelStatus]:
    """The status of every configured channel at `now` (an aware datetime; default: now)."""
    moment = timezone.now() if now is None else now
    if timezone.is_naive(moment):
        raise ValueError("channel_guide() needs an aware datetime for now.")
    time_zone = support_time_zone()
    holidays = support_holidays()
    return [
        channel_status(channel, moment=moment, time_zone=time_zone, holidays=holidays)
        for channel in support_channels()
    ]
