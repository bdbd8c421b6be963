"""Database access from the chat consumers.

Django closes a connection after every request when DATABASE_CONN_MAX_AGE is 0, the right
setting for ASGI HTTP (each request runs in a thread of its own, so kept connections would pile
up). Channels' `database_sync_to_async` does the same after every call, so a busy chat would open
a new PostgreSQL connection for every message.

The consumers' calls run instead on a small pool of threads of their own per process
(`CHAT_DATABASE_THREADS`), each keeping its connection for CHAT_CONNECTION_SECONDS: a few
connections per server process, reused, still closed when broken or stale. Channels' default,
asgiref's one thread-sensitive thread, would serialise every chat's database work in a process
behind one connection's round trips: at 200 messages a second that thread was the server's
narrowest point (docs/benchmarks.md). A call is whole on one thread (its transaction included),
and a conversation's posts are still ordered by its row lock, as between server processes.

A process holds at most CHAT_DATABASE_MAX_PENDING calls waiting or running; `overloaded()` tells
the consumer to refuse a new message with a retryable error rather than queue it without bound.
"""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import AsyncToSync, SyncToAsync
from django.conf import settings
from django.db import close_old_connections, connections

CHAT_CONNECTION_SECONDS = 60


# A connection that answered within this many seconds skips Django's health check (a
# `SELECT 1` before its first query in each call): at hundreds of messages a second that
# round trip cost the database thread a tenth of its time. A connection broken meanwhile fails
# its next query, is marked unusable and is replaced on the call after.
HEALTHY_FOR_SECONDS = 5.0

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_pending = 0  # calls submitted and not finished, counted on the event loop


def database_threads() -> int:
    """Threads (and so connections) per process: SQLite takes one writer at a time anyway."""
    default = 4 if connections["default"].vendor == "postgresql" else 1
    return max(1, int(getattr(settings, "CHAT_DATABASE_THREADS", None) or default))


def max_pending() -> int:
    """Calls a process may hold before refusing messages: eight per thread, at a few
    milliseconds a call some tens of milliseconds of waiting (CHAT_DATABASE_MAX_PENDING)."""
    configured = getattr(settings, "CHAT_DATABASE_MAX_PENDING", None)
    return int(configured) if configured else 8 * database_threads()


def chat_executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(
                    max_workers=database_threads(), thread_name_prefix="chat-db"
                )
    return _executor


def pending() -> int:
    """The chat database calls of this process waiting for or running on a thread."""
    return _pending


def overloaded() -> bool:
    """Whether a new message would wait behind more calls than the process may hold."""
    return _pending >= max_pending()


def _keep_connections() -> None:
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.in_atomic_block:
            connection.close_at = now + CHAT_CONNECTION_SECONDS
            if not connection.errors_occurred:
                connection.chat_answered_at = now


def _skip_recent_health_checks() -> None:
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        answered_at = getattr(connection, "chat_answered_at", None)
        if (
            connection.connection is not None
            and answered_at is not None
            and now - answered_at < HEALTHY_FOR_SECONDS
        ):
            connection.health_check_done = True


class ChatDatabaseSyncToAsync(SyncToAsync):
    """`database_sync_to_async` on the chat's thread pool, each thread keeping its connection."""

    def __init__(self, func, **kwargs) -> None:
        super().__init__(func, thread_sensitive=False, executor=None)

    async def __call__(self, *args, **kwargs):
        global _pending
        # An event loop started from sync code (`async_to_sync`: tests, management commands)
        # sends the call back to that code's thread, as thread-sensitive calls go, so it shares
        # that thread's connection and transaction. Under the ASGI server there is none.
        outer_thread = (
            getattr(AsyncToSync.executors, "current", None) is not None
            or asyncio.get_running_loop() in AsyncToSync.loop_thread_executors
        )
        self._thread_sensitive = outer_thread
        self._executor = None if outer_thread else chat_executor()
        _pending += 1
        try:
            return await super().__call__(*args, **kwargs)
        finally:
            _pending -= 1

    def thread_handler(self, loop, *args, **kwargs):
        close_old_connections()
        _skip_recent_health_checks()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            _keep_connections()
            close_old_connections()


chat_db = ChatDatabaseSyncToAsync


def close_thread_connections() -> None:
    """Close the connections every chat thread keeps (tests, or before a database is dropped)."""
    executor = _executor
    if executor is None:
        return
    workers = executor._max_workers
    # Each thread takes one call: none returns before all have started.
    barrier = threading.Barrier(workers)

    def close() -> None:
        barrier.wait(timeout=10)
        connections.close_all()

    for future in [executor.submit(close) for _ in range(workers)]:
        future.result()
