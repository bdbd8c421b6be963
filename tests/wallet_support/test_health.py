"""GET /healthz names each service, ok or failing."""

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
    assert checks["cache"]["detail"] == "RedisCache"
    assert checks["channel_layer"]["detail"] == "RedisChannelLayer"
    assert checks["celery_broker"]["detail"] == "redis"


@pytest.mark.django_db
def test_healthz_redis_down_fails_cache_layer_and_broker(client, settings, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
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
