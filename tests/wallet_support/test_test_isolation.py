"""The tests' own Redis databases: never the one REDIS_URL names (a real desk's data)."""

import pytest
from django.conf import settings

from tests.support.services import worker_redis_url
from wallet_support.celery import app as celery_app


@pytest.mark.parametrize("named", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("worker", ["master", "gw0", "gw1", "gw2"])
def test_worker_redis_url_never_names_the_db_of_redis_url(monkeypatch, named, worker):
    monkeypatch.delenv("TEST_REDIS_DB_BASE", raising=False)

    url = worker_redis_url(f"redis://127.0.0.1:6394/{named}", worker)

    assert url.startswith("redis://127.0.0.1:6394/")
    assert url.rsplit("/", 1)[1] != str(named)


def test_worker_redis_urls_of_different_workers_differ(monkeypatch):
    monkeypatch.delenv("TEST_REDIS_DB_BASE", raising=False)
    urls = {worker_redis_url("redis://h/2", worker) for worker in ("master", "gw0", "gw1", "gw2")}

    assert len(urls) == 4


def test_the_tests_send_celery_tasks_to_their_own_db(worker_id):
    if not settings.REDIS_URL:
        pytest.skip("the embedded default has no broker database")
    assert celery_app.conf.broker_url == worker_redis_url(settings.REDIS_URL, worker_id)
    assert celery_app.conf.broker_url != settings.REDIS_URL
