"""Production settings plus a bare "hello" view, so benchmarks compare pages on one server."""

from wallet_support.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405 - one log line per request would skew figures
# The load comes from one address at far more than a person sends: the limits still count every
# message (their cost is part of the figures) but never refuse one.
RATE_LIMITS = {
    scope: {"address": "10000000/10m", "session": "1000000/10m"}
    for scope in RATE_LIMITS  # noqa: F405
}
