"""Reads the dashboard's pages make: the figures through the cache, and a figure as CSV text.

The raw payload (dashboard.figures.DashboardData) is cached per period and time zone for
CACHE_SECONDS; labels are applied per request, so one cached payload serves both languages.
"""

import csv
from collections.abc import Iterator

from django.core.cache import cache
from django.utils import timezone

from dashboard.figures import DEFAULT_PERIOD_DAYS, DashboardData, Figure, dashboard_compute

CACHE_SECONDS = 60
# Bump the version when DashboardData changes shape or module (a pickle names the module): an
# old pickled payload must not be read.
CACHE_KEY = "dashboard:v2:{days}:{time_zone}"  # v2: DashboardData left tickets.reports
# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def dashboard_cache_key(*, days: int) -> str:
    return CACHE_KEY.format(days=days, time_zone=timezone.get_current_timezone_name())


def dashboard_data(*, days: int = DEFAULT_PERIOD_DAYS) -> DashboardData:
    """The dashboard's figures, computed at most once a minute per period."""
    key = dashboard_cache_key(days=days)
    data = cache.get(key)
    if data is None:
        data = dashboard_compute(days=days)
        cache.set(key, data, CACHE_SECONDS)
    return data


def figure_csv_rows(*, figure: Figure) -> Iterator[list[str | int | float]]:
    """The figure as CSV rows: a header, then one row per table row, safe to open in Excel."""
    yield [csv_safe(column.header) for column in figure.columns]
    for row in [*figure.rows, *([figure.footer] if figure.footer else [])]:
        yield [csv_safe(cell.value) for cell in row]


def csv_safe(value: str | int | float | None) -> str | int | float:
    """A cell a spreadsheet shows as text: no formula runs from a team name or a label."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write returns the line, so csv.writer yields it."""

    def write(self, value: str) -> str:
        return value


def figure_csv_lines(*, figure: Figure) -> Iterator[str]:
    """The figure as the lines of a CSV file, after a byte order mark, so Excel reads the
    Chinese as UTF-8; one line at a time, for a streaming response."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in figure_csv_rows(figure=figure):
        yield writer.writerow(row)
