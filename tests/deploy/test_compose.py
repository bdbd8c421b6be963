"""docker-compose.yml as written, without Docker: each service's command and health check run
here with the environment compose would give it (`.env.example` with only the edits it marks
EDIT, then the service's `environment:`), against the real PostgreSQL and Redis.

Only what exists inside a container alone is translated: the service names `db` and `redis`
become the PostgreSQL and Redis of this run (a database and a Redis db of the check's own, never
db 0), paths under /app and /tmp a temporary folder, and the web port a free one (PORT, which the
health check reads). The checks: the placeholder SECRET_KEY is refused; `bootstrap` creates the
first admin and loads the help centre, and changes nothing when run again; web's and worker's
health checks pass; beat runs; the site answers its public name and refuses another one.
"""

import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml
from django.conf import settings

from tests.support.services import redis_reachable, service_unavailable

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
# A Redis db of this check's own: the unit tests count up from 1 and the browser journeys down
# from 14 (tests/conftest.py, tests/e2e/conftest.py).
REDIS_DB = int(os.environ.get("TEST_REDIS_COMPOSE_DB") or 15)
PUBLIC_HOST = "support.wallet.example"

pytestmark = [pytest.mark.xdist_group("compose"), pytest.mark.timeout(600)]


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, as compose reads an env_file (no quotes in ours)."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _sep, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}, and $$ for a literal $."""

    def replace(match: re.Match) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3) or ""
        found = variables.get(name, "")
        if operator == ":?" and not found:
            raise ValueError(f"compose refuses to start: {argument}")
        if operator == ":-" and not found:
            return argument
        return found

    value = re.sub(r"\$\{([A-Z_]+)(?:(:-|:\?)([^}]*))?\}", replace, value.replace("$$", "\0"))
    return value.replace("\0", "$")


def documented_edits() -> dict[str, str]:
    """The edits .env.example marks EDIT, as an operator makes them (no mail server: the file
    backend its comment offers)."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "FIRST_ADMIN_PASSWORD": "first-admin-" + secrets.token_hex(8),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": "/app/media/outbox",
    }


def dockerfile_default_command() -> list[str]:
    [line] = [
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD")
    ]
    return json.loads(line.removeprefix("CMD"))


def dockerfile_env() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    [line] = [line for line in text.splitlines() if line.startswith("ENV ")]
    return dict(part.split("=", 1) for part in shlex.split(line.removeprefix("ENV ")))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    """The services' environments and processes for one run."""

    def __init__(self, *, dotenv: dict[str, str], database_url: str, redis_url: str, tmp: Path):
        self.dotenv = dotenv
        self.database_url = database_url
        self.redis_url = redis_url
        self.tmp = tmp
        self.port = free_port()  # web's
        self.ports = {"web": self.port, "chat": free_port()}
        self.processes: dict[str, subprocess.Popen] = {}
        # The image's /tmp and /app/media (the media volume).
        (tmp / "tmp").mkdir()
        (tmp / "app" / "media").mkdir(parents=True)

    def local_path(self, value: str) -> str:
        """A container path (alone, or after an option's "=") in this run's folder."""
        option, equals, path = value.rpartition("=") if value.startswith("--") else ("", "", value)
        for prefix in ("/app/", "/tmp/"):  # noqa: S108 - the container's paths, translated
            if path.startswith(prefix):
                return f"{option}{equals}{self.tmp / path.removeprefix('/')}"
        return value

    def env(self, service: str) -> dict[str, str]:
        definition = SERVICES[service]
        env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **dockerfile_env()}
        env["HOME"] = str(self.tmp)
        env["HOSTNAME"] = socket.gethostname()
        assert definition["env_file"] == ".env"
        env.update(self.dotenv)
        for name, value in definition.get("environment", {}).items():
            env[name] = interpolate(str(value), self.dotenv)
        # What names a container of the stack, translated to this machine.
        assert urlsplit(env["DATABASE_URL"]).hostname == "db"
        assert urlsplit(env["REDIS_URL"]).hostname == "redis"
        env["DATABASE_URL"] = self.database_url
        env["REDIS_URL"] = self.redis_url
        # PATH is this machine's own (it may well lie under /tmp, as a CI clone's venv does).
        env = {
            name: value if name == "PATH" else self.local_path(value) for name, value in env.items()
        }
        env["PORT"] = str(self.ports.get(service, self.port))
        # The image's /app/staticfiles, filled at build time (build_static).
        env["STATIC_ROOT"] = str(self.tmp / "app" / "staticfiles")
        return env

    def build_static(self) -> None:
        """The Dockerfile's collectstatic step, with the build's environment only."""
        text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
        [step] = [line for line in text.splitlines() if "collectstatic" in line and "RUN" in line]
        command = step.removeprefix("RUN ").split("&&")[0]
        env = {
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            **dockerfile_env(),
            "STATIC_ROOT": str(self.tmp / "app" / "staticfiles"),
        }
        subprocess.run(["sh", "-c", command], cwd=ROOT, env=env, check=True, capture_output=True)

    def command(self, service: str) -> list[str]:
        command = SERVICES[service].get("command") or dockerfile_default_command()
        return [self.local_path(part) for part in command]

    def run(self, service: str, **changes) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command(service),
            cwd=ROOT,
            env={**self.env(service), **changes},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def start(self, service: str) -> None:
        log = (self.tmp / f"{service}.log").open("w")
        self.processes[service] = subprocess.Popen(
            self.command(service),
            cwd=ROOT,
            env=self.env(service),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self, service: str) -> str:
        return (self.tmp / f"{service}.log").read_text(errors="replace")[-4000:]

    def health_check(self, service: str) -> subprocess.CompletedProcess:
        check = SERVICES[service]["healthcheck"]
        kind, *test = check["test"]
        timeout = float(check["timeout"].removesuffix("s"))
        if kind == "CMD-SHELL":
            command = ["sh", "-c", test[0].replace("$$", "$")]
        else:
            assert kind == "CMD"
            command = test
        return subprocess.run(
            command,
            cwd=ROOT,
            env=self.env(service),
            capture_output=True,
            text=True,
            timeout=timeout + 5,
            check=False,
        )

    def wait_healthy(self, service: str) -> subprocess.CompletedProcess:
        """Probe as compose does, within its start period plus retries, a little faster."""
        check = SERVICES[service]["healthcheck"]
        start_period = float(str(check.get("start_period", "0s")).removesuffix("s"))
        deadline = time.monotonic() + start_period + 60
        while True:
            process = self.processes[service]
            assert process.poll() is None, f"{service} exited:\n{self.log(service)}"
            result = self.health_check(service)
            if result.returncode == 0 or time.monotonic() > deadline:
                return result
            time.sleep(2)

    def stop(self, service: str) -> float:
        """SIGTERM, as `docker compose stop`; the seconds it took to exit."""
        process = self.processes.pop(service)
        started = time.monotonic()
        if process.poll() is not None:
            return 0.0
        os.killpg(process.pid, signal.SIGTERM)
        grace = float(str(SERVICES[service].get("stop_grace_period", "10s")).removesuffix("s"))
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return float("inf")
        return time.monotonic() - started


