"""The support dashboard's figures: aggregated in the database over a period, then labelled.

Every figure is one grouped query (two for percentiles on PostgreSQL) over a range: tickets by
`created_at` or `resolved_at`, the open backlog by `status`, chats by `status` and `queued_at`,
guard events by `created_at`. So the dashboard costs the same number of queries at a hundred
tickets or a million, and reads only the period's rows. The raw payload (DashboardData) is
cached by dashboard.selectors and filled ahead of the pages by dashboard.services; labels are
applied per request (dashboard_figures), so one cached payload serves both languages.

Days run from midnight to midnight in the current time zone (settings.TIME_ZONE).
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Min,
    Q,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from guard.models import SECRET_KIND_CHOICES, GuardEvent
from livechat.models import Conversation
from tickets.models import OPEN_STATUSES, Channel, ProblemType, Status, Ticket
from tickets.sla import FIRST_RESPONSE, RESOLUTION

PERIOD_CHOICES = (7, 30, 90)
DEFAULT_PERIOD_DAYS = 30
RATINGS = (1, 2, 3, 4, 5)
# Open tickets by time since they were opened: (key, lower bound in days, upper bound in days).
BACKLOG_BUCKETS = (
    ("under_1_day", 0, 1),
    ("from_1_to_3_days", 1, 3),
    ("from_3_to_7_days", 3, 7),
    ("over_7_days", 7, None),
)
# First-response charts switch from minutes to hours when the slowest bar passes this.
HOURS_FROM_SECONDS = 3 * 3600


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont: the value at a fraction of the ordered group, interpolated."""

    function = "percentile_cont"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, *, fraction: float, **extra) -> None:
        # Written into the SQL, so it must be a number and nothing else.
        fraction = float(fraction)
        if not 0 <= fraction <= 1:
            raise ValueError("the fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(fraction), **extra)


def percentile_cont(sorted_values: list[float], fraction: float) -> float | None:
    """The same interpolation as PostgreSQL's percentile_cont, over values sorted ascending."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    weight = position - lower
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * weight


@dataclass(frozen=True)
class Period:
    """The last `days` days up to `now`: today and the days before it, whole days."""

    days: int
    start: datetime
    now: datetime

    @property
    def dates(self) -> list[date]:
        first = timezone.localdate(self.start)
        return [first + timedelta(days=offset) for offset in range(self.days)]


def report_period(*, days: int, now: datetime | None = None) -> Period:
    if days not in PERIOD_CHOICES:
        raise ValueError(f"the period must be one of {PERIOD_CHOICES} days")
    now = now or timezone.now()
    first_day = timezone.localdate(now) - timedelta(days=days - 1)
    return Period(
        days=days, start=timezone.make_aware(datetime.combine(first_day, time.min)), now=now
    )


@dataclass(frozen=True)
class DailyCount:
    day: date
    problem_type: str
    channel: str
    count: int


@dataclass(frozen=True)
class ResponseTimes:
    """First response times in seconds (None when no ticket was answered)."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class FirstResponse:
    overall: ResponseTimes
    by_problem_type: dict[str, ResponseTimes]


@dataclass(frozen=True)
class TeamCompliance:
    team_code: str | None
    name_en: str
    name_zh_hans: str
    first_response_total: int
    first_response_met: int
    resolution_total: int
    resolution_met: int


@dataclass(frozen=True)
class Ratings:
    count: int
    average: float | None
    distribution: dict[int, int]


@dataclass(frozen=True)
class Satisfaction:
    tickets: Ratings
    chats: Ratings


@dataclass(frozen=True)
class ChatsNow:
    queued: int
    active: int
    oldest_queued_at: datetime | None


@dataclass(frozen=True)
class GuardCount:
    day: date
    kind: str
    count: int


@dataclass(frozen=True)
class DashboardData:
    """Everything the dashboard shows, as codes and numbers (no labels: they are per language)."""

    period: Period
    computed_at: datetime
    opened: list[DailyCount]
    solved: list[DailyCount]
    first_response: FirstResponse
    sla: list[TeamCompliance]
    backlog: dict[str, dict[str, int]]
    satisfaction: Satisfaction
    chats: ChatsNow
    guard: list[GuardCount]


# Selectors: one figure each, aggregated by the database.


def tickets_opened_per_day(*, period: Period) -> list[DailyCount]:
    """Tickets opened per day, by problem type and channel (one grouped query)."""
    return _daily_counts(Ticket.objects.filter(created_at__gte=period.start), "created_at")


def tickets_solved_per_day(*, period: Period) -> list[DailyCount]:
    """Tickets resolved per day, by problem type and channel; reopened ones no longer count."""
    return _daily_counts(Ticket.objects.filter(resolved_at__gte=period.start), "resolved_at")


def _daily_counts(tickets, timestamp: str) -> list[DailyCount]:
    rows = (
        tickets.annotate(day=TruncDate(timestamp, tzinfo=timezone.get_current_timezone()))
        .values("day", "problem_type", "channel")
        .annotate(count=Count("id"))
        .order_by()
    )
    return [
        DailyCount(
            day=row["day"],
            problem_type=row["problem_type"],
            channel=row["channel"],
            count=row["count"],
        )
        for row in rows
    ]


def first_response_times(*, period: Period) -> FirstResponse:
    """Median and 90th percentile of the first response, for tickets opened in the period.

    PostgreSQL computes the percentiles itself; SQLite has no percentile function, so there the
    period's durations are read and the same interpolation runs in Python.
    """
    answered = Ticket.objects.filter(
        created_at__gte=period.start, first_responded_at__isnull=False
    ).order_by()
    if connection.vendor == "postgresql":
        return first_response_times_in_database(answered)
    return first_response_times_in_python(answered)


def first_response_times_in_database(answered) -> FirstResponse:
    def figures() -> dict:
        waited = ExpressionWrapper(
            F("first_responded_at") - F("created_at"), output_field=DurationField()
        )
        return {
            "count": Count("id"),
            "median": PercentileCont(waited, fraction=0.5, output_field=DurationField()),
            "p90": PercentileCont(waited, fraction=0.9, output_field=DurationField()),
        }

    overall = answered.aggregate(**figures())
    by_type = answered.values("problem_type").annotate(**figures())
    return FirstResponse(
        overall=_response_times(overall),
        by_problem_type={row["problem_type"]: _response_times(row) for row in by_type},
    )


def _response_times(row: dict) -> ResponseTimes:
    def seconds(value: timedelta | None) -> float | None:
        return None if value is None else value.total_seconds()

    return ResponseTimes(count=row["count"], median=seconds(row["median"]), p90=seconds(row["p90"]))


def first_response_times_in_python(answered) -> FirstResponse:
    durations: dict[str, list[float]] = defaultdict(list)
    for problem_type, created, responded in answered.values_list(
        "problem_type", "created_at", "first_responded_at"
    ):
        durations[problem_type].append((responded - created).total_seconds())

    def summary(values: list[float]) -> ResponseTimes:
        values = sorted(values)
        return ResponseTimes(
            count=len(values),
            median=percentile_cont(values, 0.5),
            p90=percentile_cont(values, 0.9),
        )

    everything = [value for values in durations.values() for value in values]
    return FirstResponse(
        overall=summary(everything),
        by_problem_type={key: summary(values) for key, values in durations.items()},
    )


def sla_compliance_per_team(*, period: Period) -> list[TeamCompliance]:
    """Per team, tickets opened in the period with a target, and those not (yet) breached."""
    rows = (
        Ticket.objects.filter(created_at__gte=period.start)
        .filter(FIRST_RESPONSE.targeted() | RESOLUTION.targeted())
        .values("team__code", "team__name_en", "team__name_zh_hans")
        .annotate(
            first_response_total=Count("id", filter=FIRST_RESPONSE.targeted()),
            first_response_met=Count("id", filter=FIRST_RESPONSE.met()),
            resolution_total=Count("id", filter=RESOLUTION.targeted()),
            resolution_met=Count("id", filter=RESOLUTION.met()),
        )
        .order_by()
    )
    teams = [
        TeamCompliance(
            team_code=row["team__code"],
            name_en=row["team__name_en"] or "",
            name_zh_hans=row["team__name_zh_hans"] or "",
            first_response_total=row["first_response_total"],
            first_response_met=row["first_response_met"],
            resolution_total=row["resolution_total"],
            resolution_met=row["resolution_met"],
        )
        for row in rows
    ]
    # Tickets without a team last (databases disagree on where NULL sorts).
    return sorted(teams, key=lambda team: (team.team_code is None, team.team_code or ""))


def backlog_by_age(*, now: datetime) -> dict[str, dict[str, int]]:
    """Open tickets now, per status, by time since they were opened: {status: {bucket: n}}."""
    buckets = {}
    for key, younger_days, older_days in BACKLOG_BUCKETS:
        condition = Q()
        if younger_days:
            condition &= Q(created_at__lte=now - timedelta(days=younger_days))
        if older_days is not None:
            condition &= Q(created_at__gt=now - timedelta(days=older_days))
        # Counting created_at (never null) rather than id lets an index on (status, created_at)
        # answer from the index alone.
        buckets[key] = Count("created_at", filter=condition)
    rows = (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .values("status")
        .annotate(**buckets)
        .order_by()
    )
    backlog = {status: dict.fromkeys(buckets, 0) for status in OPEN_STATUSES}
    for row in rows:
        backlog[row["status"]] = {key: row[key] for key in buckets}
    return backlog


def satisfaction_ratings(*, period: Period) -> Satisfaction:
    """Ratings of tickets resolved in the period and of chats started in it."""
    tickets = Ticket.objects.filter(
        resolved_at__gte=period.start, satisfaction_rating__isnull=False
    ).aggregate(**_rating_figures("satisfaction_rating"))
    # A chat can only be rated once it is closed: (status, queued_at) is the queue's index.
    chats = Conversation.objects.filter(
        status=Conversation.Status.CLOSED, queued_at__gte=period.start, rating__isnull=False
    ).aggregate(**_rating_figures("rating"))
    return Satisfaction(tickets=_ratings(tickets), chats=_ratings(chats))


def _rating_figures(rating_field: str) -> dict:
    return {
        "count": Count("id"),
        "average": Avg(rating_field, output_field=FloatField()),
        **{f"rated_{value}": Count("id", filter=Q(**{rating_field: value})) for value in RATINGS},
    }


def _ratings(row: dict) -> Ratings:
    return Ratings(
        count=row["count"],
        average=row["average"],
        distribution={value: row[f"rated_{value}"] for value in RATINGS},
    )


def chats_now() -> ChatsNow:
    """Chats waiting for an agent and chats with an agent, right now."""
    queued = Q(status=Conversation.Status.QUEUED)
    row = Conversation.objects.filter(
        status__in=[Conversation.Status.QUEUED, Conversation.Status.ACTIVE]
    ).aggregate(
        queued=Count("id", filter=queued),
        active=Count("id", filter=Q(status=Conversation.Status.ACTIVE)),
        oldest_queued_at=Min("queued_at", filter=queued),
    )
    return ChatsNow(**row)


def guard_events_per_day(*, period: Period) -> list[GuardCount]:
    """Secrets the guard refused, per day and kind."""
    rows = (
        GuardEvent.objects.filter(created_at__gte=period.start)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "kind")
        .annotate(count=Count("id"))
        .order_by()
    )
    return [GuardCount(day=row["day"], kind=row["kind"], count=row["count"]) for row in rows]


