"""Rate limits against a script rather than a browser: one that sends no cookie, drops the one
it was given, makes one up, or claims another address in X-Forwarded-For. Each must meet a limit
as strict as a session's (security/ratelimit.py, the `fresh` key), while a customer who keeps
their session, behind the same address, keeps their own limit."""

import secrets
from uuid import uuid4

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from security.ratelimit import SCOPES
from tests.support.factories import contact_data, make_agent
from tickets import services
from tickets.models import Channel, ProblemType, Ticket

FRESH_LIMIT = 3
SESSION_LIMIT = 5
ADDRESS_LIMIT = 50
CONTACT = reverse("tickets:contact") + f"?type={ProblemType.OTHER}"


@pytest.fixture(autouse=True)
def script_limits(settings):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {
        scope: {
            "address": f"{ADDRESS_LIMIT}/10m",
            "session": f"{SESSION_LIMIT}/10m",
            "fresh": f"{FRESH_LIMIT}/10m",
        }
        for scope in SCOPES
    }


def cookieless() -> Client:
    """A new client for every request: no cookie is ever sent back."""
    return Client()


def made_up_cookie() -> Client:
    client = Client()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = secrets.token_hex(16)
    return client


def a_ticket() -> Ticket:
    return services.ticket_create(
        problem_type=ProblemType.OTHER,
        channel=Channel.WEB,
        subject="Cannot change my phone number",
        description="The app says my new phone number is already in use by another account.",
        customer_email="li.wei@example.com",
    )


def contact(client: Client, **extra):
    data = contact_data(ProblemType.OTHER, submission_key=str(uuid4()))
    return client.post(CONTACT, data, **extra)


@pytest.mark.django_db
@pytest.mark.parametrize("script", [cookieless, made_up_cookie], ids=["no-cookie", "made-up"])
def test_a_script_without_a_real_session_cannot_file_past_the_fresh_limit(script):
    answers = [contact(script()).status_code for _ in range(FRESH_LIMIT + 2)]

    assert answers == [302] * FRESH_LIMIT + [429, 429]
    assert Ticket.objects.count() == FRESH_LIMIT


@pytest.mark.django_db
def test_a_customer_who_keeps_their_session_is_not_stopped_by_a_script_on_their_address():
    customer = Client()
    assert contact(customer).status_code == 302  # the customer's session starts here
    for _ in range(FRESH_LIMIT + 1):
        contact(cookieless())

    assert contact(customer).status_code == 302
    assert contact(cookieless()).status_code == 429


@pytest.mark.django_db
def test_a_made_up_cookie_is_replaced_by_a_session_of_the_desk():
    client = made_up_cookie()
    made_up = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    contact(client)

    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value != made_up
    for _ in range(SESSION_LIMIT - 1):
        assert contact(client).status_code == 302
    assert contact(client).status_code == 429  # its own session's limit holds


@pytest.mark.django_db
def test_a_forwarded_for_header_does_not_give_a_script_another_address():
    answers = [
        contact(cookieless(), HTTP_X_FORWARDED_FOR=f"198.51.100.{number}").status_code
        for number in range(FRESH_LIMIT + 1)
    ]

    assert answers[-1] == 429


@pytest.mark.django_db
def test_new_ticket_links_cannot_be_mailed_by_a_script(django_capture_on_commit_callbacks):
    ticket = a_ticket()
    mail.outbox.clear()
    form = {"reference": ticket.reference, "email": ticket.customer_email}

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            cookieless().post(reverse("tickets:new_link"), form).status_code
            for _ in range(FRESH_LIMIT + 2)
        ]

    assert answers == [302] * FRESH_LIMIT + [429, 429]
    assert len(mail.outbox) == FRESH_LIMIT


@pytest.mark.django_db
def test_help_centre_search_is_limited_for_a_script():
    answers = [
        cookieless().post(reverse("faq:search"), {"q": "withdrawal"}).status_code
        for _ in range(FRESH_LIMIT + 1)
    ]
    suggest = cookieless().post(reverse("faq:suggest"), {"q": "withdrawal"})

    assert answers == [200] * FRESH_LIMIT + [429]
    assert suggest.status_code == 429
    assert suggest.json()["error"]["code"] == "rate_limited"


@pytest.mark.django_db
def test_verify_cannot_be_walked_through_by_a_script():
    answers = [
        cookieless().post(reverse("livechat:verify"), {"code": f"WS-{number:06d}"}).status_code
        for number in range(FRESH_LIMIT + 1)
    ]

    assert answers[-1] == 429


@pytest.mark.django_db
def test_chat_start_cannot_be_repeated_by_a_script(settings):
    settings.SUPPORT_CHANNELS = [
        {"code": "live_chat", "hours": "always", "response_minutes": 3, "url_name": "livechat:chat"}
    ]
    make_agent("transactions", console=True)
    start = {
        "name": "Mei",
        "email": "mei@example.com",
        "problem_type": "abnormal_transaction",
        "message": "My USDT transfer shows completed but the exchange did not receive it.",
    }

    answers = [
        cookieless().post(reverse("livechat:start"), start).status_code
        for _ in range(FRESH_LIMIT + 1)
    ]

    assert answers[-1] == 429
    assert 429 not in answers[:-1]
