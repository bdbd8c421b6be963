"""Every cache object of a process shares one Redis connection pool."""

import threading

from django.core.cache import caches

from wallet_support.redis_pool import SharedConnectionPool


def test_shared_pool_is_reused_for_the_same_url_and_options():
    first = SharedConnectionPool.from_url("redis://127.0.0.1:1/3", socket_timeout=2)
    second = SharedConnectionPool.from_url("redis://127.0.0.1:1/3", socket_timeout=2)
    other = SharedConnectionPool.from_url("redis://127.0.0.1:1/4", socket_timeout=2)

    assert first is second
    assert other is not first


def test_cache_objects_of_different_threads_share_the_pool(redis_url):
    pools = []

    def use_cache() -> None:
        cache = caches["default"]
        cache.set("pool-check", "1", 5)
        pools.append(cache._cache._get_connection_pool(write=True))

    threads = [threading.Thread(target=use_cache) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(pools) == 3
    assert pools[0] is pools[1] is pools[2]
