"""Reads of the event webhooks."""

from django.core.cache import cache
from django.db import transaction

from webhooks.models import Subscription

# The active subscriptions, cached: an agent's chat message asks on every post, and the list
# changes only when someone saves it in the admin (subscriptions_forget, on commit).
CACHE_KEY = "webhooks:subscriptions:v1"
CACHE_SECONDS = 60


def _active() -> list[tuple[int, list[str], bool]]:
    rows = cache.get(CACHE_KEY)
    if rows is None:
        rows = [
            (pk, list(events or []), include_text)
            for pk, events, include_text in Subscription.objects.filter(is_active=True)
            .order_by("pk")
            .values_list("pk", "events", "include_text")
        ]
        cache.set(CACHE_KEY, rows, CACHE_SECONDS)
    return rows


def subscriptions_for_event(*, event: str) -> list[Subscription]:
    """The active subscriptions that asked for `event` (only id and include_text loaded)."""
    return [
        Subscription(pk=pk, include_text=include_text)
        for pk, events, include_text in _active()
        if event in events
    ]


def subscriptions_forget() -> None:
    """A subscription changed: the next event reads the list again (now, and after commit)."""
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))
