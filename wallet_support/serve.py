"""The production web servers: HTTP pages under gunicorn (WSGI), WebSockets under uvicorn (ASGI).

    python -m wallet_support.serve            # the pages (what the Docker image runs)
    python -m wallet_support.serve sockets    # the live chat's WebSockets (compose's `chat`)

Two servers, routed by path by the TLS proxy in front (`/ws/` to the sockets server, everything
else to the pages; README, "Production"), because each is the fastest for its own traffic
(docs/benchmarks.md, issue 19):

- Django's ASGI handler serves every HTTP request through a fresh one-thread executor and hops
  threads at each sync middleware hook; the bare view served 5 times fewer requests under
  uvicorn than under gunicorn on the same machine, and since a connection belongs to a thread,
  every request also opened a new PostgreSQL connection. Under gunicorn each worker thread lives
  as long as its process and keeps its connection (DATABASE_CONN_MAX_AGE, 60 s here).
- The chat needs uvicorn: it enforces a WebSocket frame limit itself, and `--workers` runs one
  process per core on one port, which the chat needs for 10,000 sockets at 200 messages a second
  on two cores. Its consumers keep their own connections (livechat/db.py); its HTTP requests
  (/healthz, a page asked of the wrong server) still work, with a connection per request.

`WEB_CONCURRENCY` sets the number of processes of either server (both read it), `PORT` the port.
The embedded default (`make run`) stays one development server for both.
"""

import os
import sys
import tempfile
from pathlib import Path

from livechat.limits import SERVER_MAX_FRAME_BYTES

ASGI_APPLICATION = "wallet_support.asgi:application"
WSGI_APPLICATION = "wallet_support.wsgi:application"
# Uvicorn's own logging, with query strings kept out of every line (wallet_support/access_log.py).
LOG_CONFIG = Path(__file__).with_name("uvicorn_logging.json")
# The same as one JSON object a line (LOG_FORMAT=json, wallet_support/logs.py).
LOG_CONFIG_JSON = Path(__file__).with_name("uvicorn_logging_json.json")
# Gunicorn's threads per process: a page waits for PostgreSQL and Redis a few times, and
# another thread renders meanwhile; more only contend for the process's one interpreter lock.
HTTP_THREADS = 4
# How long a pages thread keeps its PostgreSQL connection (its threads never end).
HTTP_CONN_MAX_AGE = 60

# In a container the server must listen on every interface; the proxy in front is the edge.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104

ROLES = ("http", "sockets")


def command(
    *, host: str = ALL_INTERFACES, port: int = 8000, workers: int | None = None
) -> list[str]:
    """The sockets server's command line (uvicorn, the ASGI application); `workers` None leaves
    it to WEB_CONCURRENCY (default 1)."""
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


def http_command(
    *, host: str = ALL_INTERFACES, port: int = 8000, workers: int | None = None
) -> list[str]:
    """The pages server's command line (gunicorn, the WSGI application); `workers` None leaves
    it to WEB_CONCURRENCY (gunicorn's own variable, default 1)."""
    arguments = [
        sys.executable,
        "-m",
        "gunicorn",
        WSGI_APPLICATION,
        "--bind",
        f"{host}:{port}",
        "--worker-class",
        "gthread",
        "--threads",
        str(HTTP_THREADS),
        # Keep-alive for the proxy's connections (a sync worker would close each one).
        "--keep-alive",
        "5",
        "--backlog",
        "4096",
        "--graceful-timeout",
        "20",
        # No access log: a request line carries the query string, a customer's typed words
        # (wallet_support/access_log.py); errors go to standard error.
        "--error-logfile",
        "-",
        # Gunicorn 27 otherwise opens a control socket in the working directory.
        "--no-control-socket",
    ]
    if workers is not None:
        arguments += ["--workers", str(workers)]
    return arguments


def http_environment(environ: dict[str, str]) -> dict[str, str]:
    """The pages server's environment: connections kept unless DATABASE_CONN_MAX_AGE says."""
    return {"DATABASE_CONN_MAX_AGE": str(HTTP_CONN_MAX_AGE), **environ}


def log_format() -> str:
    return os.environ.get("LOG_FORMAT", "").strip().lower() or "plain"


def metrics_directory(role: str) -> Path:
    """Where the server's processes keep their request and socket counters, so /metrics adds
    them up (prometheus-client's multiprocess mode): a folder per role in PROMETHEUS_MULTIPROC_DIR,
    by default in the temporary directory. Emptied here, before the processes start, so figures
    of an earlier run are not counted again; a folder per role, so the pages server starting
    never empties the sockets server's live counters (or races it emptying the same folder)."""
    base = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    directory = Path(base or Path(tempfile.gettempdir()) / "wallet-support-metrics") / role
    directory.mkdir(parents=True, mode=0o700, exist_ok=True)
    for counters in directory.glob("*.db"):
        counters.unlink(missing_ok=True)
    return directory


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    role = argv[0] if argv else "http"
    if role not in ROLES or len(argv) > 1:
        sys.exit(f"usage: python -m wallet_support.serve [{'|'.join(ROLES)}]")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_directory(role))
    port = int(os.environ.get("PORT", "8000"))
    if role == "http":
        arguments = http_command(port=port)
        environ = http_environment(dict(os.environ))
    else:
        arguments = command(port=port)
        environ = dict(os.environ)
    # Replace this process, so the container's stop signal reaches the server directly.
    os.execve(arguments[0], arguments, environ)  # noqa: S606


if __name__ == "__main__":
    main()
