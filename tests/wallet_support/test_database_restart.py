"""PostgreSQL stopped and started again under a running production server (issue 21): a cluster of
the test's own (initdb, pg_ctl), so the machine's PostgreSQL is never touched. While it is down,
pages answer 503 with a page in the visitor's language and Retry-After, the API answers JSON, and
nothing is half-saved; once it is back the same server process serves again, no restart.
Runs in CI, where PostgreSQL's binaries are installed; skips where they are not."""

import contextlib
import http.cookies
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support.processes import ROOT, free_port, serving, site_env

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: CI runs as root, so through the postgres user."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


class OwnPostgres:
    def __init__(self) -> None:
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="ws-pg-")
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self.data = os.path.join(self.directory, "data")
        subprocess.run(
            as_postgres(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    self.data,
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
        subprocess.run(
            as_postgres(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    self.data,
                    "-o",
                    options,
                    "-w",
                    "-l",
                    os.path.join(self.directory, "log"),
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"]),
            capture_output=True,
        )

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def site_on_own_postgres(tmp_path, redis_url):
    if PG_BIN is None or (shutil.which("runuser") is None and os.geteuid() == 0):
        pytest.skip("needs PostgreSQL's server binaries (initdb, pg_ctl)")
    database = OwnPostgres()
    database.start()
    env = site_env(
        DATABASE_URL=database.url,
        # Celery's tasks (the confirmation mail) wait in this test worker's Redis database.
        REDIS_URL=redis_url,
        SECURE_SSL_REDIRECT="0",
        API_TOKEN_SECRET="restart-test-secret-of-forty-characters!",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    log = tmp_path / "server.log"
    try:
        with serving(env, stderr=log) as (port, _process):
            yield f"http://127.0.0.1:{port}", database
    finally:
        database.remove()
        print(log.read_text()[-6000:])  # shown when the test fails


class Browser:
    """Cookies and CSRF as a browser keeps them, over urllib. The production settings mark
    cookies Secure, which a cookie jar would not send over this test's plain HTTP."""

    def __init__(self, base: str, language: str = "en") -> None:
        self.base = base
        self.language = language
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(NoRedirect)

    def request(self, path: str, data: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"Accept-Language": self.language, "Referer": self.base + path}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310 - http only
        try:
            response = self.opener.open(request, timeout=20)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or ():
            cookie = http.cookies.SimpleCookie(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        headers = {name.lower(): value for name, value in response.headers.items()}
        return response.status, headers, response.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def hidden_fields(page: str) -> dict[str, str]:
    """The form's hidden inputs: the CSRF token, the submission key, the problem type."""
    fields = {}
    for tag in re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def ticket(browser: Browser, subject: str) -> int:
    status, _headers, page = browser.request("/contact/?type=other")
    assert status == 200
    status, _headers, _page = browser.request(
        "/contact/",
        {
            **hidden_fields(page),
            "subject": subject,
            "description": "My question about the wallet needs a person to look at it, please.",
            "email": "restart@example.com",
        },
    )
    return status


def tickets_with(database_url: str, subject: str) -> int:
    import psycopg2

    with (
        contextlib.closing(
            psycopg2.connect(database_url.replace("postgres://", "postgresql://"))
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT count(*) FROM tickets_ticket WHERE subject = %s", [subject])
        return cursor.fetchone()[0]


def test_pages_answer_503_while_postgresql_is_down_and_serve_again_after(site_on_own_postgres):
    base, database = site_on_own_postgres
    english, chinese = Browser(base, "en"), Browser(base, "zh-hans")
    assert ticket(english, "Before the restart") == 302

    database.stop()
    status, headers, page = english.request("/faq/")
    assert status == 503
    assert headers["retry-after"] == "30"
    assert "Briefly unavailable" in page
    assert "half-saved" in page
    status, _headers, page = chinese.request("/faq/")
    assert status == 503
    assert "暂时无法访问" in page
    # A form sent meanwhile is refused whole, with the page saying so.
    assert ticket(english, "During the outage") in (503,)
    status, headers, body = english.request("/api/v1/faq/")
    assert status == 503
    assert headers["retry-after"] == "30"
    assert json.loads(body)["error"]["code"] == "unavailable"

    database.start()
    deadline = time.monotonic() + 20
    while (status := english.request("/faq/")[0]) != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert status == 200  # the same server process, no restart
    assert ticket(english, "After the restart") == 302
    assert tickets_with(database.url, "Before the restart") == 1
    assert tickets_with(database.url, "During the outage") == 0
    assert tickets_with(database.url, "After the restart") == 1
