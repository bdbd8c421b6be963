"""Shared fixtures: real-service requirements, per-worker service isolation, users."""

import os
import socket
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings


def service_unavailable(reason: str) -> None:
    """Skip on a laptop; fail in CI, where every service must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def redis_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1):
            return True
    except OSError:
        return False


def worker_redis_url(url: str, worker_id: str) -> str:
    """The same Redis server, but a database of this xdist worker's own (1 for the main process)."""
    index = 1 if worker_id == "master" else 2 + int(worker_id.removeprefix("gw"))
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{index}", parts.query, parts.fragment))


@pytest.fixture(scope="session")
def worker_id(request) -> str:
    """The xdist worker's id (gw0, gw1...), or "master" when the tests run in one process."""
    return getattr(request.config, "workerinput", {}).get("workerid", "master")


@pytest.fixture(autouse=True)
def _isolated_services(settings, worker_id):
    """Give each test worker its own Redis database, and serve static files without a manifest.
    The test client speaks plain HTTP: production's HTTPS redirect is tested on its own."""
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if django_settings.REDIS_URL:
        url = worker_redis_url(django_settings.REDIS_URL, worker_id)
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
        layer = settings.CHANNEL_LAYERS["default"]
        hosts = [{**layer["CONFIG"]["hosts"][0], "address": url}]
        settings.CHANNEL_LAYERS = {
            "default": {**layer, "CONFIG": {**layer["CONFIG"], "hosts": hosts}}
        }


@pytest.fixture(autouse=True)
def _empty_cache(_isolated_services):
    """Each test starts with an empty cache: one test's rate-limit counts (every test client
    posts from 127.0.0.1) and cached values never reach the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _private_files_and_eager_tasks(settings, tmp_path, monkeypatch):
    """Uploads go to a temporary folder; Celery tasks run in the test unless a test starts a
    real worker (it sets task_always_eager back to False itself)."""
    from wallet_support.celery import app as celery_app

    settings.MEDIA_ROOT = str(tmp_path / "media")
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


@pytest.fixture
def postgres(db):
    """The test needs PostgreSQL (DATABASE_URL=postgres://...)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        service_unavailable("needs PostgreSQL: set DATABASE_URL=postgres://...")
    return connection


@pytest.fixture
def redis_url(worker_id):
    """A reachable Redis server for this worker (REDIS_URL=redis://...)."""
    url = django_settings.REDIS_URL
    if not url:
        service_unavailable("needs Redis: set REDIS_URL=redis://...")
    if not redis_reachable(url):
        service_unavailable(f"needs Redis, but nothing answers at {urlsplit(url).netloc}")
    return worker_redis_url(url, worker_id)


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(
        username="agent-fixture", password="a-long-test-password", is_staff=True
    )


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        username="admin-fixture", email="admin@example.com", password="a-long-test-password"
    )


def login_with_second_factor(client, user) -> None:
    """Log `user` in on the test client as if they had passed both log-in steps: a confirmed
    authenticator device, and the session marked verified by it (django-otp's session key)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
