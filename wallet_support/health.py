"""Health checks of the services the site depends on, each answering ok or the failure.

Every check runs in a thread of its own and is given CHECK_TIMEOUT_SECONDS: a service that
accepts a connection and never answers (a stalled Redis, a blocked channel-layer receive) makes
its check fail with "timeout" instead of holding /healthz, and the load balancer's probe, for ever.
"""

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import uuid4

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import caches
from django.db import connection, connections

from common.cache import ResilientRedisCache
from wallet_support.celery import app as celery_app

# Under the probes' own limits (docker-compose.yml gives the web health check 6 s in all).
CHECK_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


def check_database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return CheckResult(ok=True, detail=connection.vendor)


def check_cache() -> CheckResult:
    cache = caches["default"]
    if isinstance(cache, ResilientRedisCache):
        cache.ping()  # an outage reads as misses there; the check must see the error itself
    key = f"healthz:{uuid4().hex}"
    cache.set(key, "1", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "1":
        return CheckResult(ok=False, detail="value written was not read back")
    return CheckResult(ok=True, detail=type(cache).__name__)


def check_channel_layer() -> CheckResult:
    layer = get_channel_layer()
    if layer is None:
        return CheckResult(ok=False, detail="no channel layer configured")

    async def round_trip() -> bool:
        # A plain channel name, not a process-local one from `new_channel()`: channels-redis
        # lets one event loop at a time receive on those, and the chat sockets of this process
        # receive on them in the server's loop all the time, so the check (in a loop of its own)
        # failed with RuntimeError whenever a socket was open.
        channel = f"healthz.{uuid4().hex}"
        await layer.send(channel, {"type": "healthz.ping"})
        message = await layer.receive(channel)
        return message.get("type") == "healthz.ping"

    async def bounded_round_trip() -> bool:
        return await asyncio.wait_for(round_trip(), timeout=CHECK_TIMEOUT_SECONDS)

    if not async_to_sync(bounded_round_trip)():
        return CheckResult(ok=False, detail="message sent was not received")
    return CheckResult(ok=True, detail=type(layer).__name__)


def check_celery_broker() -> CheckResult:
    if celery_app.conf.task_always_eager:
        return CheckResult(ok=True, detail="eager (tasks run in the web process)")
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=celery_app.conf.broker_connection_timeout)
    return CheckResult(ok=True, detail=conn.transport_cls)


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "cache": check_cache,
    "channel_layer": check_channel_layer,
    "celery_broker": check_celery_broker,
}


def _run_one(check: Callable[[], CheckResult], results: dict, name: str) -> None:
    try:
        results[name] = check()
    except TimeoutError:  # a check's own bound, the same answer as run_checks' one
        results[name] = CheckResult(ok=False, detail="timeout")
    except Exception as error:  # any failure means the service is down
        results[name] = CheckResult(ok=False, detail=type(error).__name__)
    finally:
        connections.close_all()  # this thread's own database connection


def run_checks(*, timeout: float | None = None) -> dict[str, CheckResult]:
    """Run every check side by side, each bounded by `timeout` (CHECK_TIMEOUT_SECONDS); a check
    that raises is reported failing with the error's class name, one still running as "timeout"."""
    timeout = CHECK_TIMEOUT_SECONDS if timeout is None else timeout
    finished: dict[str, CheckResult] = {}
    threads = {
        name: threading.Thread(
            target=_run_one, args=(check, finished, name), name=f"healthz-{name}", daemon=True
        )
        for name, check in CHECKS.items()
    }
    for thread in threads.values():
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads.values():
        thread.join(max(0.0, deadline - time.monotonic()))
    timed_out = CheckResult(ok=False, detail="timeout")
    return {name: finished.get(name, timed_out) for name in CHECKS}
