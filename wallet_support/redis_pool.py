"""One Redis connection pool per process for Django's cache.

Django keeps a cache object per thread and per async context, and its Redis backend gives every
cache object a connection pool of its own. Under ASGI every request and every WebSocket has its
own context, so each would open its own Redis connection until Redis refused clients (seen at
about 10,000 sockets). Pools made through this class are shared by URL and options instead.
"""

import threading

import redis

_pools: dict[tuple, redis.ConnectionPool] = {}
_lock = threading.Lock()


class SharedConnectionPool(redis.ConnectionPool):
    """`from_url` returns the process's existing pool for the same URL and options."""

    @classmethod
    def from_url(cls, url: str, **kwargs) -> redis.ConnectionPool:
        key = (url, tuple(sorted((name, repr(value)) for name, value in kwargs.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = super().from_url(url, **kwargs)
            return pool
