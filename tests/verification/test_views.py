"""/verify/ and POST /api/v1/verify/: every kind of contact, in both languages."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from livechat.models import Conversation
from livechat.services import conversation_accept
from tests.support.api import client_with, issue, web_ticket
from tests.support.channels import ALWAYS_OPEN
from tests.support.factories import make_agent, make_ticket
from tickets.links import ticket_private_url
from tickets.models import Status, Ticket
from tickets.services import ticket_change_status, ticket_reassign
from verification.models import KnownFake, OfficialContact
from verification.normalise import Kind

pytestmark = pytest.mark.django_db
LANGUAGES = ["en", "zh-hans"]


@pytest.fixture(autouse=True)
def _api_on(settings):
    settings.API_TOKEN_SECRET = "a-test-secret-of-enough-length-for-hmac"


@pytest.fixture
def official(settings):
    settings.SUPPORT_OFFICIAL_DOMAINS = ["support.wallet.example"]
    rows = [
        (Kind.HANDLE, "telegram", "@WalletSupport", "Our Telegram channel", "我们的 Telegram 频道"),
        (Kind.PHONE, "", "+86 400 800 8000", "Our hotline", "我们的热线"),
        (Kind.EMAIL, "", "help@support.wallet.example", "Our support inbox", "我们的客服邮箱"),
        (Kind.ADDRESS, "", "0x" + "ab" * 20, "Our deposit contract", "我们的充值合约"),
    ]
    for kind, platform, value, en, zh in rows:
        contact = OfficialContact(
            kind=kind, platform=platform, value=value, description_en=en, description_zh_hans=zh
        )
        contact.full_clean()
        contact.save()


def check(client, contact: str, language: str = "en", agent_name: str = ""):
    response = client.post(
        reverse("livechat:verify"),
        {"code": contact, "agent_name": agent_name},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    return response.context["result"], response.content.decode()


def api_check(contact: str, language: str = "en", agent_name: str = "") -> dict:
    response = APIClient(HTTP_ACCEPT_LANGUAGE=language).post(
        "/api/v1/verify/", {"contact": contact, "agent_name": agent_name}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "typed",
    ["https://support.wallet.example/faq/", "t.me/walletsupport", "https://x.com/x",
     "+86 4008008000", "HELP@support.wallet.example", "0x" + "AB" * 20],
)  # fmt: skip
def test_verify_answers_official_contacts(client, official, typed, language):
    result, page = check(client, typed, language)
    answer = api_check(typed, language)

    expected = "not_ours" if "x.com" in typed else "official"
    assert result.answer == expected
    assert answer["answer"] == expected
    if expected == "official" and language == "zh-hans":
        assert "官方" in page
        assert answer["message"] != api_check(typed, "en")["message"]
    if expected == "official" and "t.me" in typed:
        wanted = "我们的 Telegram 频道" if language == "zh-hans" else "Our Telegram channel"
        assert wanted in page
        assert answer["description"] == wanted


@pytest.mark.parametrize(
    ("typed", "resembles"),
    [
        ("support.wаllet.example", "support.wallet.example"),  # Cyrillic "а"
        ("xn--spport-3ya.wallet.example", "support.wallet.example"),
        ("@WаlletSupport", "@WalletSupport"),  # Cyrillic "а"
        ("http://xn--wllet-gra.example", "support.wallet.example"),
        ("walletsupport-help.com", "support.wallet.example"),
        ("support.wallet.com", "support.wallet.example"),
        ("wa11et-support.net", "support.wallet.example"),
        ("help@wallet-support.net", "support.wallet.example"),
        ("@WaIIetSupport", "@WalletSupport"),  # capital i for l
        ("t.me/wallet_support_help", "@WalletSupport"),
    ],
)
def test_verify_flags_look_alikes(client, official, typed, resembles):
    result, page = check(client, typed)

    assert result.answer == "not_ours"
    assert result.resembles == resembles
    assert api_check(typed)["resembles"] == resembles
    assert "Report it as a fake" in page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("typed", ["WS1024", "1024", "WS－1024", "ws-1024"])
def test_verify_confirms_an_agent_code_only_with_its_name(client, typed, language):
    agent = make_agent("transactions")
    agent.agent_profile.agent_code = "WS-1024"
    agent.agent_profile.display_name = "Lin Yue"
    agent.agent_profile.save()

    bare, bare_page = check(client, typed, language)
    named, named_page = check(client, typed, language, agent_name="lin  yue")
    wrong, _ = check(client, typed, language, agent_name="Chen")
    unknown, _ = check(client, "WS-9999", language, agent_name="Lin Yue")

    assert bare.answer == "agent_name_needed"
    assert "Lin Yue" not in bare_page
    assert named.answer == "agent"
    assert "Lin Yue" in named_page
    assert wrong.answer == unknown.answer == "not_ours"
    api = api_check(typed, language)
    assert api["answer"] == "agent_name_needed"
    assert "Lin Yue" not in str(api)
    assert api_check(typed, language, agent_name="Lin Yue")["answer"] == "agent"


@pytest.mark.parametrize("language", LANGUAGES)
def test_verify_still_confirms_ticket_references(client, language):
    ticket = make_ticket()
    typed = ticket.reference.lower().replace("-", " ")

    result, page = check(client, typed, language)
    answer = api_check(typed, language)

    assert result.answer == answer["answer"] == "ticket"
    assert ticket.reference in page
    assert ("真实的工单编号" in answer["message"]) == (language == "zh-hans")


@pytest.mark.parametrize("language", LANGUAGES)
def test_verify_answers_a_known_fake_with_its_report_date(client, official, language):
    KnownFake.objects.create(
        kind=Kind.HANDLE,
        platform="telegram",
        value="@wallet_support_desk",
        normalised="wallet_support_desk",
        reported_at=datetime(2026, 3, 4, tzinfo=UTC),
    )

    result, page = check(client, "https://t.me/Wallet_Support_Desk", language)
    answer = api_check("https://t.me/Wallet_Support_Desk", language)

    assert result.answer == answer["answer"] == "fake"
    assert "2026-03-04" in page
    assert "2026-03-04" in answer["message"]
    assert ("已知的假冒" in page) == (language == "zh-hans")


def test_verify_is_rate_limited_on_site_and_api(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify": {"address": "3/m", "session": "3/m"}}
    codes = [
        client.post(reverse("livechat:verify"), {"code": "WS-1"}).status_code for _ in range(4)
    ]
    api = [
        APIClient().post("/api/v1/verify/", {"contact": "WS-1"}, format="json").status_code
        for _ in range(4)
    ]

    assert codes[-1] == 429
    assert api[-1] == 429


@pytest.mark.parametrize("typed", ["", "\u200b\u200b", "x" * 201])
def test_verify_refuses_empty_or_oversized_input(client, typed):
    response = client.post(reverse("livechat:verify"), {"code": typed})
    api = APIClient().post("/api/v1/verify/", {"contact": typed}, format="json")

    assert response.context["result"] is None or response.context["result"].answer == "unreadable"
    assert api.status_code in {200, 400}


# A code without a name, from a customer who holds a chat or ticket: is it the agent on theirs?


def alert(page: str) -> str:
    return re.search(r'<div class="alert.*?</div>', page, re.DOTALL).group(0)


def chat_taken_by(client, agent) -> Conversation:
    client.post(
        reverse("livechat:start"),
        {
            "name": "Mei",
            "email": "mei@example.com",
            "problem_type": "abnormal_transaction",
            "message": "Someone on Telegram says he is your agent",
        },
    )
    conversation = Conversation.objects.get(visitor_key=client.session["chat_visitor"])
    conversation_accept(public_id=str(conversation.public_id), agent=agent)
    return conversation


def assigned_ticket(agent, **fields):
    ticket = make_ticket(**fields)
    ticket_reassign(ticket=ticket, actor=None, assignee=agent)
    return ticket


@pytest.mark.parametrize("language", LANGUAGES)
def test_verify_tells_a_chatting_customer_whether_a_code_is_their_agents(
    client, settings, language
):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    agent = make_agent("transactions", console=True)
    colleague = make_agent("transactions", console=True)
    conversation = chat_taken_by(client, agent)
    code = agent.agent_profile.agent_code

    ours, page = check(client, code.lower().replace("-", " "), language)
    colleagues, colleague_page = check(client, colleague.agent_profile.agent_code, language)
    unknown, unknown_page = check(client, "WS-7K3M9QXD4P", language)

    assert ours.answer == "agent_yours"
    assert conversation.ticket.reference in page
    assert agent.agent_profile.display_name not in page
    assert ("您的工单" in page) == (language == "zh-hans")
    # Another real agent answers exactly like a code nobody has: nothing to harvest.
    assert colleagues.answer == unknown.answer == "agent_not_yours"
    assert colleagues.extra == unknown.extra == {}
    assert alert(colleague_page).replace(colleague.agent_profile.agent_code, "CODE") == alert(
        unknown_page
    ).replace("WS-7K3M9QXD4P", "CODE")
    assert colleague.agent_profile.display_name not in colleague_page


def test_verify_says_nothing_of_anybody_elses_conversation(client, settings):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    agent = make_agent("transactions", console=True)
    chat_taken_by(client, agent)
    code = agent.agent_profile.agent_code

    stranger = Client()
    assert check(stranger, code)[0].answer == "agent_name_needed"
    # A made-up session cookie, or one naming the chat's session key under another name, is no
    # session of the chat's.
    forged = Client()
    forged.cookies["sessionid"] = "x" * 32
    assert check(forged, code)[0].answer == "agent_name_needed"
    assert api_check(code)["answer"] == "agent_name_needed"


def test_verify_answers_for_the_ticket_link_holder_and_stops_when_closed(client):
    agent = make_agent("transactions")
    ticket = assigned_ticket(agent)
    code = agent.agent_profile.agent_code

    assert check(client, code)[0].answer == "agent_name_needed"
    client.get(ticket_private_url(ticket))
    assert check(client, code)[0].answer == "agent_yours"

    ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=None)
    assert check(client, code)[0].answer == "agent_name_needed"


def test_verify_answers_a_signed_in_customer_for_their_own_tickets(client, django_user_model):
    agent = make_agent("transactions")
    customer = django_user_model.objects.create_user(username="mei", password="a-long-password")
    ticket = assigned_ticket(agent)
    Ticket.objects.filter(pk=ticket.pk).update(customer=customer)
    client.force_login(customer)

    result, page = check(client, agent.agent_profile.agent_code)

    assert result.answer == "agent_yours"
    assert ticket.reference in page


def test_verify_the_app_user_learns_about_their_own_tickets_only(settings):
    agent = make_agent("transactions")
    ticket = web_ticket()
    ticket_reassign(ticket=ticket, actor=None, assignee=agent)
    code = agent.agent_profile.agent_code

    def app_check(token, language="en"):
        response = client_with(token, language).post(
            "/api/v1/verify/", {"contact": code}, format="json"
        )
        assert response.status_code == 200, response.content
        return response.json()

    web_ticket(email="other@example.com")  # someone else, with an open ticket of their own
    mine = app_check(issue())
    zh = app_check(issue(), "zh-hans")
    someone_else = app_check(issue(account_id="WA-99999", email="other@example.com"))

    assert mine["answer"] == "agent_yours"
    assert ticket.reference in mine["message"]
    assert zh["message"] != mine["message"]
    assert agent.agent_profile.display_name not in str(mine)
    assert someone_else["answer"] == "agent_not_yours"


def test_verify_api_limits_a_cookie_less_script_per_address(settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "verify": {"address": "100/m", "session": "3/m", "fresh": "3/m"},
    }

    def status(address: str, token: str | None = None) -> int:
        return (
            client_with(token)
            .post("/api/v1/verify/", {"contact": "WS-1"}, format="json", REMOTE_ADDR=address)
            .status_code
        )

    script = [status("198.51.100.7") for _ in range(4)]
    neighbour = status("198.51.100.8")
    app_user = [status("198.51.100.7", issue()) for _ in range(4)]

    assert script == [200, 200, 200, 429]
    assert neighbour == 200
    # A signed app user counts as a session, not as a cookie-less script (carriers share
    # addresses), and meets its own limit.
    assert app_user == [200, 200, 200, 429]
