"""The dashboard's figures computed ahead of the page by Celery beat."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings

from dashboard import figures, selectors
from dashboard.tasks import refresh_dashboard
from tests.support.factories import make_ticket
from tickets.models import Ticket
from wallet_support.celery import app as celery_app

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.django_db
def test_the_beat_task_computes_every_period_ahead_of_the_page(django_assert_num_queries):
    with time_machine.travel(NOW, tick=False):
        ticket = make_ticket()
        Ticket.objects.filter(pk=ticket.pk).update(created_at=NOW - timedelta(hours=1))
        refresh_dashboard.delay()
        with django_assert_num_queries(0):
            periods = [selectors.dashboard_data(days=days) for days in figures.PERIOD_CHOICES]

    assert [sum(row.count for row in data.opened) for data in periods] == [1, 1, 1]


def test_beat_sends_the_refresh_every_minute_under_the_name_a_worker_knows():
    entry = django_settings.CELERY_BEAT_SCHEDULE["refresh-dashboard"]

    # A worker refuses a task by any other name than the one it was registered under.
    assert entry["task"] == refresh_dashboard.name
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == selectors.CACHE_SECONDS
