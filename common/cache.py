"""A Redis cache that a Redis outage turns into cache misses instead of errors.

Django's RedisCache raises on every call while Redis is unreachable, and every public page reads
the cache (announcements, the chat's open-now state, the page cache), so a Redis outage made the
whole site answer 500 although PostgreSQL held everything it needed. Here, while Redis is away:

- reads miss (`get` gives the default, `get_many` nothing) and writes are skipped, so pages
  render from the database;
- after one failure the backend stops trying for `RETRY_AFTER_SECONDS`, so a Redis that hangs
  (a dead host, not a refused port) costs one connect timeout per process, not one per call;
- every key a skipped write or delete would have changed is remembered, and deleted first when
  Redis answers again: a session logged out during the outage is not revived by the copy Redis
  kept. A process that dies meanwhile forgets its list; a Redis restarted empty has none.
- `incr` and `decr` still raise: a counter that cannot count must not read as zero (the rate
  limits fail open on that error, and say so in the log).
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
RETRY_AFTER_SECONDS = 5.0
# Beyond this many stale keys the oldest are not tracked; a bounded list keeps a long outage
# from growing the process without end.
STALE_KEYS_KEPT = 10_000


class CacheUnavailable(RedisConnectionError):
    """Raised by `incr`/`decr` while the backend waits before trying Redis again."""


class _Outage:
    """The outage state of one Redis location, shared by the process's cache objects (Django
    makes one per thread and per async context)."""

    def __init__(self) -> None:
        self.retry_at = 0.0
        self.stale: dict[str, None] = {}  # insertion-ordered set
        self.lock = threading.Lock()

    def waiting(self) -> bool:
        return time.monotonic() < self.retry_at

    def remember(self, keys) -> None:
        with self.lock:
            for key in keys:
                self.stale[key] = None
            while len(self.stale) > STALE_KEYS_KEPT:
                self.stale.pop(next(iter(self.stale)))

    def take_stale(self) -> list[str]:
        with self.lock:
            keys, self.stale = list(self.stale), {}
        return keys


_outages: dict[tuple, _Outage] = {}
_outages_lock = threading.Lock()


def cache_outages_forget() -> None:
    """Forget every outage (tests start each from a reachable Redis)."""
    with _outages_lock:
        _outages.clear()


class ResilientRedisCache(RedisCache):
    def _outage(self) -> _Outage:
        location = tuple(self._servers)
        outage = _outages.get(location)
        if outage is None:
            with _outages_lock:
                outage = _outages.setdefault(location, _Outage())
        return outage

    def _run(self, call, default, *, written=()):
        outage = self._outage()
        if outage.waiting():
            outage.remember(written)
            return default
        try:
            if outage.stale:
                self._delete_stale(outage)
            result = call()
        except OUTAGE_ERRORS as error:
            self._outage_begins(outage, error)
            outage.remember(written)
            return default
        if outage.retry_at:
            outage.retry_at = 0.0
            logger.warning("cache: Redis answers again")
        return result

    def _delete_stale(self, outage: _Outage) -> None:
        keys = outage.take_stale()
        try:
            self._cache.delete_many(keys)
        except OUTAGE_ERRORS:
            outage.remember(keys)
            raise

    def _outage_begins(self, outage: _Outage, error: Exception) -> None:
        first = not outage.retry_at
        outage.retry_at = time.monotonic() + RETRY_AFTER_SECONDS
        if first:
            logger.error(
                "cache: Redis unreachable (%s); serving without the cache, retrying every %d s",
                type(error).__name__,
                RETRY_AFTER_SECONDS,
            )

    def _key(self, key, version):
        return self.make_and_validate_key(key, version=version)

    def get(self, key, default=None, version=None):
        return self._run(
            lambda: super(ResilientRedisCache, self).get(key, default, version), default
        )

    def get_many(self, keys, version=None):
        return self._run(lambda: super(ResilientRedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self._run(lambda: super(ResilientRedisCache, self).has_key(key, version), False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._run(
            lambda: super(ResilientRedisCache, self).set(key, value, timeout, version),
            None,
            written=[self._key(key, version)],
        )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run(
            lambda: super(ResilientRedisCache, self).add(key, value, timeout, version),
            False,
            written=[self._key(key, version)],
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run(
            lambda: super(ResilientRedisCache, self).touch(key, timeout, version),
            False,
            written=[self._key(key, version)],
        )

    def delete(self, key, version=None):
        return self._run(
            lambda: super(ResilientRedisCache, self).delete(key, version),
            False,
            written=[self._key(key, version)],
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run(
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            list(data),
            written=[self._key(key, version) for key in data],
        )

    def delete_many(self, keys, version=None):
        keys = list(keys)
        self._run(
            lambda: super(ResilientRedisCache, self).delete_many(keys, version),
            None,
            written=[self._key(key, version) for key in keys],
        )

    def ping(self) -> None:
        """Ask Redis itself, raising its error: what the health check must see, not a miss."""
        self._cache.get_client(write=True).ping()

    def incr(self, key, delta=1, version=None):
        outage = self._outage()
        if outage.waiting():
            outage.remember([self._key(key, version)])
            raise CacheUnavailable("the cache's Redis is unreachable; retrying shortly")
        try:
            if outage.stale:
                self._delete_stale(outage)
            return super().incr(key, delta, version)
        except OUTAGE_ERRORS as error:
            self._outage_begins(outage, error)
            outage.remember([self._key(key, version)])
            raise

    def clear(self):
        self._run(lambda: super(ResilientRedisCache, self).clear(), None)
