"""The benchmark server's ASGI application: the product's, plus the bare relay (bench/relay.py)
at `/ws/relay/<conversation>/` on the same process and channel layer."""

import os

from channels.routing import URLRouter
from django.urls import path

from bench.relay import RelayConsumer
from wallet_support.asgi import application as product_application

RELAY_PREFIX = "/ws/relay/"
relay_application = URLRouter([path("ws/relay/<str:conversation>/", RelayConsumer.as_asgi())])


async def application(scope, receive, send):
    if scope["type"] == "websocket" and scope["path"].startswith(RELAY_PREFIX):
        return await relay_application(scope, receive, send)
    return await product_application(scope, receive, send)


def _trace_memory(path: str) -> None:
    """BENCH_TRACEMALLOC=/tmp/chat-memory: each SIGUSR1 dumps a tracemalloc snapshot to
    /tmp/chat-memory.<n> (bench/chat_bench.py sends one before and one after opening sockets)."""
    import itertools
    import signal
    import tracemalloc

    tracemalloc.start(12)
    numbers = itertools.count()

    def dump(signum, frame) -> None:
        tracemalloc.take_snapshot().dump(f"{path}.{next(numbers)}")

    signal.signal(signal.SIGUSR1, dump)


if trace_path := os.environ.get("BENCH_TRACEMALLOC"):
    _trace_memory(trace_path)

if switch_interval := os.environ.get("BENCH_SWITCH_INTERVAL"):  # try a GIL switch interval
    import sys

    sys.setswitchinterval(float(switch_interval))