def dashboard_compute(*, days: int, now: datetime | None = None) -> DashboardData:
    period = report_period(days=days, now=now)
    return DashboardData(
        period=period,
        computed_at=period.now,
        opened=tickets_opened_per_day(period=period),
        solved=tickets_solved_per_day(period=period),
        first_response=first_response_times(period=period),
        sla=sla_compliance_per_team(period=period),
        backlog=backlog_by_age(now=period.now),
        satisfaction=satisfaction_ratings(period=period),
        chats=chats_now(),
        guard=guard_events_per_day(period=period),
    )


# Presentation: the same figure as an HTML table, a CSV file and a chart, in the request's
# language. Every label is a plain str here, so nothing is translated after the request ends.


@dataclass(frozen=True)
class Cell:
    text: str  # as the page shows it
    value: str | int | float | None  # as the CSV file holds it (None: an empty cell)


@dataclass(frozen=True)
class Column:
    label: str
    csv_label: str = ""

    @property
    def header(self) -> str:
        return self.csv_label or self.label


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    summary: str
    columns: list[Column]
    rows: list[list[Cell]]
    chart: dict | None = None
    # A long per-day table, folded away once its chart is drawn.
    daily: bool = False
    footer: list[Cell] = field(default_factory=list)


FIGURE_NAMES = (
    "chats_now",
    "opened_by_problem_type",
    "opened_by_channel",
    "solved_by_problem_type",
    "solved_by_channel",
    "first_response",
    "sla_compliance",
    "backlog_by_age",
    "satisfaction",
    "guard_events",
)

