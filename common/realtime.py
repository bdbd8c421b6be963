"""Channel-layer events from synchronous code, without holding up the caller.

The chat's writes run on the consumers' single database thread. Sending an event with
`async_to_sync(layer.group_send)` there would block that thread for the Redis round trips, and
every chat in the process would wait behind them. When the sync code was called from an event
loop (a consumer's or a view's `sync_to_async`), the event goes instead to an outbox on that
loop: one task per group with events waiting sends that group's events in the order they were
committed, and groups do not wait for each other (a channels-redis `group_send` was four round
trips to Redis, one now when every member is in this process, common/channel_layer.py: one
sender for the whole process held every chat behind them, at about 200 events a second).
Elsewhere (Celery, management commands, plain tests) it is sent at once.

Delivery is best-effort either way, as with any channel-layer send: the database is the record
and clients fetch what they missed with `resume` (docs/chat-protocol.md).
"""

import asyncio
import logging
import weakref
from collections import deque

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# Per loop: each group's events not yet sent; a group is here while its sender task runs.
_outboxes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, deque]]" = (
    weakref.WeakKeyDictionary()
)
_senders: set[asyncio.Task] = set()


def publish(group: str, event: dict) -> None:
    """Send `event` to `group`, through the calling event loop's outbox when there is one."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _calling_event_loop()
    if loop is None:
        async_to_sync(layer.group_send)(group, event)
        return
    loop.call_soon_threadsafe(_enqueue, loop, layer, group, event)


def _calling_event_loop() -> asyncio.AbstractEventLoop | None:
    """The running loop that is waiting on this thread's sync code, if any (set by asgiref)."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    return loop


def _enqueue(loop: asyncio.AbstractEventLoop, layer, group: str, event: dict) -> None:
    groups = _outboxes.get(loop)
    if groups is None:
        groups = _outboxes[loop] = {}
    waiting = groups.get(group)
    if waiting is not None:
        waiting.append(event)
        return
    groups[group] = deque([event])
    sender = loop.create_task(_send_in_order(groups, group, layer))
    _senders.add(sender)
    sender.add_done_callback(_senders.discard)


async def _send_in_order(groups: dict[str, deque], group: str, layer) -> None:
    waiting = groups[group]
    try:
        while waiting:
            event = waiting.popleft()
            try:
                await layer.group_send(group, event)
            except Exception:
                logger.exception("could not send %s to %s", event.get("type"), group)
    finally:
        # Nothing awaits between the empty check and this: an event enqueued later (on this
        # same loop) starts a sender of its own.
        del groups[group]
