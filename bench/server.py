"""Start the site as in production (uvicorn, DEBUG off, collected static files) for benchmarks."""

import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/wallet_support_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
ASGI_APP = "wallet_support.asgi:application"
# The product's application plus the bare relay the chat benchmark compares against.
BENCH_ASGI_APP = "bench.asgi:application"


def bench_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    env.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    env.setdefault("SECRET_KEY", "benchmark-only-secret-key-" + "x" * 30)
    env["DEBUG"] = "0"
    env["SECURE_SSL_REDIRECT"] = "0"  # the benchmark speaks plain HTTP on loopback
    env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env.setdefault("STATIC_ROOT", str(Path(tempfile.gettempdir()) / "wallet-support-bench-static"))
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def ensure_database(env: dict[str, str]) -> None:
    """Create the benchmark database when missing (PostgreSQL only)."""
    url = env["DATABASE_URL"]
    if not url.startswith("postgres"):
        return
    import psycopg2

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(server: str, port: int, workers: int) -> list[str]:
    if server == "daphne":
        if workers != 1:
            raise ValueError("daphne serves from one process")
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), BENCH_ASGI_APP]
    from wallet_support.serve import ASGI_APPLICATION, command

    # The production command line, serving the benchmark's application (bench/asgi.py).
    arguments = command(host="127.0.0.1", port=port, workers=workers)
    arguments[arguments.index(ASGI_APPLICATION)] = BENCH_ASGI_APP
    # Extra uvicorn options to try (say "--ws wsproto"), from the environment.
    extra = os.environ.get("BENCH_SERVER_OPTIONS", "").split()
    return [*arguments, "--no-access-log", *extra]


@contextmanager
def production_server(
    env: dict[str, str], *, log_path: str = os.devnull, server: str = "uvicorn", workers: int = 1
):
    """Yield (port, process) of an ASGI server serving bench.settings; stop it afterwards.

    `server` is "uvicorn" (the production server, wallet_support/serve.py, with `workers`
    processes on one port) or "daphne" (the development server) for comparison. The server may
    open as many files as the machine allows (for benchmarks with thousands of sockets); its log
    goes to `log_path`.
    """
    port = free_port()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            server_command(server, port, workers),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)),
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"the server exited with {process.returncode}") from None
                time.sleep(0.2)
        yield port, process
    finally:
        # The whole process group: a multi-process server's workers must not outlive the run.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
