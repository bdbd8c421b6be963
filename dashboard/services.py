"""Writes of the dashboard: its cached figures, filled ahead of the pages or forgotten."""

from django.core.cache import cache

from dashboard.figures import PERIOD_CHOICES, dashboard_compute
from dashboard.selectors import CACHE_SECONDS, dashboard_cache_key


def dashboard_refresh() -> None:
    """Compute every period ahead of the pages (Celery beat, each minute): no page load then
    aggregates a million rows itself. Kept for two intervals, so a late run leaves no gap."""
    for days in PERIOD_CHOICES:
        cache.set(dashboard_cache_key(days=days), dashboard_compute(days=days), 2 * CACHE_SECONDS)


def dashboard_cache_clear() -> None:
    """Forget the cached figures, so the next page computes them afresh."""
    cache.delete_many([dashboard_cache_key(days=days) for days in PERIOD_CHOICES])
