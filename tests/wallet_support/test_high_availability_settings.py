"""Redis behind Sentinel and PostgreSQL behind PgBouncer, from the environment
(docs/high-availability.md): every user of Redis is pointed at the sentinels, bad values stop
start-up with one line. The failover itself: test_sentinel_failover.py; PgBouncer:
test_pgbouncer.py."""

import json

import pytest

from tests.wallet_support.test_settings import run_settings

SENTINEL_ENV = {
    "DATABASE_URL": "postgres://support:pw@db.internal:5432/wallet_support",
    "SECRET_KEY": "x" * 50,
    "REDIS_SENTINELS": "10.0.0.11:26379, 10.0.0.12:26380,sentinel-3.internal:26381",
    "REDIS_SENTINEL_MASTER": "desk",
    "REDIS_SENTINEL_PASSWORD": "sentinel-secret",
    "REDIS_PASSWORD": "p@ss/word",
    "REDIS_DB": "3",
}

PRINT_REDIS = """
import json, threading
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import caches
from wallet_support.celery import app
from wallet_support.redis_pool import shared_client

pools = []
def cache_pool():
    pools.append(caches["default"]._cache._get_connection_pool(write=True))
threads = [threading.Thread(target=cache_pool) for _ in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
pool = pools[0]
sentinels = [client.connection_pool.connection_kwargs for client in pool.sentinel_manager.sentinels]
layer = get_channel_layer()
layer_pool = layer.create_pool(0)
with app.connection_for_write() as connection:
    transport = connection.transport_cls
    transport_options = connection.transport_options
print(json.dumps({
    "embedded": settings.EMBEDDED,
    "cache_pool": type(pool).__name__,
    "cache_pools_shared": all(other is pool for other in pools),
    "cache_service": pool.service_name,
    "cache_sentinels": [sentinel["port"] for sentinel in sentinels],
    "sentinel_password": sentinels[0].get("password"),
    "cache_db": pool.connection_kwargs["db"],
    "cache_password": pool.connection_kwargs["password"],
    "metrics_pool": type(shared_client(socket_timeout=1).connection_pool).__name__,
    "metrics_pool_reused": (
        shared_client(socket_timeout=1).connection_pool
        is shared_client(socket_timeout=1).connection_pool
    ),
    "layer_pool": type(layer_pool).__name__,
    "layer_service": layer_pool.service_name,
    "layer_db": layer_pool.connection_kwargs["db"],
    "layer_password": layer_pool.connection_kwargs["password"],
    "broker": settings.CELERY_BROKER_URL,
    "transport": transport,
    "master_name": transport_options["master_name"],
    "broker_sentinel_password": transport_options["sentinel_kwargs"]["password"],
    "publish_retries": app.conf.task_publish_retry_policy["max_retries"],
}))
"""


def test_settings_sentinels_replace_redis_url_for_every_user_of_redis():
    result = run_settings({**SENTINEL_ENV, "REDIS_URL": "redis://old.internal:6379/0"}, PRINT_REDIS)
    assert result.returncode == 0, result.stderr
    chosen = json.loads(result.stdout)

    assert chosen["embedded"] is False
    assert chosen["cache_pool"] == "SentinelConnectionPool"
    assert chosen["cache_pools_shared"] is True  # still one pool per process
    assert chosen["metrics_pool"] == "SentinelConnectionPool"
    assert chosen["metrics_pool_reused"] is True
    assert chosen["cache_service"] == "desk"
    assert chosen["cache_sentinels"] == [26379, 26380, 26381]
    assert chosen["sentinel_password"] == "sentinel-secret"
    assert (chosen["cache_db"], chosen["cache_password"]) == (3, "p@ss/word")
    assert chosen["layer_pool"] == "SentinelConnectionPool"
    assert chosen["layer_service"] == "desk"
    assert (chosen["layer_db"], chosen["layer_password"]) == (3, "p@ss/word")
    assert chosen["broker"] == (
        "sentinel://:p%40ss%2Fword@10.0.0.11:26379/3;"
        "sentinel://:p%40ss%2Fword@10.0.0.12:26380/3;"
        "sentinel://:p%40ss%2Fword@sentinel-3.internal:26381/3"
    )
    assert "old.internal" not in result.stdout
    assert chosen["transport"] == "sentinel"
    assert chosen["master_name"] == "desk"
    assert chosen["broker_sentinel_password"] == "sentinel-secret"
    assert chosen["publish_retries"] >= 10  # rides out an election of a few seconds


def test_settings_sentinels_alone_leave_the_embedded_default():
    code = "from django.conf import settings; print(settings.CELERY_TASK_ALWAYS_EAGER)"
    env = {"SECRET_KEY": "x" * 50, "REDIS_SENTINELS": "127.0.0.1:26379"}

    result = run_settings(env, code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("value", ["10.0.0.11", "10.0.0.11:port", ":26379", "10.0.0.11:26379,x"])
def test_settings_bad_sentinels_stop_with_one_line(value):
    result = run_settings({**SENTINEL_ENV, "REDIS_SENTINELS": value})

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "REDIS_SENTINELS" in lines[0]


PRINT_POOLER = (
    "from django.conf import settings; "
    "print(settings.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS', False))"
)


@pytest.mark.parametrize(
    ("pooler", "disabled"),
    [("", "False"), ("pgbouncer-session", "False"), ("PgBouncer-Transaction", "True")],
)
def test_settings_transaction_pooling_turns_server_side_cursors_off(pooler, disabled):
    env = {**SENTINEL_ENV, "DATABASE_POOLER": pooler}

    result = run_settings(env, PRINT_POOLER)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == disabled


def test_settings_unknown_pooler_stops_with_one_line():
    result = run_settings({**SENTINEL_ENV, "DATABASE_POOLER": "pgpool"}, PRINT_POOLER)

    assert result.returncode == 1
    assert "DATABASE_POOLER" in result.stderr.strip().splitlines()[-1]
    assert len(result.stderr.strip().splitlines()) == 1
