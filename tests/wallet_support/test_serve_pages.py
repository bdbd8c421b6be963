"""The pages server as production runs it (`python -m wallet_support.serve`: gunicorn, its
threads, kept connections) on the embedded database: cached pages keep every visitor's state
their own (CSRF token, language, session, messages), and its log keeps no query string."""

import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.support.leaks import phrase_found, recovery_phrase
from tests.wallet_support.test_access_log import free_port, wait_for_health
from wallet_support import serve

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = "/faq/account-security/stolen-account-first-minutes/"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
KEY = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"')

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def pages_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("pages-server")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wallet_support.settings",
        "SQLITE_PATH": str(base / "db.sqlite3"),
        "SECRET_KEY": "pages-server-test-only-" + "x" * 40,
        "API_TOKEN_SECRET": "pages-server-test-api-" + "y" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain http:// here: cookies without the Secure flag, so the test's browser sends them.
        "DEBUG": "1",
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": str(base / "static"),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "CI", "DATABASE_CONN_MAX_AGE"):
        env.pop(name, None)
    for command in (["migrate", "--noinput"], ["load_help_centre"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
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
            serve.http_command(host="127.0.0.1", port=port, workers=1),
            cwd=ROOT,
            env=serve.http_environment(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process, log)
        yield url, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


class Visitor:
    """A browser of its own: a cookie jar, a language."""

    def __init__(self, url: str, language: str = "en") -> None:
        self.url, self.language = url, language
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        request = urllib.request.Request(  # noqa: S310 - the test's own http:// server
            self.url + path, headers={"Accept-Language": self.language}
        )
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.read().decode()
        except urllib.error.HTTPError as error:
            return error.read().decode()

    def post(self, path: str, data: dict) -> int:
        request = urllib.request.Request(  # noqa: S310
            self.url + path,
            data=urlencode(data).encode(),
            headers={"Accept-Language": self.language, "Referer": self.url + path},
        )
        try:
            with self.opener.open(request, timeout=20) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def cookie(self, name: str) -> str | None:
        return next((cookie.value for cookie in self.jar if cookie.name == name), None)


def test_each_visitor_of_a_cached_page_gets_a_csrf_token_that_works_for_them(pages_server):
    url, _log = pages_server
    first, second = Visitor(url), Visitor(url)
    first_html, second_html = first.get(ARTICLE), second.get(ARTICLE)

    first_token, second_token = TOKEN.search(first_html)[1], TOKEN.search(second_html)[1]
    assert first_token != second_token
    assert first.cookie("csrftoken") != second.cookie("csrftoken")
    # Each votes with their own page's token; another's cookie with it is refused.
    vote = {"helpful": "yes", "csrfmiddlewaretoken": second_token}
    assert second.post(f"{ARTICLE}vote/", vote) == 200  # the redirect back, followed
    stranger = Visitor(url)
    stranger.get("/faq/")
    assert (
        stranger.post(f"{ARTICLE}vote/", {"helpful": "yes", "csrfmiddlewaretoken": first_token})
        == 403
    )


def test_a_voters_session_and_message_never_reach_another_visitor(pages_server):
    url, _log = pages_server
    voter = Visitor(url)
    token = TOKEN.search(voter.get(ARTICLE))[1]
    voter.post(f"{ARTICLE}vote/", {"helpful": "no", "csrfmiddlewaretoken": token})

    own = voter.get(ARTICLE)
    others = [Visitor(url).get(ARTICLE) for _ in range(4)]  # the server's threads and cache

    assert voter.cookie("sessionid")
    assert "What was missing?" in own
    for page in others:
        assert "What was missing?" not in page
        assert "data-helpful-form" in page


def test_each_language_gets_its_own_cached_page(pages_server):
    url, _log = pages_server
    Visitor(url).get(ARTICLE)

    chinese, english = Visitor(url, "zh-hans").get(ARTICLE), Visitor(url, "en").get(ARTICLE)

    assert 'lang="zh-hans"' in chinese
    assert 'lang="en"' in english


def test_each_visitor_of_the_cached_contact_form_gets_a_key_of_their_own(pages_server):
    url, _log = pages_server
    pages = [Visitor(url).get("/contact/?type=other") for _ in range(3)]

    keys = {KEY.search(page)[1] for page in pages}
    tokens = {TOKEN.search(page)[1] for page in pages}
    assert len(keys) == len(tokens) == 3


def test_the_pages_server_log_keeps_no_query_string(pages_server):
    url, log = pages_server
    phrase = recovery_phrase()
    Visitor(url).get("/faq/search/?" + urlencode({"q": phrase}))
    Visitor(url).get("/faq/missing-page/?" + urlencode({"q": phrase}))

    assert not phrase_found(log.read_text(), phrase)
