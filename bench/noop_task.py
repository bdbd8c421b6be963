"""The ceiling the routing benchmark compares against: a task that does nothing, on the same
worker and broker (loaded with the worker's --include)."""

import time

from django.core.cache import cache

from wallet_support.celery import app


@app.task(name="bench.noop")
def noop() -> None:
    pass


@app.task(name="bench.noop_done")
def noop_done(key: str = "bench:noop-done") -> None:
    """Record when the worker got here: every task queued before it on its queue was taken."""
    cache.set(key, time.time(), timeout=600)
