"""Security headers and production settings: the content-security policy holds on every page
because no page carries inline code, HSTS and secure cookies in production, and Django's
deployment check passes with the production environment."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from faq.models import Article
from faq.services import help_centre_load
from livechat.models import Conversation
from tests.support.auth import login_with_second_factor
from tests.support.factories import make_agent, make_announcement, make_article, make_category
from tests.support.headers import (
    assert_page_runs_under_the_policy,
    csp_directives,
    inspect_page,
)
from tickets.links import ticket_private_url
from tickets.models import Channel, ProblemType
from tickets.services import ticket_create

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ONE_YEAR = 365 * 24 * 60 * 60
ALWAYS_OPEN_CHAT = [
    {"code": "live_chat", "hours": "always", "response_minutes": 3, "url_name": "livechat:chat"}
]


@pytest.fixture(autouse=True)
def _plain_http_answered(settings):
    """Pages are fetched over plain HTTP here even when the run has DEBUG off, as CI has; the
    redirect to HTTPS is tested on its own below."""
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def site(db, settings):
    """A desk with content on every kind of page: the shipped help centre, a live announcement,
    a ticket, an agent online and a chat in progress."""
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN_CHAT
    help_centre_load()
    make_announcement()
    agent = make_agent("transactions", console=True)
    ticket = ticket_create(
        problem_type=ProblemType.ABNORMAL_TRANSACTION,
        channel=Channel.WEB,
        subject="Transfer not received",
        description="I sent 150 USDT yesterday and it has not arrived at the exchange.",
        customer_email="li.wei@example.com",
        customer_name="Li Wei",
    )
    return {"agent": agent, "ticket": ticket}


def public_pages(client, site) -> list[str]:
    article = Article.objects.filter(status=Article.Status.PUBLISHED).first()
    client.post(
        reverse("livechat:start"),
        {
            "name": "Mei",
            "email": "mei@example.com",
            "problem_type": "abnormal_transaction",
            "message": "My USDT transfer shows completed but the exchange did not receive it.",
        },
    )
    conversation = Conversation.objects.get()
    return [
        "/",
        reverse("security"),
        reverse("faq:index"),
        reverse("faq:category", args=[article.category.slug]),
        article.get_absolute_url(),
        reverse("faq:search") + "?q=fee",
        reverse("tickets:contact"),
        reverse("tickets:contact") + "?type=abnormal_transaction",
        reverse("tickets:new_link"),
        ticket_private_url(site["ticket"]),
        reverse("livechat:chat"),
        reverse("livechat:conversation", args=[conversation.public_id]),
        reverse("livechat:verify"),
        reverse("security:login"),
        reverse("admin:login"),
        "/no-such-page/",
    ]


def staff_pages(site, announcement_id: int) -> list[str]:
    ticket = site["ticket"]
    return [
        reverse("admin:index"),
        reverse("admin:tickets_ticket_changelist"),
        reverse("admin:tickets_ticket_change", args=[ticket.pk]),
        reverse("admin:tickets_ticket_add"),
        reverse("admin:announcements_announcement_changelist"),
        reverse("admin:announcements_announcement_add"),
        reverse("admin:announcements_announcement_change", args=[announcement_id]),
        reverse("admin:announcements_announcement_reply_all", args=[announcement_id]),
        reverse("admin:auth_user_change", args=[site["agent"].pk]),
        reverse("dashboard:index"),
        reverse("livechat:agent_console"),
    ]


# --- the policy ----------------------------------------------------------------------------------


def test_policy_allows_only_the_sites_own_files(client, db):
    response = client.get("/")

    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_policy_lets_the_chat_reach_its_own_host_only(client, db):
    plain = csp_directives(client.get("/chat/"))["connect-src"]
    secure = csp_directives(client.get("/chat/", secure=True))["connect-src"]

    assert plain == ["'self'", "ws://testserver"]
    assert secure == ["'self'", "wss://testserver"]


# --- no inline code on any page ------------------------------------------------------------------


def test_finder_flags_every_kind_of_inline_code():
    html = """
      <script>alert(1)</script>
      <script type="application/json" id="data">{"a": 1}</script>
      <script src="/static/js/site.js" defer></script>
      <button onclick="go()">Go</button><img src="x.png" onerror="go()">
      <a href=" JavaScript:go()">Go</a><p style="color: red">Hi</p><style>p {}</style>
    """

    page = inspect_page(html)

    assert len(page.problems) == 6
    assert page.script_sources == ["/static/js/site.js"]


def test_public_pages_carry_no_inline_code(client, site):
    for path in public_pages(client, site):
        assert_page_runs_under_the_policy(client, path)


def test_agent_pages_carry_no_inline_code(client, site, superuser):
    announcement = make_announcement(problem_types=[ProblemType.ABNORMAL_TRANSACTION])
    login_with_second_factor(client, superuser)

    for path in staff_pages(site, announcement.pk):
        assert_page_runs_under_the_policy(client, path)


def test_agent_console_carries_no_inline_code_for_an_agent(client, site):
    login_with_second_factor(client, site["agent"])

    assert_page_runs_under_the_policy(client, reverse("livechat:agent_console"))
    assert_page_runs_under_the_policy(client, reverse("admin:tickets_ticket_changelist"))


# --- production: HTTPS only, HSTS, cookies -------------------------------------------------------


@pytest.fixture
def production(settings):
    """The values settings.py takes with DEBUG off (checked in a subprocess below)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = ONE_YEAR
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    return settings