FIGURE_TITLES = {
    "chats_now": gettext_lazy("Live chat now"),
    "opened_by_problem_type": gettext_lazy("Tickets opened per day, by problem type"),
    "opened_by_channel": gettext_lazy("Tickets opened per day, by channel"),
    "solved_by_problem_type": gettext_lazy("Tickets solved per day, by problem type"),
    "solved_by_channel": gettext_lazy("Tickets solved per day, by channel"),
    "first_response": gettext_lazy("First response time"),
    "sla_compliance": gettext_lazy("SLA compliance per team"),
    "backlog_by_age": gettext_lazy("Open tickets by age"),
    "satisfaction": gettext_lazy("Customer satisfaction"),
    "guard_events": gettext_lazy("Secrets refused per day, by kind"),
}


def dashboard_figures(*, data: DashboardData) -> list[Figure]:
    """Every figure of the dashboard, in FIGURE_NAMES order, labelled in the current language."""
    problem_types = list(ProblemType.choices)
    channels = list(Channel.choices)
    dates = data.period.dates
    return [
        _chats_figure(data.chats, now=data.computed_at),
        _daily_figure(
            "opened_by_problem_type",
            _("Tickets by the day they were opened."),
            dates,
            [(row.day, row.problem_type, row.count) for row in data.opened],
            problem_types,
        ),
        _daily_figure(
            "opened_by_channel",
            _("Tickets by the day they were opened."),
            dates,
            [(row.day, row.channel, row.count) for row in data.opened],
            channels,
        ),
        _daily_figure(
            "solved_by_problem_type",
            _(
                "Tickets by the day they were resolved; a reopened ticket counts once, on the day "
                "it was last resolved."
            ),
            dates,
            [(row.day, row.problem_type, row.count) for row in data.solved],
            problem_types,
        ),
        _daily_figure(
            "solved_by_channel",
            _(
                "Tickets by the day they were resolved; a reopened ticket counts once, on the day "
                "it was last resolved."
            ),
            dates,
            [(row.day, row.channel, row.count) for row in data.solved],
            channels,
        ),
        _first_response_figure(data.first_response, problem_types),
        _sla_figure(data.sla),
        _backlog_figure(data.backlog),
        _satisfaction_figure(data.satisfaction),
        _daily_figure(
            "guard_events",
            _(
                "Recovery phrases, private keys and card numbers the desk refused: counted, "
                "never stored."
            ),
            dates,
            [(row.day, row.kind, row.count) for row in data.guard],
            list(SECRET_KIND_CHOICES),
        ),
    ]


