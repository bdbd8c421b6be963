"""The browser journeys' stack, as in production: PostgreSQL and Redis, a uvicorn server process
(`python -m wallet_support.serve`'s command) with DEBUG off and collected static files, and a
real Celery worker, all on a database of their own; Debian's Chromium driven by Playwright.

Without PostgreSQL, Redis or Chromium the journeys skip with the reason (and fail when CI is set).
The test process never touches the ORM while a browser runs: Playwright's sync API keeps an event
loop running in this thread, and Django refuses ORM calls from there. Data is read and written
through `manage.py shell` in the site's environment instead (`Site.django`).
"""

import email
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from tests.support.browser import AGENT_PASSWORD, open_page
from tests.support.services import redis_reachable, service_unavailable

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ["zh-hans", "en"]
SECRET_KEY = "browser-tests-only-secret-key-" + "x" * 30
CELERY_QUEUES = "security,transactions,payments,default"
# One agent per journey and language: an authenticator code is accepted once (replay
# protection), so two log-ins of one agent within 30 seconds would need to wait.
JOURNEYS_WITH_AGENTS = (
    "chat",
    "queue",
    "console",
    "messenger",
    "guard",
    "retry",
    "presence",
    "languages",
    "privacy",
    "workspace",
)
AGENTS = {
    f"{journey}-{language}": (f"WS-2{number:03d}", name)
    for number, (journey, language, name) in enumerate(
        (journey, language, name)
        for journey in JOURNEYS_WITH_AGENTS
        for language, name in (("zh-hans", "王芳"), ("en", "Alex"))
    )
}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    """One xdist worker runs every journey (`--dist loadgroup`), so one server starts."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("e2e"))


def chromium_path() -> str | None:
    found = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float = 30.0, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Site:
    """The running site: its address, environment and the folders it writes to."""

    url: str
    env: dict[str, str]
    mail_dir: Path
    log_dir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    # The Ethereum chain the site's provider is (tests/support/chain.py), in this process.
    chain: object | None = None

    def django(self, code: str) -> str:
        """Run Python in the site's Django (its database); return what it printed."""
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            pytest.fail(f"manage.py shell failed:\n{result.stderr[-3000:]}")
        return result.stdout.strip()

    def mails_to(self, address: str) -> list[email.message.Message]:
        """The mails the site (web process or worker) sent to `address`, oldest first."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            for chunk in path.read_text().split("-" * 79):
                if not chunk.strip():
                    continue
                message = email.message_from_string(chunk.strip())
                if address in (message.get("To") or ""):
                    messages.append(message)
        return messages

    def wait_for_mail(self, address: str, *, count: int = 1) -> email.message.Message:
        found = wait_until(
            lambda: (mails := self.mails_to(address)) and len(mails) >= count and mails,
            timeout=30,
            what=f"mail number {count} to {address} (sent by the Celery worker)",
        )
        return found[count - 1]


CREATE_AGENTS = """
import json
from django.contrib.auth import get_user_model
from agents.models import AgentProfile, Team, TeamMembership
for username, (code, name) in json.loads('%(agents)s').items():
    user = get_user_model().objects.create_user(
        username=username, password='%(password)s', is_staff=True, first_name=name
    )
    AgentProfile.objects.create(user=user, display_name=name, agent_code=code,
                                availability=AgentProfile.Availability.ONLINE)
    for team in Team.objects.all():
        TeamMembership.objects.create(team=team, user=user, is_lead=True)
"""


def e2e_database_url(worker_id: str) -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    name = f"test_{db['NAME']}_browser_{worker_id}"
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


def e2e_redis_url(worker_id: str) -> str:
    """A Redis database of the journeys' own, counted down from 14 (the unit tests of each xdist
    worker count up from 1, tests/conftest.py), so flushing it touches nobody else's data.
    TEST_REDIS_E2E_DB moves the top, so two suites on one server stay apart."""
    top = int(os.environ.get("TEST_REDIS_E2E_DB") or 14)
    index = top if worker_id == "master" else top - 1 - int(worker_id.removeprefix("gw"))
    parts = urlsplit(settings.REDIS_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{index}", parts.query, parts.fragment))


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg2

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen) -> None:
    """The whole process group: uvicorn's and Celery's children must not outlive the tests."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="package")
