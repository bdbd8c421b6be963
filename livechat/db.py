"""Database access from the chat consumers.

Django closes a connection after every request when DATABASE_CONN_MAX_AGE is 0, the right
setting for ASGI HTTP (each request runs in a thread of its own, so kept connections would pile
up). Channels' `database_sync_to_async` does the same after every call, so a busy chat would open
a new PostgreSQL connection for every message. Consumers' calls all run on one thread per
process, so that thread keeps its connection for CHAT_CONNECTION_SECONDS instead: one connection
per server process, reused, still closed when broken or stale.
"""

import time

from asgiref.sync import SyncToAsync
from django.db import close_old_connections, connections

CHAT_CONNECTION_SECONDS = 60


# A connection that answered within this many seconds skips Django's health check (a
# `SELECT 1` before its first query in each call): at hundreds of messages a second that
# round trip cost the database thread a tenth of its time. A connection broken meanwhile fails
# its next query, is marked unusable and is replaced on the call after.
HEALTHY_FOR_SECONDS = 5.0


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
    """`database_sync_to_async` that keeps the consumer thread's connection between calls."""

    def thread_handler(self, loop, *args, **kwargs):
        close_old_connections()
        _skip_recent_health_checks()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            _keep_connections()
            close_old_connections()


chat_db = ChatDatabaseSyncToAsync
