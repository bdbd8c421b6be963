"""The real services the tests use: skip or fail when one is missing, one Redis db per worker."""

import os
import socket
from urllib.parse import urlsplit, urlunsplit

import pytest


def service_unavailable(reason: str) -> None:
    """Skip on a laptop; fail in CI, where every service must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def redis_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1):
            return True
    except OSError:
        return False


def worker_redis_url(url: str, worker_id: str) -> str:
    """The same Redis server, but a database of this xdist worker's own (1 for the main process),
    never the one `url` names: that is the desk's own data when REDIS_URL is a real site's.
    TEST_REDIS_DB_BASE moves the whole range, so two suites on one server stay apart."""
    base = int(os.environ.get("TEST_REDIS_DB_BASE") or 1)
    index = base if worker_id == "master" else base + 1 + int(worker_id.removeprefix("gw"))
    parts = urlsplit(url)
    named = int(parts.path.strip("/") or 0)
    if base <= named <= index:
        index += 1
    return urlunsplit((parts.scheme, parts.netloc, f"/{index}", parts.query, parts.fragment))
