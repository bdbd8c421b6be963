"""The channel guide: each support channel's hours, whether it is open now and how fast it answers.

Operators override the schedule in settings: `SUPPORT_CHANNELS` (same shape as `DEFAULT_CHANNELS`),
`SUPPORT_TIME_ZONE` (defaults to `TIME_ZONE`) and `SUPPORT_HOLIDAYS` (ISO dates on which every
scheduled channel is closed all day). Hours are wall-clock times in the support time zone; a window
whose close is not after its open ("22:00" to "02:00") runs past midnight into the next day, and
"24:00" may close a window at midnight. common.business_hours parses and checks that format
(`parse_hours`, `parse_holidays`, `parse_time_zone`), as it does a team's working hours; what is
the guide's own (channel codes, response times, URL names, the texts shown to customers, keyed by
code) lives here.

Whether a channel is open now, and when it next opens, common.business_hours answers: the engine
the SLA clocks count in. So a holiday closes a scheduled channel for the whole date, including the
after-midnight part of the evening before's window; channels open "always" stay open on holidays.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from common.business_hours import (
    ALWAYS,
    BusinessCalendar,
    Window,
    is_business_time,
    next_business_moment,
    parse_holidays,
    parse_hours,
    parse_time_zone,
    utc_offset_text,
)

MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
MONDAY_TO_FRIDAY = [0, 1, 2, 3, 4]

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


# The engine's windows (common.business_hours), or None for "always".
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


def support_time_zone() -> ZoneInfo:
    """The time zone in which support hours are given."""
    name = getattr(settings, "SUPPORT_TIME_ZONE", settings.TIME_ZONE)
    return parse_time_zone(name=name, where="SUPPORT_TIME_ZONE")


def support_holidays() -> frozenset[date]:
    """The configured holidays."""
    holidays = getattr(settings, "SUPPORT_HOLIDAYS", [])
    return parse_holidays(holidays=holidays, where="SUPPORT_HOLIDAYS")


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
    schedule = parse_hours(hours=config["hours"], where=f"{where} hours")
    return Channel(code, schedule, minutes, url_name)


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


def clock_text(moment: time, *, at_24: bool = False) -> str:
    """A wall-clock time as "HH:MM"; a midnight close as the config spelled it ("24:00")."""
    return "24:00" if at_24 else f"{moment.hour:02d}:{moment.minute:02d}"


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
            "open": clock_text(window.opens),
            "close": clock_text(window.closes, at_24=window.closes_at_24),
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
    return BusinessCalendar(time_zone=time_zone.key, hours=schedule, holidays=holidays)


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
