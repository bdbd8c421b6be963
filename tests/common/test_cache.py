"""The cache through a Redis outage (common/cache.py), on a redis-server of the test's own that
the test stops, freezes (SIGSTOP: a host that no longer answers) and brings back."""

import os
import signal
import time

import pytest
import redis
from django.core.cache import caches

from common import cache as resilient
from common.cache import CacheUnavailable, ResilientRedisCache


def backend_on(url: str, *, timeout: float = 0.5) -> ResilientRedisCache:
    return ResilientRedisCache(
        url,
        {
            "KEY_PREFIX": "t",
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        },
    )


def test_reads_miss_and_writes_are_skipped_while_redis_is_down(own_redis):
    cache = backend_on(own_redis.url)
    cache.set("kept", "before")
    own_redis.stop()

    assert cache.get("kept", "default") == "default"
    assert cache.get_many(["kept"]) == {}
    assert cache.has_key("kept") is False
    assert cache.add("new", 1) is False
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    cache.set("kept", "during")
    cache.delete("kept")
    with pytest.raises(redis.ConnectionError):
        cache.incr("counter")  # a counter never reads as zero


def test_a_redis_that_hangs_costs_one_timeout_then_none_until_the_retry(own_redis, monkeypatch):
    cache = backend_on(own_redis.url, timeout=0.5)
    cache.set("warm", 1)
    os.kill(own_redis.process.pid, signal.SIGSTOP)

    started = time.monotonic()
    assert cache.get("warm") is None
    first = time.monotonic() - started
    started = time.monotonic()
    for _ in range(50):
        assert cache.get("warm") is None
    following = time.monotonic() - started

    assert first >= 0.4  # the socket's own timeout, once
    assert following < 0.1  # fifty calls without a connection attempt
    with pytest.raises(CacheUnavailable):
        cache.incr("warm")


def test_keys_changed_during_the_outage_are_deleted_when_redis_answers_again(
    own_redis, monkeypatch
):
    """A session deleted (a log-out) while Redis was frozen must not come back from the copy
    Redis still holds."""
    monkeypatch.setattr(resilient, "RETRY_AFTER_SECONDS", 0.3)
    cache = backend_on(own_redis.url)
    cache.set("session:abc", {"user": 7})
    cache.set("announcements", "old")
    cache.set("untouched", "kept")
    os.kill(own_redis.process.pid, signal.SIGSTOP)
    cache.delete("session:abc")  # times out: the outage begins
    cache.set("announcements", "new")  # skipped without trying
    os.kill(own_redis.process.pid, signal.SIGCONT)
    time.sleep(0.4)

    assert cache.get("session:abc") is None
    assert cache.get("announcements") is None  # the old value went with the skipped write
    assert cache.get("untouched") == "kept"
    cache.set("session:abc", {"user": 8})
    assert cache.get("session:abc") == {"user": 8}


def test_all_cache_objects_of_a_process_share_one_outage(own_redis):
    """Django makes a cache object per thread and async context: each must not pay the
    timeout again."""
    first, second = backend_on(own_redis.url), backend_on(own_redis.url)
    own_redis.stop()

    first.get("x")

    assert resilient._outages[tuple(second._servers)].waiting()


def test_the_site_uses_the_resilient_backend_on_redis(settings):
    if not settings.REDIS_URL:
        pytest.skip("the embedded default's cache is in process memory")
    assert isinstance(caches["default"], ResilientRedisCache)
