"""GET /healthz names each service, ok or failing."""

import asyncio
import contextlib
import socket
import threading
import time

import pytest
from django.db import connections
from django.urls import reverse

from wallet_support import health
from wallet_support.celery import app as celery_app

DEAD_REDIS = "redis://127.0.0.1:1/0"
SERVICES = {"database", "cache", "channel_layer", "celery_broker"}


@pytest.mark.django_db
def test_healthz_all_services_ok(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == SERVICES
    assert all(check["ok"] for check in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_healthz_reports_the_real_services_when_configured(
    client, postgres, redis_url, monkeypatch
):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)

    checks = client.get(reverse("healthz")).json()["checks"]

    assert checks["database"]["detail"] == "postgresql"
    assert checks["cache"]["detail"] == "ResilientRedisCache"
    assert checks["channel_layer"]["detail"] == "LocalFirstRedisChannelLayer"
    assert checks["celery_broker"]["detail"] == "redis"


@pytest.mark.django_db
def test_healthz_redis_down_fails_cache_layer_and_broker(client, settings, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.ResilientRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": DEAD_REDIS, "socket_connect_timeout": 1}]},
        }
    }
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(celery_app.conf, "broker_url", DEAD_REDIS)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["database"]["ok"] is True
    for name in ("cache", "channel_layer", "celery_broker"):
        assert body["checks"][name]["ok"] is False, name
        assert "Error" in body["checks"][name]["detail"], name


@pytest.mark.django_db
def test_healthz_database_down_fails_database(client, monkeypatch, tmp_path):
    default = connections["default"]
    broken_settings = {**default.settings_dict}
    if default.vendor == "sqlite":
        broken_settings["NAME"] = str(tmp_path / "missing-directory" / "db.sqlite3")
    else:
        broken_settings["PORT"] = "1"
    broken = type(default)(broken_settings)
    monkeypatch.setattr(health, "connection", broken)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == {"ok": False, "detail": "OperationalError"}
    assert body["checks"]["cache"]["ok"] is True


@pytest.fixture
def silent_redis():
    """A server that accepts connections and never answers: a stalled Redis."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.mark.django_db
def test_healthz_answers_within_its_timeout_when_redis_accepts_and_never_answers(
    client, settings, silent_redis, monkeypatch
):
    # Given every Redis-backed service pointed at a server that never answers, with long
    # socket timeouts of their own (the channel layer's is 15 s)
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.ResilientRedisCache",
            "LOCATION": silent_redis,
            "OPTIONS": {"socket_connect_timeout": 30, "socket_timeout": 30},
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": silent_redis, "socket_timeout": 30}]},
        }
    }
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(celery_app.conf, "broker_url", silent_redis)
    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 1.0)

    # When the probe asks
    started = time.monotonic()
    response = client.get(reverse("healthz"))
    elapsed = time.monotonic() - started

    # Then it answers 503 within the bound, naming the stalled services
    assert elapsed < 8, elapsed  # one bound of 1 s, not the services' own 30 s
    assert response.status_code == 503
    checks = response.json()["checks"]
    for name in ("cache", "channel_layer"):
        assert checks[name] == {"ok": False, "detail": "timeout"}, name
    assert checks["celery_broker"]["ok"] is False


def test_run_checks_reports_a_check_that_never_returns_as_timeout(monkeypatch):
    release = threading.Event()

    def stuck() -> health.CheckResult:
        release.wait(30)
        return health.CheckResult(ok=True, detail="too late")

    monkeypatch.setattr(
        health, "CHECKS", {"stuck": stuck, "fine": lambda: health.CheckResult(True, "x")}
    )
    started = time.monotonic()
    results = health.run_checks(timeout=0.5)
    release.set()

    assert time.monotonic() - started < 2
    assert results == {
        "stuck": health.CheckResult(ok=False, detail="timeout"),
        "fine": health.CheckResult(ok=True, detail="x"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["127.0.0.1:8000", "10.0.3.7", "localhost"])
def test_healthz_answers_a_probe_naming_the_instance_not_the_site(client, settings, host):
    """Docker's health check and load balancers name the instance's address, not the site."""
    settings.ALLOWED_HOSTS = ["support.wallet.example"]

    assert client.get("/healthz", HTTP_HOST=host).status_code == 200
    # Every other page still checks the host.
    assert client.get("/", HTTP_HOST=host).status_code == 400
    assert client.get("/faq/", HTTP_HOST="support.wallet.example").status_code == 200


@pytest.fixture
def silent_server():
    """A TCP port that completes connections (the kernel's backlog) and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield listener.getsockname()[1]
    listener.close()


def test_healthz_answers_and_lets_go_when_the_database_accepts_and_never_answers(
    client, monkeypatch, postgres, silent_server, settings
):
    # Given the database check pointed at a PostgreSQL that accepts and never answers, with
    # the production connection options (a stalled server, a half-open network path)
    default = connections["default"]
    stalled = type(default)({**default.settings_dict, "HOST": "127.0.0.1", "PORT": silent_server})
    monkeypatch.setattr(health, "connection", stalled)
    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 1.0)

    # When the probe asks
    started = time.monotonic()
    response = client.get(reverse("healthz"))

    # Then it answers 503 within its bound, the database check as "timeout"
    assert time.monotonic() - started < 4
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "detail": "timeout"}
    # And the check's thread is not left waiting for ever (one more per probe, every 15 s):
    # the connection attempt gives up after DATABASE_CONNECT_TIMEOUT_SECONDS
    connect_timeout = int(default.settings_dict["OPTIONS"]["connect_timeout"])
    deadline = time.monotonic() + connect_timeout + 5
    while any(thread.name == "healthz-database" for thread in threading.enumerate()):
        assert time.monotonic() < deadline, "the database check is still waiting"
        time.sleep(0.1)


@pytest.mark.django_db
def test_healthz_channel_layer_ok_while_sockets_of_the_process_receive(client, redis_url):
    """A chat socket waits on the layer in the server's event loop the whole time it is open;
    the check runs in a loop of its own and must not collide with it (channels-redis refuses a
    second loop receiving on process-local channels)."""
    from asgiref.sync import async_to_sync
    from channels.layers import channel_layers, get_channel_layer

    layer = get_channel_layer()
    receiving = threading.Event()
    done = threading.Event()

    def open_socket() -> None:
        async def wait_on_layer() -> None:
            channel = await layer.new_channel()
            waiting = asyncio.ensure_future(layer.receive(channel))
            await asyncio.sleep(0.2)
            receiving.set()
            while not done.is_set():
                await asyncio.sleep(0.05)
            waiting.cancel()
            # Let the receive leave its section in its own loop: left half-entered, the shared
            # layer would refuse (or keep waiting for) every later socket of this process.
            with contextlib.suppress(asyncio.CancelledError):
                await waiting

        async_to_sync(wait_on_layer)()

    socket_thread = threading.Thread(target=open_socket)
    socket_thread.start()
    try:
        assert receiving.wait(10)
        checks = client.get(reverse("healthz")).json()["checks"]
    finally:
        done.set()
        socket_thread.join(10)
        # The next tests get layers of their own, whatever this one left in the shared one.
        channel_layers._reset_backends("CHANNEL_LAYERS")

    assert checks["channel_layer"] == {"ok": True, "detail": "LocalFirstRedisChannelLayer"}
