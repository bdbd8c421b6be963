"""Production settings plus a bare "hello" view, so benchmarks compare pages on one server."""

from wallet_support.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405 - one log line per request would skew figures