def site(worker_id, tmp_path_factory) -> Iterator[Site]:
    """The site as in production, with demo data, on a database and a Redis db of its own."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        service_unavailable("the browser journeys need PostgreSQL: set DATABASE_URL=postgres://...")
    if not settings.REDIS_URL:
        service_unavailable("the browser journeys need Redis: set REDIS_URL=redis://...")
    if not redis_reachable(settings.REDIS_URL):
        service_unavailable("the browser journeys need Redis, but nothing answers at REDIS_URL")
    if chromium_path() is None:
        service_unavailable(
            "the browser journeys need Chromium (apt-get install chromium), or CHROMIUM_PATH"
        )

    import redis

    from faq.channels import ALWAYS, DEFAULT_CHANNELS

    # Live chat open around the clock, so the chat journey runs whatever the hour.
    channels = [
        {**channel, "hours": ALWAYS} if channel["code"] == "live_chat" else channel
        for channel in DEFAULT_CHANNELS
    ]
    import importlib.util

    from tests.support.chain import EthereumNode

    base = tmp_path_factory.mktemp("e2e-site")
    # Without eth-tester the other journeys still run; the chain's journey says what is missing.
    chain = EthereumNode() if importlib.util.find_spec("eth_tester") else None
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.e2e.settings",
        "DATABASE_URL": e2e_database_url(worker_id),
        "REDIS_URL": e2e_redis_url(worker_id),
        "SECRET_KEY": SECRET_KEY,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SUPPORT_SITE_URL": url,
        "STATIC_ROOT": str(base / "static"),
        "MEDIA_ROOT": str(base / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(base / "mail"),
        # As in production: the privacy journey reads the logs for anything a customer typed.
        "LOG_LEVEL": "INFO",
        "PORT": str(port),
        "SUPPORT_CHANNELS_JSON": json.dumps(channels),
    }
    if chain is not None:
        env["CHAIN_PROVIDER_ETHEREUM"] = chain.url
    env.pop("CI", None)
    (base / "mail").mkdir()
    recreate_database(env["DATABASE_URL"])
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()

    manage = [sys.executable, "manage.py"]
    site = Site(url=url, env=env, mail_dir=base / "mail", log_dir=base, chain=chain)
    try:
        collect = spawn([*manage, "collectstatic", "--noinput"], env, base / "collectstatic.log")
        subprocess.run(
            [*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        site.processes.append(
            spawn(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "--app=wallet_support",
                    "worker",
                    f"--queues={CELERY_QUEUES}",
                    "--pool=solo",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                    f"--hostname=e2e-{worker_id}-{os.getpid()}@%h",
                ],
                env,
                base / "worker.log",
            )
        )
        subprocess.run(
            [*manage, "seed_demo", "--allow-without-debug"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        site.django(CREATE_AGENTS % {"agents": json.dumps(AGENTS), "password": AGENT_PASSWORD})
        if collect.wait(120) != 0:
            pytest.fail((base / "collectstatic.log").read_text()[-3000:])
        from wallet_support.serve import command

        server = spawn(command(host="127.0.0.1", port=port), env, base / "server.log")
        site.processes.append(server)
        wait_until(lambda: healthy(url) or server.poll() is not None, timeout=60, what="/healthz")
        if server.poll() is not None:
            pytest.fail("the server exited:\n" + (base / "server.log").read_text()[-3000:])
        yield site
    finally:
        for process in site.processes:
            stop(process)
        if chain is not None:
            chain.close()
        recreate_database(env["DATABASE_URL"], drop_only=True)


# Playwright's sync API keeps an event loop running in this thread while it is started, which
# makes Django refuse ORM calls in the unit tests that share this process: so Playwright starts
# and stops with this package (pytest-playwright's own fixtures live for the whole session).
@pytest.fixture(scope="package")
def playwright(site):
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="package")
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": chromium_path()}


@pytest.fixture(scope="package")
def launch_browser(browser_type_launch_args, browser_type):
    def launch(**kwargs):
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser):
    launched = launch_browser()
    yield launched
    launched.close()


@pytest.fixture(scope="package")
def browser_context_args(site):
    return {"base_url": site.url}


@pytest.fixture(params=LANGUAGES)
def language(request) -> str:
    return request.param


@pytest.fixture
def visitor(new_context, site, language):
    """A visitor's browser (its own session), speaking `language`."""
    return open_page(new_context, site, language)