def dashboard_figure(*, data: DashboardData, name: str) -> Figure:
    """One figure by name (KeyError for an unknown name)."""
    return {figure.name: figure for figure in dashboard_figures(data=data)}[name]


def chart_data(*, figures: Iterable[Figure]) -> list[dict]:
    return [figure.chart for figure in figures if figure.chart]


def _labels(choices: list[tuple[str, str]], codes: Iterable[str]) -> list[tuple[str, str]]:
    """The choices as (code, label), then any stored code no longer among them."""
    labels = [(code, str(label)) for code, label in choices]
    known = {code for code, _label in labels}
    labels += [(code, code) for code in sorted(set(codes) - known)]
    return labels


def _count_cell(count: int) -> Cell:
    return Cell(text=str(count), value=count)


def _daily_figure(
    name: str,
    summary: str,
    dates: list[date],
    counts: list[tuple[date, str, int]],
    choices: list[tuple[str, str]],
) -> Figure:
    table: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, code, count in counts:
        table[day][code] += count
    series = _labels(choices, (code for _day, code, _count in counts))
    rows = []
    for day in dates:
        by_code = table.get(day, {})
        rows.append(
            [
                Cell(text=day.isoformat(), value=day.isoformat()),
                *(_count_cell(by_code.get(code, 0)) for code, _label in series),
                _count_cell(sum(by_code.values())),
            ]
        )
    totals = [sum(table.get(day, {}).get(code, 0) for day in dates) for code, _label in series]
    return Figure(
        name=name,
        title=str(FIGURE_TITLES[name]),
        summary=summary,
        columns=[
            Column(_("Date")),
            *(Column(label) for _code, label in series),
            Column(_("Total")),
        ],
        rows=rows,
        footer=[
            Cell(text=_("Total"), value=_("Total")),
            *(_count_cell(total) for total in totals),
            _count_cell(sum(totals)),
        ],
        daily=True,
        chart={
            "name": name,
            "stacked": True,
            "integer": True,
            "labels": [day.strftime("%m-%d") for day in dates],
            "datasets": [
                {"label": label, "data": [table.get(day, {}).get(code, 0) for day in dates]}
                for code, label in series
            ],
            "axis": _("Tickets") if name != "guard_events" else _("Refusals"),
        },
    )


