"""The production server's log keeps no query string (issue 17): a phrase typed into a search or
a type-ahead, in the address or the body, is nowhere in what the real server process writes."""

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import quote_plus, urlencode
from uuid import uuid4

import pytest
from uvicorn.logging import AccessFormatter

from tests.support.leaks import phrase_found, recovery_phrase
from wallet_support import serve
from wallet_support.access_log import QueryStringFilter, without_query

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = recovery_phrase()
CHINESE = recovery_phrase("chinese_simplified")


def test_a_path_loses_its_query_and_nothing_else_changes():
    assert without_query("/faq/search/?q=soda+perfect") == "/faq/search/?…"
    assert without_query("/faq/search/") == "/faq/search/"
    assert without_query("127.0.0.1:5000") == "127.0.0.1:5000"
    assert without_query(200) == 200


def test_an_access_line_is_written_without_its_query():
    # As uvicorn's HTTP protocols log a request (uvicorn/protocols/http/h11_impl.py).
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/faq/search/?q={quote_plus(ENGLISH)}", "1.1", 200),
        None,
    )
    QueryStringFilter().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)

    assert line == '127.0.0.1:5000 - "GET /faq/search/?… HTTP/1.1" 200 OK'


def test_the_server_command_uses_the_logging_without_query_strings():
    arguments = serve.command()
    config_path = Path(arguments[arguments.index("--log-config") + 1])
    config = json.loads(config_path.read_text())

    for handler in config["handlers"].values():
        assert handler["filters"] == ["no_query"]
    assert config["filters"]["no_query"]["()"] == "wallet_support.access_log.QueryStringFilter"


# --- the real server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the server exited:\n" + log.read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail("the server did not answer /healthz")


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    """`python -m wallet_support.serve`'s command on the embedded database, its log kept."""
    base = tmp_path_factory.mktemp("access-log")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wallet_support.settings",
        "SQLITE_PATH": str(base / "db.sqlite3"),
        "SECRET_KEY": "access-log-test-only-" + "x" * 40,
        "API_TOKEN_SECRET": "access-log-test-api-" + "y" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "INFO",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "CI"):
        env.pop(name, None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    port = free_port()
    log = base / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            serve.command(host="127.0.0.1", port=port, workers=1),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process, log)
        yield url, process, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(20)


def csrf_token(opener, url: str) -> str:
    with opener.open(f"{url}/faq/") as response:
        page = response.read().decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def to(url: str, **kwargs) -> urllib.request.Request:
    return urllib.request.Request(url, **kwargs)  # noqa: S310 - the test's own http:// server


def send(opener, request: urllib.request.Request) -> int:
    try:
        with opener.open(request, timeout=20) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def open_socket(url: str, path: str) -> None:
    """A WebSocket handshake (refused: no such chat), which uvicorn logs with its path."""
    import asyncio

    import websockets

    async def handshake():
        try:
            async with websockets.connect(url.replace("http", "ws") + path, open_timeout=10):
                pass
        except (websockets.exceptions.WebSocketException, OSError):
            pass

    asyncio.run(handshake())


def test_the_real_servers_log_holds_no_typed_phrase(real_server):
    url, process, log = real_server
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    token = csrf_token(opener, url)
    statuses = {}
    for phrase in (ENGLISH, CHINESE):
        form = urlencode({"q": phrase, "csrfmiddlewaretoken": token}).encode()
        requests = {
            "search posted": to(f"{url}/faq/search/", data=form),
            "type-ahead posted": to(
                f"{url}/faq/suggest/",
                data=urlencode({"q": phrase, "context": "ticket"}).encode(),
                headers={"X-CSRFToken": token, "Accept": "application/json"},
            ),
            "old search link": to(f"{url}/faq/search/?{urlencode({'q': phrase})}"),
            "old type-ahead": to(f"{url}/faq/suggest/?{urlencode({'q': phrase})}"),
            "api search posted": to(
                f"{url}/api/v1/faq/search/",
                data=json.dumps({"q": phrase}).encode(),
                headers={"Content-Type": "application/json"},
            ),
            "api search link": to(f"{url}/api/v1/faq/search/?{urlencode({'q': phrase})}"),
        }
        for name, request in requests.items():
            statuses[name] = send(opener, request)
        open_socket(url, f"/ws/chat/{uuid4()}/?{urlencode({'q': phrase})}")

    os.killpg(process.pid, signal.SIGTERM)
    process.wait(20)
    written = log.read_text()

    assert statuses == {
        "search posted": 200,
        "type-ahead posted": 200,
        "old search link": 200,
        "old type-ahead": 405,
        # The API refuses a phrase searched for (guard), having logged the request.
        "api search posted": 400,
        "api search link": 400,
    }
    # The requests were logged, each with its path and without its query.
    assert '"POST /faq/suggest/ HTTP/1.1" 200' in written
    assert '"GET /faq/search/?… HTTP/1.1" 200' in written
    assert '"GET /api/v1/faq/search/?… HTTP/1.1" 400' in written
    assert re.search(r'"WebSocket /ws/chat/[0-9a-f-]+/\?…"', written), written[-2000:]
    for phrase in (ENGLISH, CHINESE):
        assert phrase_found(written, phrase) is None, phrase_found(written, phrase)