def test_production_redirects_plain_http_to_https(client, db, production):
    response = client.get("/faq/?q=fee")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/faq/?q=fee"


def test_production_answers_the_health_check_over_plain_http(client, db, production):
    response = client.get("/healthz")

    assert response.status_code in {200, 503}  # answered, not redirected
    assert "Strict-Transport-Security" not in response


def test_production_sends_hsts_and_secure_cookies_over_https(client, db, production):
    response = client.get(reverse("tickets:contact") + "?type=account_frozen", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == f"max-age={ONE_YEAR}; includeSubDomains"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csrf = response.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] is True
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"


def test_production_session_cookie_is_secure_http_only_same_site(client, db, production):
    article = make_article(make_category())

    response = client.post(
        reverse("faq:vote", args=[article.category.slug, article.slug]),
        {"helpful": "yes"},
        secure=True,
    )

    assert response.status_code == 302
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


# --- the deployment check ------------------------------------------------------------------------


def production_environment(**overrides: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SECURE_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="wallet_support.settings",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/wallet_support",
        REDIS_URL="redis://127.0.0.1:6379/0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="support.wallet.example",
        CSRF_TRUSTED_ORIGINS="https://support.wallet.example",
    )
    env.pop("DEBUG", None)  # production is DEBUG's default once the service URLs are set
    env.update(overrides)
    return env


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_passes_with_the_production_settings():
    result = deploy_check(production_environment())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_catches_a_production_setting_turned_off():
    result = deploy_check(production_environment(SECURE_SSL_REDIRECT="0"))

    assert result.returncode == 1
    assert "security.W008" in result.stdout + result.stderr


PRINT_SECURITY_SETTINGS = """
import json
import django
from django.conf import settings
django.setup()
names = [
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "SILENCED_SYSTEM_CHECKS",
]
print(json.dumps({name: getattr(settings, name) for name in names}))
"""


def security_settings(env: dict[str, str]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SECURITY_SETTINGS],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_settings_turn_on_https_hsts_and_secure_cookies():
    chosen = security_settings(production_environment())

    assert chosen == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": ONE_YEAR,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SILENCED_SYSTEM_CHECKS": ["security.W021"],
    }


def test_embedded_default_serves_plain_http_without_hsts():
    env = production_environment()
    del env["DATABASE_URL"], env["REDIS_URL"]

    chosen = security_settings(env)

    assert chosen["DEBUG"] is True
    assert chosen["SECURE_SSL_REDIRECT"] is False
    assert chosen["SECURE_HSTS_SECONDS"] == 0


def test_hsts_preload_when_asked_for_is_checked_again():
    chosen = security_settings(
        production_environment(SECURE_HSTS_PRELOAD="1", SECURE_HSTS_SECONDS="63072000")
    )

    assert chosen["SECURE_HSTS_PRELOAD"] is True
    assert chosen["SECURE_HSTS_SECONDS"] == 63072000
    assert chosen["SILENCED_SYSTEM_CHECKS"] == []
