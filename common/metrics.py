"""Event counters that every process adds to and the metrics endpoint reads (wallet_support/
metrics.py): kept in the cache, which is Redis in production, so the web server's processes and
the Celery workers count together and a restart loses nothing. On the embedded default's
local-memory cache they count within one process.

A counter is one cache key per series and label, with no expiry. Counting never fails the work
that is counted: a cache error is logged and the event goes uncounted.
"""

import logging
from collections.abc import Iterable

from django.core.cache import cache

logger = logging.getLogger(__name__)
KEY_PREFIX = "metrics"


def _key(series: str, label: str) -> str:
    return f"{KEY_PREFIX}:{series}:{label}"


def metrics_count(*, series: str, label: str, amount: int = 1) -> None:
    """Add `amount` to a counter (created at 0 the first time)."""
    key = _key(series, label)
    try:
        cache.add(key, 0, timeout=None)
        cache.incr(key, amount)
    except Exception:
        logger.warning("metrics counter %s not counted: cache error", series, exc_info=True)


def metrics_read(*, series: str, labels: Iterable[str]) -> dict[str, int]:
    """The counters of these labels that exist, in one cache round trip."""
    labels = list(labels)
    found = cache.get_many([_key(series, label) for label in labels])
    return {
        label: int(found[_key(series, label)]) for label in labels if _key(series, label) in found
    }
