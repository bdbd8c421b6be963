"""One Redis connection pool per process for Django's cache, on one Redis or behind Sentinel.

Django keeps a cache object per thread and per async context, and its Redis backend gives every
cache object a connection pool of its own. Under ASGI every request and every WebSocket has its
own context, so each would open its own Redis connection until Redis refused clients (seen at
about 10,000 sockets). Pools made through this class are shared by URL and options instead.

With Sentinel (settings.REDIS_SENTINEL, docs/high-availability.md) the pool asks the sentinels
for the primary on every new connection: after a failover the connections to the old primary
fail once, and the next ones go to the new primary.
"""

import threading

import redis
from redis.sentinel import Sentinel, SentinelConnectionPool

_pools: dict[tuple, redis.ConnectionPool] = {}
_lock = threading.Lock()


def sentinel_pool(sentinel: dict, **options) -> SentinelConnectionPool:
    """A pool of connections to the primary that the sentinels name (`sentinel` is
    settings.REDIS_SENTINEL), with the connection `options` given."""
    manager = Sentinel(sentinel["sentinels"], sentinel_kwargs=sentinel["sentinel_kwargs"])
    return SentinelConnectionPool(
        sentinel["master_name"], manager, **{**sentinel["connection"], **options}
    )


class SharedConnectionPool(redis.ConnectionPool):
    """`from_url` returns the process's existing pool for the same URL and options; with a
    `sentinel` option (settings.REDIS_SENTINEL), a pool on the primary the sentinels name."""

    @classmethod
    def from_url(cls, url: str, **kwargs) -> redis.ConnectionPool:
        key = (url, tuple(sorted((name, repr(value)) for name, value in kwargs.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                sentinel = kwargs.pop("sentinel", None)
                if sentinel is not None:
                    pool = sentinel_pool(sentinel, **kwargs)
                else:
                    pool = super().from_url(url, **kwargs)
                _pools[key] = pool
            return pool


def shared_client(**options) -> redis.Redis:
    """A client on the process's shared pool for the Redis the settings name (REDIS_URL, or the
    primary behind REDIS_SENTINELS), for code outside the cache (the metrics' queue lengths)."""
    from django.conf import settings

    if settings.REDIS_SENTINEL:
        pool = SharedConnectionPool.from_url(
            "sentinel://", sentinel=settings.REDIS_SENTINEL, **options
        )
    else:
        pool = SharedConnectionPool.from_url(settings.REDIS_URL, **options)
    return redis.Redis(connection_pool=pool)
