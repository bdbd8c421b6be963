"""The production web server: uvicorn serving the ASGI application, with the chat's limits.

    python -m wallet_support.serve            # what the Docker image runs

Uvicorn rather than daphne in production (daphne still runs `manage.py runserver`): it enforces a
WebSocket frame limit itself, and `--workers` runs one process per core on one port, which the
chat needs for 10,000 sockets at 200 messages a second on two cores (docs/benchmarks.md).
`WEB_CONCURRENCY` sets the number of processes (uvicorn's own variable), `PORT` the port.
"""

import os
import sys
import tempfile
from pathlib import Path

from livechat.limits import SERVER_MAX_FRAME_BYTES

ASGI_APPLICATION = "wallet_support.asgi:application"
# Uvicorn's own logging, with query strings kept out of every line (wallet_support/access_log.py).
LOG_CONFIG = Path(__file__).with_name("uvicorn_logging.json")
# The same as one JSON object a line (LOG_FORMAT=json, wallet_support/logs.py).
LOG_CONFIG_JSON = Path(__file__).with_name("uvicorn_logging_json.json")


# In a container the server must listen on every interface; the proxy in front is the edge.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104


def command(
    *, host: str = ALL_INTERFACES, port: int = 8000, workers: int | None = None
) -> list[str]:
    """The server's command line; `workers` None leaves it to WEB_CONCURRENCY (default 1)."""
    arguments = [
        sys.executable,
        "-m",
        "uvicorn",
        ASGI_APPLICATION,
        "--host",
        host,
        "--port",
        str(port),
        "--proxy-headers",
        "--ws-max-size",
        str(SERVER_MAX_FRAME_BYTES),
        # No permessage-deflate: chat frames are a few hundred bytes, and each socket's zlib
        # contexts were half its memory, 37 of 73 KiB (docs/benchmarks.md).
        "--ws-per-message-deflate",
        "false",
        "--no-server-header",
        "--backlog",
        "4096",
        "--timeout-graceful-shutdown",
        "20",
        "--log-config",
        str(LOG_CONFIG_JSON if log_format() == "json" else LOG_CONFIG),
    ]
    if workers is not None:
        arguments += ["--workers", str(workers)]
    return arguments


def log_format() -> str:
    return os.environ.get("LOG_FORMAT", "").strip().lower() or "plain"


def metrics_directory() -> Path:
    """Where the server's processes keep their request and socket counters, so /metrics adds
    them up (prometheus-client's multiprocess mode): PROMETHEUS_MULTIPROC_DIR, by default a
    folder in the temporary directory. Emptied here, before the processes start, so figures of
    an earlier run are not counted again."""
    directory = Path(
        os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        or Path(tempfile.gettempdir()) / "wallet-support-metrics"
    )
    directory.mkdir(parents=True, mode=0o700, exist_ok=True)
    for counters in directory.glob("*.db"):
        counters.unlink()
    return directory


def main() -> None:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_directory())
    arguments = command(port=int(os.environ.get("PORT", "8000")))
    # Replace this process, so the container's stop signal reaches uvicorn directly.
    os.execv(arguments[0], arguments)  # noqa: S606


if __name__ == "__main__":
    main()
