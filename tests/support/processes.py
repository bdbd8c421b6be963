"""Real server processes that fault tests start, stop and kill: free ports, a Redis of the
test's own, a Celery worker on it."""

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server on port {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"server on port {port} did not start")


def wait_for(predicate, *, timeout: float, what: str, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


class RedisProcess:
    """A redis-server of this test's own that keeps nothing on disk, so a restart empties it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if REDIS_SERVER is None:
            pytest.skip("needs the redis-server binary")
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail("the test's Redis did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)  # a test may have frozen it (SIGSTOP)
            self.process.terminate()
            self.process.wait(timeout=10)


class CeleryWorker:
    """`celery worker` in a process group of its own, on the app of tests/support/fault_worker.py
    (the project's app plus the pauses a test asks for through the environment)."""

    def __init__(self, env: dict[str, str], *, name: str, log: Path) -> None:
        self.env = env
        self.name = name
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "--app=tests.support.fault_worker",
                "worker",
                "--queues=security,transactions,payments,default",
                "--pool=prefork",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                f"--hostname={self.name}-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL to the whole worker, its main process and its pool: nothing runs a handler,
        nothing is acknowledged or given back to the queue."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def fault_worker_env(*, database_url: str, redis_url: str, fault_dir: Path) -> dict[str, str]:
    """The environment of a worker that a test kills: a lost worker's task comes back after 3 s
    (CELERY_VISIBILITY_TIMEOUT_SECONDS) instead of 6 hours."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "fault-test-secret-key-" + "x" * 40,
        "DJANGO_SETTINGS_MODULE": "wallet_support.settings",
        "CELERY_VISIBILITY_TIMEOUT_SECONDS": "3",
        "FAULT_DIR": str(fault_dir),
    }


def task_runs(log: Path, task: str) -> list[tuple[str, str]]:
    """(task id, outcome) of each run of `task` a worker's log names: succeeded, raised..."""
    pattern = rf"{re.escape(task)}\[([0-9a-f-]{{36}})\] (succeeded|raised|retry)"
    return re.findall(pattern, log.read_text()) if log.exists() else []


def request(
    port: int, method: str, path: str, *, body: str = "", headers=None
) -> tuple[int, bytes]:
    """One plain HTTP request to a server process of the test's: its status and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def healthy(port: int, answers: list | None = None) -> bool:
    """Whether the server's /healthz says every service is ok; each answer kept in `answers`."""
    status, body = request(port, "GET", "/healthz")
    if answers is not None:
        answers.append((status, body.decode()))
    return status == 200 and json.loads(body)["status"] == "ok"


def site_env(**overrides: str) -> dict[str, str]:
    """The environment of a production server process of a test's: this process's own, run as
    in production (DEBUG off) on loopback, with `overrides` (DATABASE_URL, REDIS_URL...)."""
    return {
        **os.environ,
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "wallet_support.settings",
        "DEBUG": "0",
        **overrides,
    }


@contextlib.contextmanager
def serving(env: dict[str, str], *, stderr: Path | None = None):
    """`python -m wallet_support.serve`'s command on a free port, in a process group of its own;
    yields the port once it accepts connections, the process, and stops it on the way out."""
    from wallet_support import serve

    if stderr is None and os.environ.get("FAULT_LOG"):
        stderr = Path(os.environ["FAULT_LOG"])  # a fault test's server log, kept on request
    port = free_port()
    process = subprocess.Popen(
        serve.command(host="127.0.0.1", port=port, workers=1),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr.open("ab") if stderr is not None else subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(port, process)
        yield port, process
    finally:
        stop_server(process)


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
    try:  # over uvicorn's 20 s graceful shutdown, which waits for open sockets to close
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
