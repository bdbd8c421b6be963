"""The hourly purge on Celery beat: what outlived its link goes even when nobody visits."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings

from privacy.models import DataRequest
from privacy.tasks import purge_data_requests
from tests.support.factories import make_data_request
from wallet_support.celery import app as celery_app

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def frozen():
    """The clock stands at NOW: the rows are dated from it and the purge reads it."""
    with time_machine.travel(NOW, tick=False):
        yield


def stored(data_request: DataRequest, settings) -> Path:
    return Path(settings.MEDIA_ROOT) / data_request.export_file.name


@pytest.mark.django_db
def test_the_purge_removes_expired_exports_and_unconfirmed_requests_and_keeps_fresh_ones(
    frozen, settings
):
    done = {"status": DataRequest.State.DONE}
    expired_export = make_data_request(
        export=b"{}", completed_at=NOW - timedelta(days=8, hours=1), **done
    )
    # Its link expired 12 hours ago, but a late mail gets a day's grace.
    grace_export = make_data_request(
        export=b"{}", completed_at=NOW - timedelta(days=7, hours=12), **done
    )
    fresh_export = make_data_request(export=b"{}", completed_at=NOW - timedelta(days=1), **done)
    expired_files = [stored(expired_export, settings)]
    kept_files = [stored(grace_export, settings), stored(fresh_export, settings)]
    unconfirmed = make_data_request(
        DataRequest.Kind.DELETE, requested_at=NOW - timedelta(days=1, minutes=1)
    )
    awaiting = make_data_request(DataRequest.Kind.DELETE, requested_at=NOW - timedelta(hours=23))
    confirmed = make_data_request(
        DataRequest.Kind.DELETE,
        status=DataRequest.State.CONFIRMED,
        requested_at=NOW - timedelta(days=3),
    )
    assert all(path.is_file() for path in [*expired_files, *kept_files])

    counts = purge_data_requests.delay().get()

    assert counts == {"exports": 1, "unconfirmed_requests": 1}
    assert not any(path.exists() for path in expired_files)
    assert all(path.is_file() for path in kept_files)
    expired_export.refresh_from_db()
    assert expired_export.export_file.name == ""
    assert expired_export.status == DataRequest.State.DONE  # the record of the request stays
    assert set(DataRequest.objects.values_list("pk", flat=True)) == {
        expired_export.pk,
        grace_export.pk,
        fresh_export.pk,
        awaiting.pk,
        confirmed.pk,
    }
    assert not DataRequest.objects.filter(pk=unconfirmed.pk).exists()


@pytest.mark.django_db
def test_the_purge_run_again_finds_nothing_left(frozen):
    make_data_request(
        export=b"{}", status=DataRequest.State.DONE, completed_at=NOW - timedelta(days=9)
    )
    make_data_request(DataRequest.Kind.DELETE, requested_at=NOW - timedelta(days=2))

    first = purge_data_requests.delay().get()
    again = purge_data_requests.delay().get()

    assert first == {"exports": 1, "unconfirmed_requests": 1}
    assert again == {"exports": 0, "unconfirmed_requests": 0}


def test_beat_runs_the_purge_every_hour_under_its_registered_name():
    [entry] = [
        entry
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == purge_data_requests.name
    ]

    assert purge_data_requests.name in celery_app.tasks
    assert entry["schedule"] == 60 * 60
    # A run that waited past the next one is dropped, not run twice.
    assert entry["options"] == {"queue": "default", "expires": 60 * 60}
