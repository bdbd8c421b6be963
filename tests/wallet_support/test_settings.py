"""The one settings module picks its services from the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_SENTINELS",
    "DATABASE_POOLER",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
)

PRINT_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "debug": settings.DEBUG,
    "db_engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "cache": settings.CACHES["default"]["BACKEND"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "broker": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "csrf_origins": settings.CSRF_TRUSTED_ORIGINS,
}))
"""


def run_settings(env: dict[str, str], code: str = PRINT_SETTINGS) -> subprocess.CompletedProcess:
    clean_env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    clean_env.update(env, DJANGO_SETTINGS_MODULE="wallet_support.settings")
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=PROJECT_ROOT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def settings_for(env: dict[str, str]) -> dict:
    result = run_settings(env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_settings_embedded_default_without_service_urls():
    chosen = settings_for({})

    assert chosen["debug"] is True
    assert chosen["db_engine"] == "django.db.backends.sqlite3"
    assert chosen["db_name"].endswith("db.sqlite3")
    assert chosen["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert chosen["layer"] == "channels.layers.InMemoryChannelLayer"
    assert chosen["broker"] == "memory://localhost/"
    assert chosen["eager"] is True


def test_settings_real_services_from_urls():
    chosen = settings_for(
        {
            "DATABASE_URL": "postgres://support:pw@db.internal:5432/wallet_support",
            "REDIS_URL": "redis://cache.internal:6379/0",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "support.wallet.example, www.support.wallet.example",
            "CSRF_TRUSTED_ORIGINS": "https://support.wallet.example",
        }
    )

    assert chosen["debug"] is False
    assert chosen["db_engine"] == "django.db.backends.postgresql"
    assert chosen["db_name"] == "wallet_support"
    assert chosen["cache"] == "common.cache.ResilientRedisCache"
    assert chosen["layer"] == "common.channel_layer.LocalFirstRedisChannelLayer"
    assert chosen["broker"] == "redis://cache.internal:6379/0"
    assert chosen["eager"] is False
    assert chosen["allowed_hosts"] == ["support.wallet.example", "www.support.wallet.example"]
    assert chosen["csrf_origins"] == ["https://support.wallet.example"]


@pytest.mark.parametrize(
    "env",
    [
        {"DATABASE_URL": "postgres://u@127.0.0.1/db"},
        {"REDIS_URL": "redis://127.0.0.1:6379/0"},
        {"DEBUG": "0"},
    ],
    ids=["database-url", "redis-url", "debug-off"],
)
def test_settings_missing_secret_key_stops_with_one_line(env):
    result = run_settings(env)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0]


BEAT_TASKS = """
import json
from django.conf import settings
from wallet_support.celery import app
app.loader.import_default_modules()
print(json.dumps({
    name: [entry["task"], entry["task"] in app.tasks]
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
}))
"""


def test_settings_every_beat_entry_names_a_registered_task():
    """A beat entry under a name no worker registered is refused by every worker, silently for
    the desk: the SLA check, the dashboard, the purges and, with a mailbox set, the mail fetch."""
    result = run_settings({"SECRET_KEY": "x" * 50, "IMAP_HOST": "imap.example.com"}, BEAT_TASKS)
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)

    assert {"check-slas", "refresh-dashboard", "purge-data-requests", "fetch-mail"} <= set(entries)
    assert [name for name, (_task, registered) in entries.items() if not registered] == []


def test_settings_an_empty_text_variable_means_its_default():
    """`LANGUAGE_CODE=` in an .env file is "use the default", not an empty setting."""
    code = (
        "from django.conf import settings; import json; print(json.dumps([settings.LANGUAGE_CODE,"
        " settings.LOGGING['root']['level'], settings.SUPPORT_TIME_ZONE, settings.TIME_ZONE,"
        " settings.EMAIL_BACKEND]))"
    )
    empty = dict.fromkeys(("LANGUAGE_CODE", "LOG_LEVEL", "SUPPORT_TIME_ZONE", "TIME_ZONE"), "")
    result = run_settings({"SECRET_KEY": "x" * 50, "EMAIL_BACKEND": "", **empty}, code)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "en",
        "INFO",
        "Asia/Shanghai",
        "Asia/Shanghai",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_settings_refuse_the_example_placeholder_secret_key():
    example = (PROJECT_ROOT / ".env.example").read_text()
    [placeholder] = [
        line.split("=", 1)[1] for line in example.splitlines() if line.startswith("SECRET_KEY=")
    ]

    result = run_settings({"SECRET_KEY": placeholder, "DATABASE_URL": "postgres://h/db"})

    assert result.returncode != 0
    assert "placeholder" in result.stderr
    assert placeholder not in result.stderr


def test_settings_read_email_file_path():
    code = "from django.conf import settings; print(settings.EMAIL_FILE_PATH)"
    result = run_settings({"SECRET_KEY": "x" * 50, "EMAIL_FILE_PATH": "/srv/outbox"}, code)

    assert result.stdout.strip() == "/srv/outbox"