def duration_short(seconds: float | None) -> str:
    """ "45 s", "12 min", "3 h 5 min", "2 d 4 h": a response time as agents read it."""
    if seconds is None:
        return "—"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": seconds}
    minutes = seconds // 60
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _duration_cell(seconds: float | None) -> Cell:
    return Cell(text=duration_short(seconds), value=_minutes(seconds))


def _first_response_figure(
    first_response: FirstResponse, problem_types: list[tuple[str, str]]
) -> Figure:
    series = [
        (_("All tickets"), first_response.overall),
        *(
            (label, first_response.by_problem_type.get(code, ResponseTimes(0, None, None)))
            for code, label in _labels(problem_types, first_response.by_problem_type)
        ),
    ]
    slowest = max((times.p90 or 0 for _label, times in series), default=0)
    in_hours = slowest >= HOURS_FROM_SECONDS
    unit = 3600 if in_hours else 60

    def bar(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds / unit, 2)

    return Figure(
        name="first_response",
        title=str(FIGURE_TITLES["first_response"]),
        summary=_(
            "From a ticket being opened to the first reply of an agent, for tickets opened in "
            "the period that have had one; the 90th percentile is the time within which 9 "
            "tickets in 10 were answered."
        ),
        columns=[
            Column(_("Problem type")),
            Column(_("Tickets answered")),
            Column(_("Median"), _("Median (minutes)")),
            Column(_("90th percentile"), _("90th percentile (minutes)")),
        ],
        rows=[
            [
                Cell(text=label, value=label),
                _count_cell(times.count),
                _duration_cell(times.median),
                _duration_cell(times.p90),
            ]
            for label, times in series
        ],
        chart={
            "name": "first_response",
            "horizontal": True,
            "labels": [label for label, _times in series],
            "datasets": [
                {"label": _("Median"), "data": [bar(times.median) for _label, times in series]},
                {
                    "label": _("90th percentile"),
                    "data": [bar(times.p90) for _label, times in series],
                },
            ],
            "axis": _("Hours") if in_hours else _("Minutes"),
        },
    )


def _share(met: int, total: int) -> float | None:
    return None if total == 0 else round(100 * met / total, 1)


def _percent_cell(share: float | None) -> Cell:
    return Cell(text="—" if share is None else f"{share:.1f}%", value=share)


def _team_name(team: TeamCompliance) -> str:
    if team.team_code is None:
        return _("No team")
    if (get_language() or "").startswith("zh") and team.name_zh_hans:
        return team.name_zh_hans
    return team.name_en or team.team_code


def _sla_figure(teams: list[TeamCompliance]) -> Figure:
    rows = []
    first_shares, resolution_shares = [], []
    for team in teams:
        first = _share(team.first_response_met, team.first_response_total)
        resolution = _share(team.resolution_met, team.resolution_total)
        first_shares.append(first)
        resolution_shares.append(resolution)
        name = _team_name(team)
        rows.append(
            [
                Cell(text=name, value=name),
                _count_cell(team.first_response_total),
                _percent_cell(first),
                _count_cell(team.resolution_total),
                _percent_cell(resolution),
            ]
        )
    chart = {
        "name": "sla_compliance",
        "horizontal": True,
        "labels": [row[0].text for row in rows],
        "datasets": [
            {"label": _("First response"), "data": first_shares},
            {"label": _("Resolution"), "data": resolution_shares},
        ],
        "axis": _("Met (%)"),
        "max": 100,
    }
    return Figure(
        name="sla_compliance",
        title=str(FIGURE_TITLES["sla_compliance"]),
        summary=_(
            "Of the tickets opened in the period that have a target, the share that has not "
            "breached it; tickets still within their target count as met."
        ),
        columns=[
            Column(_("Team")),
            Column(_("First response: tickets with a target")),
            Column(_("First response: met"), _("First response: met (%)")),
            Column(_("Resolution: tickets with a target")),
            Column(_("Resolution: met"), _("Resolution: met (%)")),
        ],
        rows=rows,
        chart=chart if rows else None,
    )


