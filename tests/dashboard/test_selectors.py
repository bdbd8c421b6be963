"""The dashboard's reads: its figures through the cache, and a figure as CSV."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dashboard import figures, selectors, services
from dashboard.figures import Cell, Column, Figure
from tests.support.factories import make_ticket
from tickets.models import Ticket

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def opened_at(moment: datetime) -> Ticket:
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(created_at=moment)
    return ticket


def opened(data: figures.DashboardData) -> int:
    return sum(row.count for row in data.opened)


@pytest.mark.django_db
def test_dashboard_data_is_cached_so_a_reload_does_not_aggregate_again(
    django_assert_num_queries,
):
    with time_machine.travel(NOW, tick=False):
        first = selectors.dashboard_data(days=7)
        opened_at(NOW - timedelta(hours=1))

        with django_assert_num_queries(0):
            again = selectors.dashboard_data(days=7)
        other_period = selectors.dashboard_data(days=30)
        services.dashboard_cache_clear()
        recomputed = selectors.dashboard_data(days=7)

    assert again == first
    assert opened(again) == 0
    assert opened(other_period) == 1
    assert opened(recomputed) == 1


def test_the_cache_keys_are_those_the_pages_already_share(settings):
    # Version 2: the payloads cached before the dashboard had an app of its own are pickles of
    # tickets.reports.DashboardData, which the new code cannot read (nor the old code these).
    settings.TIME_ZONE = "Asia/Shanghai"

    assert [selectors.dashboard_cache_key(days=days) for days in figures.PERIOD_CHOICES] == [
        "dashboard:v2:7:Asia/Shanghai",
        "dashboard:v2:30:Asia/Shanghai",
        "dashboard:v2:90:Asia/Shanghai",
    ]


def test_a_figure_as_csv_lines_starts_with_a_bom_and_ends_with_its_footer():
    figure = Figure(
        name="sla_compliance",
        title="SLA compliance per team",
        summary="",
        columns=[Column(label="Team"), Column(label="Met", csv_label="Met (%)")],
        rows=[[Cell(text="=cmd", value="=cmd"), Cell(text="—", value=None)]],
        footer=[Cell(text="Total", value="Total"), Cell(text="75.0%", value=75.0)],
    )

    lines = list(selectors.figure_csv_lines(figure=figure))

    assert lines[0] == "\ufeff"
    assert list(csv.reader(io.StringIO("".join(lines[1:])))) == [
        ["Team", "Met (%)"],
        ["'=cmd", ""],
        ["Total", "75.0"],
    ]


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+1+2", "'+1+2"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Payments", "Payments"),
        ("充值提现组", "充值提现组"),
        (12, 12),
        (75.5, 75.5),
        (None, ""),
    ],
)
def test_csv_safe_neutralises_formulas(value, safe):
    assert selectors.csv_safe(value) == safe