def real_services() -> tuple[str, str]:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        service_unavailable("the compose check needs PostgreSQL: set DATABASE_URL=postgres://...")
    if not settings.REDIS_URL:
        service_unavailable("the compose check needs Redis: set REDIS_URL=redis://...")
    if not redis_reachable(settings.REDIS_URL):
        service_unavailable("the compose check needs Redis, but nothing answers at REDIS_URL")
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    server = (
        f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT'] or 5432}"
    )
    parts = urlsplit(settings.REDIS_URL)
    assert parts.path.strip("/") != str(REDIS_DB), "REDIS_URL names the compose check's db"
    redis_url = urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB}", "", ""))
    return server, redis_url


def recreate_database(server: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg2

    admin = psycopg2.connect(f"{server}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    import redis

    server, redis_url = real_services()
    name = f"compose_{settings.DATABASES['default']['NAME']}_{os.getpid()}"
    recreate_database(server, name)
    redis.Redis.from_url(redis_url).flushdb()
    dotenv = {**read_env_file(ROOT / ".env.example"), **documented_edits()}
    stack = Stack(
        dotenv=dotenv,
        database_url=f"{server}/{name}",
        redis_url=redis_url,
        tmp=tmp_path_factory.mktemp("compose"),
    )
    stack.build_static()
    yield stack
    for service in list(stack.processes):
        stack.stop(service)
    redis.Redis.from_url(redis_url).flushdb()
    recreate_database(server, name, drop_only=True)


@pytest.fixture(scope="module")
def bootstrapped(stack):
    """`bootstrap` run twice, as every `docker compose up` runs it."""
    first = stack.run("bootstrap")
    assert first.returncode == 0, first.stdout + first.stderr
    second = stack.run("bootstrap")
    assert second.returncode == 0, second.stdout + second.stderr
    return first, second


@pytest.fixture(scope="module")
def running(stack, bootstrapped):
    for service in ("web", "chat", "worker", "beat"):
        stack.start(service)
    return stack


def query(stack: Stack, sql: str) -> list[tuple]:
    import psycopg2

    with psycopg2.connect(stack.database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_compose_runs_every_app_service_from_the_image_with_the_env_file():
    assert {"db", "redis", "bootstrap", "web", "chat", "worker", "beat"} == set(SERVICES)
    for name in ("bootstrap", "web", "chat", "worker", "beat"):
        assert SERVICES[name]["env_file"] == ".env"
        assert SERVICES[name]["image"] == "wallet-support:latest"
    # The app services start once bootstrap has finished.
    for name in ("web", "chat", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["bootstrap"] == {
            "condition": "service_completed_successfully"
        }
    assert SERVICES["bootstrap"]["restart"] == "no"


def test_compose_publishes_the_web_ports_on_the_loopback_only_and_stops_gracefully():
    from wallet_support import serve

    assert SERVICES["web"]["ports"] == ["127.0.0.1:8000:8000"]
    assert SERVICES["chat"]["ports"] == ["127.0.0.1:8001:8000"]
    # The pages are the image's default command (gunicorn), the chat's sockets uvicorn.
    assert "command" not in SERVICES["web"]
    assert dockerfile_default_command() == ["python", "-m", "wallet_support.serve"]
    assert SERVICES["chat"]["command"] == ["python", "-m", "wallet_support.serve", "sockets"]
    # Each server's graceful shutdown (wallet_support/serve.py) fits in its grace period.
    http, sockets = " ".join(serve.http_command()), " ".join(serve.command())
    assert "--graceful-timeout 20" in http
    assert "--timeout-graceful-shutdown 20" in sockets
    for name in ("web", "chat"):
        assert float(SERVICES[name]["stop_grace_period"].removesuffix("s")) > 20
    assert "stop_grace_period" in SERVICES["worker"]


def test_compose_refuses_to_start_without_the_documented_edits():
    example = read_env_file(ROOT / ".env.example")
    environment = SERVICES["web"]["environment"]
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD"):
        interpolate(environment["DATABASE_URL"], example)


def test_the_example_placeholder_secret_key_is_refused(stack):
    result = stack.run("bootstrap", SECRET_KEY=read_env_file(ROOT / ".env.example")["SECRET_KEY"])

    assert result.returncode != 0
    assert "SECRET_KEY is still the example's placeholder" in result.stderr
    assert query(stack, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_bootstrap_creates_the_first_admin_and_loads_the_help_centre_idempotently(
    stack, bootstrapped
):
    from django.contrib.auth.hashers import check_password

    first, second = bootstrapped
    [(username, password_hash, is_staff)] = query(
        stack, "SELECT username, password, is_staff FROM auth_user WHERE is_superuser"
    )
    [(articles,)] = query(stack, "SELECT count(*) FROM faq_article")

    assert username == stack.dotenv["FIRST_ADMIN_USERNAME"]
    assert is_staff
    assert check_password(stack.dotenv["FIRST_ADMIN_PASSWORD"], password_hash)
    assert articles >= 40
    assert "created" in first.stdout
    assert "exists already" in second.stdout
    assert "0 created" in second.stdout


@pytest.mark.parametrize("service", ["web", "chat"])
def test_the_web_health_checks_pass(running, service):
    result = running.wait_healthy(service)
    assert result.returncode == 0, result.stderr + running.log(service)
    assert "Invalid HTTP_HOST" not in running.log(service)


def test_the_pages_run_under_gunicorn_and_the_sockets_under_uvicorn(running):
    assert running.wait_healthy("web").returncode == 0
    assert running.wait_healthy("chat").returncode == 0

    assert "gunicorn" in running.log("web").lower()
    assert "uvicorn" in running.log("chat").lower() or "Application startup" in running.log("chat")


def test_the_worker_health_check_passes(running):
    result = running.wait_healthy("worker")
    assert result.returncode == 0, result.stdout + result.stderr + running.log("worker")


def test_beat_runs_and_sends_its_schedule(running):
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and "Sending due task" not in running.log("beat"):
        assert running.processes["beat"].poll() is None, running.log("beat")
        time.sleep(1)
    assert "Sending due task" in running.log("beat")
    assert list((running.tmp / "tmp").glob("celerybeat-schedule*")), running.log("beat")


def test_the_site_answers_its_public_name_behind_the_tls_proxy_and_refuses_others(running):
    import http.client

    assert running.wait_healthy("web").returncode == 0

    def get(path: str, host: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
        connection.request("GET", path, headers={"Host": host, "X-Forwarded-Proto": "https"})
        status = connection.getresponse().status
        connection.close()
        return status

    assert get("/faq/", PUBLIC_HOST) == 200
    assert get("/faq/", "attacker.example") == 400


@pytest.mark.parametrize("service", ["web", "chat"])
def test_web_stops_within_its_grace_period(running, service):
    assert running.wait_healthy(service).returncode == 0

    assert running.stop(service) < float(SERVICES[service]["stop_grace_period"].removesuffix("s"))