BACKLOG_LABELS = {
    "under_1_day": gettext_lazy("Under 1 day"),
    "from_1_to_3_days": gettext_lazy("1 to 3 days"),
    "from_3_to_7_days": gettext_lazy("3 to 7 days"),
    "over_7_days": gettext_lazy("Over 7 days"),
}


def _backlog_figure(backlog: dict[str, dict[str, int]]) -> Figure:
    buckets = [key for key, _younger, _older in BACKLOG_BUCKETS]
    statuses = _labels([c for c in Status.choices if c[0] in OPEN_STATUSES], backlog)
    rows = [
        [
            Cell(text=label, value=label),
            *(_count_cell(backlog[code][bucket]) for bucket in buckets),
            _count_cell(sum(backlog[code].values())),
        ]
        for code, label in statuses
    ]
    totals = [sum(backlog[code][bucket] for code, _label in statuses) for bucket in buckets]
    return Figure(
        name="backlog_by_age",
        title=str(FIGURE_TITLES["backlog_by_age"]),
        summary=_("Tickets not yet resolved or closed, by time since they were opened."),
        columns=[
            Column(_("Status")),
            *(Column(str(BACKLOG_LABELS[bucket])) for bucket in buckets),
            Column(_("Total")),
        ],
        rows=rows,
        footer=[
            Cell(text=_("Total"), value=_("Total")),
            *(_count_cell(total) for total in totals),
            _count_cell(sum(totals)),
        ],
        chart={
            "name": "backlog_by_age",
            "stacked": True,
            "integer": True,
            "labels": [str(BACKLOG_LABELS[bucket]) for bucket in buckets],
            "datasets": [
                {"label": label, "data": [backlog[code][bucket] for bucket in buckets]}
                for code, label in statuses
            ],
            "axis": _("Tickets"),
        },
    )


def _satisfaction_figure(satisfaction: Satisfaction) -> Figure:
    sources = [(_("Tickets"), satisfaction.tickets), (_("Live chats"), satisfaction.chats)]
    rating_labels = [_("Rated %(rating)d") % {"rating": value} for value in RATINGS]
    return Figure(
        name="satisfaction",
        title=str(FIGURE_TITLES["satisfaction"]),
        summary=_(
            "Ratings from 1 to 5 given on tickets resolved in the period and on live chats "
            "started in it."
        ),
        columns=[
            Column(_("Source")),
            Column(_("Ratings")),
            Column(_("Average (1 to 5)")),
            *(Column(label) for label in rating_labels),
        ],
        rows=[
            [
                Cell(text=label, value=label),
                _count_cell(ratings.count),
                Cell(
                    text="—" if ratings.average is None else f"{ratings.average:.2f}",
                    value=None if ratings.average is None else round(ratings.average, 2),
                ),
                *(_count_cell(ratings.distribution[value]) for value in RATINGS),
            ]
            for label, ratings in sources
        ],
        chart={
            "name": "satisfaction",
            "integer": True,
            "labels": rating_labels,
            "datasets": [
                {"label": label, "data": [ratings.distribution[value] for value in RATINGS]}
                for label, ratings in sources
            ],
            "axis": _("Ratings"),
        },
    )


def _chats_figure(chats: ChatsNow, *, now: datetime) -> Figure:
    longest = None if chats.oldest_queued_at is None else (now - chats.oldest_queued_at)
    longest_seconds = None if longest is None else longest.total_seconds()
    return Figure(
        name="chats_now",
        title=str(FIGURE_TITLES["chats_now"]),
        summary=_("Chats at the time the figures were computed."),
        columns=[Column(_("Chats")), Column(_("Now"))],
        rows=[
            [
                Cell(text=_("Waiting for an agent"), value=_("Waiting for an agent")),
                _count_cell(chats.queued),
            ],
            [
                Cell(text=_("With an agent"), value=_("With an agent")),
                _count_cell(chats.active),
            ],
            [
                Cell(text=_("Longest wait"), value=_("Longest wait (minutes)")),
                _duration_cell(longest_seconds),
            ],
        ],
    )
