"""Starting a chat over HTTP, the offline fallback, the conversation page and /verify/."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from agents.models import AgentProfile
from guard.models import GuardEvent
from livechat.models import Conversation
from tests.support import guard_corpus as corpus
from tests.support.auth import login_with_second_factor
from tests.support.channels import ALWAYS_OPEN
from tests.support.factories import make_agent, make_conversation
from tickets.models import Ticket

START = {
    "name": "Mei",
    "email": "mei@example.com",
    "problem_type": "abnormal_transaction",
    "message": "My USDT transfer shows completed but the exchange did not receive it.",
}


@pytest.fixture
def chat_open(settings, db):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    return make_agent("transactions", console=True)


@pytest.mark.django_db
def test_start_json_opens_a_conversation_on_a_routed_ticket(
    client, chat_open, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("livechat:start"), json.dumps(START), content_type="application/json"
        )

    assert response.status_code == 201
    body = response.json()
    conversation = Conversation.objects.get()
    assert body == {
        "conversation": str(conversation.public_id),
        "ws": f"/ws/chat/{conversation.public_id}/",
    }
    ticket = conversation.ticket
    assert ticket.channel == "chat"
    assert ticket.team.code == "transactions"
    assert conversation.visitor_key == client.session["chat_visitor"]


@pytest.mark.django_db
def test_start_form_redirects_to_the_conversation_page(client, chat_open):
    response = client.post(reverse("livechat:start"), START)

    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("livechat:conversation", args=[conversation.public_id])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "My USDT transfer" in page.content.decode()


@pytest.mark.django_db
def test_start_with_nobody_online_files_a_ticket_and_mails_it(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    make_agent("transactions", availability=AgentProfile.Availability.OFFLINE)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("livechat:start"), json.dumps(START), content_type="application/json"
        )

    assert response.status_code == 202
    body = response.json()
    ticket = Ticket.objects.get()
    assert body["offline"] is True
    assert body["ticket"] == ticket.reference
    assert Conversation.objects.count() == 0
    assert ticket.reference in mail.outbox[0].subject


@pytest.mark.django_db
def test_start_outside_hours_files_a_ticket(client, settings, django_capture_on_commit_callbacks):
    settings.SUPPORT_CHANNELS = [
        {
            "code": "live_chat",
            "hours": [{"days": [0], "open": "03:00", "close": "03:01"}],
            "response_minutes": 3,
            "url_name": None,
        }
    ]
    make_agent("transactions", console=True)
    monday_noon = datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

    with time_machine.travel(monday_noon, tick=False):
        response = client.post(
            reverse("livechat:start"), json.dumps(START), content_type="application/json"
        )

    assert response.status_code == 202
    assert response.json()["offline"] is True
    assert Conversation.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["Support", "Wallet Support Team", "客服小王", "官方客服", "Lin"])
def test_start_refuses_names_posing_as_support(client, chat_open, name):
    AgentProfile.objects.filter(user=chat_open).update(display_name="Lin")

    response = client.post(
        reverse("livechat:start"),
        json.dumps({**START, "name": name}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_start_refuses_a_recovery_phrase(client, chat_open):
    phrase = " ".join(corpus.phrase_words("english", 12, 21))

    response = client.post(
        reverse("livechat:start"),
        json.dumps({**START, "message": phrase}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "secret_refused"
    assert phrase not in response.content.decode()
    assert Ticket.objects.count() == 0
    assert GuardEvent.objects.get().source == "chat"


@pytest.mark.django_db
def test_start_bad_json_is_a_clear_error(client, chat_open):
    response = client.post(reverse("livechat:start"), "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


@pytest.mark.django_db
def test_start_needs_csrf(chat_open):
    response = Client(enforce_csrf_checks=True).post(reverse("livechat:start"), START)

    assert response.status_code == 403
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_conversation_page_is_only_for_its_visitor(client, chat_open):
    client.post(reverse("livechat:start"), START)
    conversation = Conversation.objects.get()
    url = reverse("livechat:conversation", args=[conversation.public_id])

    assert client.get(url).status_code == 200
    assert Client().get(url).status_code == 404


@pytest.mark.django_db
def test_send_without_javascript_posts_a_message(client, chat_open):
    client.post(reverse("livechat:start"), START)
    conversation = Conversation.objects.get()

    response = client.post(
        reverse("livechat:send", args=[conversation.public_id]), {"body": "Still waiting."}
    )

    assert response.status_code == 302
    assert conversation.ticket.messages.filter(body="Still waiting.", channel="chat").exists()


@pytest.mark.django_db
def test_send_without_javascript_refuses_a_secret_and_counts_it_once(client, chat_open):
    client.post(reverse("livechat:start"), START)
    conversation = Conversation.objects.get()
    phrase = " ".join(corpus.phrase_words("english", 12, seed=41))
    before = conversation.ticket.messages.count()

    response = client.post(
        reverse("livechat:send", args=[conversation.public_id]),
        {"body": f"my words {phrase}"},
        follow=True,
    )

    assert "never needs your recovery phrase" in response.content.decode()
    assert phrase not in response.content.decode()
    assert conversation.ticket.messages.count() == before
    event = GuardEvent.objects.get()
    assert (event.source, event.field, event.kind, event.ticket) == (
        "chat",
        "body",
        "recovery_phrase",
        conversation.ticket,
    )


@pytest.mark.django_db
def test_send_without_javascript_refuses_the_message_completing_a_split_phrase(client, chat_open):
    client.post(reverse("livechat:start"), START)
    conversation = Conversation.objects.get()
    words = corpus.phrase_words("english", 12, seed=42)
    send = reverse("livechat:send", args=[conversation.public_id])

    client.post(send, {"body": " ".join(words[:6])})
    response = client.post(send, {"body": " ".join(words[6:])}, follow=True)

    assert "never needs your recovery phrase" in response.content.decode()
    assert not conversation.ticket.messages.filter(body=" ".join(words[6:])).exists()
    assert GuardEvent.objects.get().source == "chat"


@pytest.mark.django_db
def test_send_without_javascript_over_the_limit_counts_nothing_and_keeps_no_secret(
    client, chat_open, settings
):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "chat_message": {"address": "100/10m", "session": "1/10m"},
    }
    client.post(reverse("livechat:start"), START)
    conversation = Conversation.objects.get()
    send = reverse("livechat:send", args=[conversation.public_id])
    phrase = " ".join(corpus.phrase_words("english", 12, seed=41))
    client.post(send, {"body": "Still waiting."})

    refused = client.post(send, {"body": f"my words {phrase}"})
    ordinary = client.post(send, {"body": "Hello? Anyone there?"})

    assert refused.status_code == ordinary.status_code == 429
    assert phrase not in refused.content.decode()
    assert "required></textarea>" in refused.content.decode()
    assert ">Hello? Anyone there?</textarea>" in ordinary.content.decode()
    assert not GuardEvent.objects.exists()


@pytest.mark.django_db
def test_rate_after_the_chat_ends(client, chat_open):
    client.post(reverse("livechat:start"), START)
    conversation = Conversation.objects.get()
    rate = reverse("livechat:rate", args=[conversation.public_id])

    client.post(rate, {"rating": "5"})
    conversation.refresh_from_db()
    assert conversation.rating is None

    client.post(reverse("livechat:end", args=[conversation.public_id]))
    client.post(rate, {"rating": "4"})
    conversation.refresh_from_db()
    assert conversation.status == "closed"
    assert conversation.rating == 4


@pytest.mark.django_db
def test_transcript_is_mailed_on_request(client, chat_open, django_capture_on_commit_callbacks):
    client.post(reverse("livechat:start"), START)
    conversation = Conversation.objects.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("livechat:transcript", args=[conversation.public_id]))

    assert len(mail.outbox) == 1
    # The address was only typed: the mail carries none of the visitor's own words until the
    # customer opened a link mailed to it (tests/verification/test_relay.py).
    assert "My USDT transfer" not in mail.outbox[0].body
    assert "Your own messages are not repeated here" in mail.outbox[0].body


@pytest.mark.django_db
def test_agent_console_is_staff_only(client, agent):
    url = reverse("livechat:agent_console")

    assert client.get(url).status_code == 302
    login_with_second_factor(client, agent)
    assert client.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["agent", "ticket", "not_ours"])
def test_verify_tells_real_codes_from_fake_ones(client, agent, kind):
    conversation = make_conversation()
    code = {
        "agent": agent.agent_profile.agent_code,
        "ticket": conversation.ticket.reference,
        "not_ours": "WS-FAKE123",
    }[kind]
    name = agent.agent_profile.display_name

    response = client.post(reverse("livechat:verify"), {"code": code.lower(), "agent_name": name})

    assert response.status_code == 200
    assert response.context["result"].answer == kind


@pytest.mark.django_db
def test_launcher_says_whether_an_agent_can_answer(client, settings):
    from django.core.cache import cache

    from livechat.selectors import AVAILABILITY_CACHE_KEY

    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    cache.delete(AVAILABILITY_CACHE_KEY)
    assert "Leave a message" in client.get("/faq/").content.decode()

    make_agent("transactions", console=True)
    cache.delete(AVAILABILITY_CACHE_KEY)
    page = client.get("/faq/").content.decode()
    assert "Leave a message" not in page
    assert 'class="chat-launcher"' in page


@pytest.mark.django_db
def test_launcher_without_javascript_links_to_the_chat_or_to_the_contact_form(client, settings):
    from django.core.cache import cache

    from livechat.selectors import AVAILABILITY_CACHE_KEY

    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    cache.delete(AVAILABILITY_CACHE_KEY)
    offline = client.get("/faq/").content.decode()
    assert '<a class="chat-launcher" href="/contact/" data-messenger-launcher>' in offline

    make_agent("transactions", console=True)
    cache.delete(AVAILABILITY_CACHE_KEY)
    online = client.get("/faq/").content.decode()
    launcher = '<a class="chat-launcher" href="/chat/" data-messenger-launcher data-available>'
    assert launcher in online
    # The messenger's start form is the /chat/ form, with names of its own beside the page's.
    assert 'name="messenger-email"' in online
    assert 'action="/chat/start/"' in online
    assert 'src="/static/js/messenger.js"' in online


@pytest.mark.django_db
def test_agent_console_renders_each_canned_reply_in_every_language(client, agent, settings):
    settings.LANGUAGE_CODE = "en"
    login_with_second_factor(client, agent)

    page = client.get(reverse("livechat:agent_console")).content.decode()

    assert (
        'data-canned-en="Hello {name}, thank you for waiting. I am looking at ticket '
        '{reference} now."' in page
    )
    assert 'data-canned-zh-hans="' in page
    zh = page.split('data-canned-zh-hans="', 1)[1].split('"', 1)[0]
    assert "{reference}" in zh
    assert any("\u4e00" <= char <= "\u9fff" for char in zh)


@pytest.mark.django_db
def test_conversation_page_has_a_screenshot_form_that_works_without_javascript(client):
    conversation = make_conversation(visitor_key="visitor-page")
    session = client.session
    session["chat_visitor"] = "visitor-page"
    session.save()

    page = client.get(reverse("livechat:conversation", args=[conversation.public_id]))

    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert f'action="/chat/{conversation.public_id}/attach/"' in html
    assert 'accept="image/png,image/jpeg"' in html
