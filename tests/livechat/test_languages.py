"""Each side of a chat reads it in their own language: the customer in their chat's language, an
agent in theirs; the transcript in the customer's; placeholders always filled."""

import pytest
from django.conf import settings
from django.core import mail

from livechat import selectors, services, tasks
from livechat.models import Conversation
from tests.support.chat import communicator, run, staff_cookie, visitor_cookie
from tests.support.factories import make_agent, make_conversation
from tickets.models import Message, Ticket

JOINED = {
    "en": "{name} (agent code {code}) joined the chat.",
    "zh-hans": "{name}（客服工号 {code}）已加入聊天。",
}


def in_language(cookie: bytes, language: str) -> bytes:
    return cookie + f"; {settings.LANGUAGE_COOKIE_NAME}={language}".encode()


def chat_in(language: str) -> Conversation:
    conversation = make_conversation()
    Ticket.objects.filter(pk=conversation.ticket_id).update(language=language)
    conversation.refresh_from_db()
    return conversation


async def next_message(socket) -> dict:
    while (event := await socket.receive_json_from(timeout=3))["type"] != "message":
        pass
    return event


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("customer", "agent_language"), [("en", "zh-hans"), ("zh-hans", "en")])
def test_a_system_line_reaches_each_side_in_their_own_language(customer, agent_language):
    conversation = chat_in(customer)
    agent = make_agent("transactions", console=True)
    name, code = agent.agent_profile.display_name, agent.agent_profile.agent_code
    # The visitor's browser asks for the agent's language: the chat's language still wins.
    visitor = in_language(visitor_cookie("visitor-1"), agent_language)
    console = in_language(staff_cookie(agent), agent_language)
    path = f"/ws/chat/{conversation.public_id}/"

    async def scenario():
        from channels.db import database_sync_to_async

        customer_socket = communicator(path, visitor)
        assert (await customer_socket.connect())[0]
        await customer_socket.receive_json_from()  # status
        await database_sync_to_async(services.conversation_accept)(
            public_id=str(conversation.public_id), agent=agent
        )
        heard_by_customer = await next_message(customer_socket)
        agent_socket = communicator(path, console)
        assert (await agent_socket.connect())[0]
        await agent_socket.receive_json_from()  # status
        await agent_socket.send_json_to({"type": "resume", "after": 0})
        history = [await agent_socket.receive_json_from(timeout=3) for _ in range(2)]
        await database_sync_to_async(services.conversation_close)(
            public_id=str(conversation.public_id), by=agent
        )
        ended_for_agent = await next_message(agent_socket)
        ended_for_customer = await next_message(customer_socket)
        await customer_socket.disconnect()
        await agent_socket.disconnect()
        return heard_by_customer, history[-1], ended_for_agent, ended_for_customer

    heard_by_customer, seen_by_agent, ended_for_agent, ended_for_customer = run(scenario)

    assert heard_by_customer["body"] == JOINED[customer].format(name=name, code=code)
    assert seen_by_agent["body"] == JOINED[agent_language].format(name=name, code=code)
    assert (
        ended_for_agent["body"]
        == {"en": "The chat has ended.", "zh-hans": "聊天已结束。"}[agent_language]
    )
    assert (
        ended_for_customer["body"]
        == {"en": "The chat has ended.", "zh-hans": "聊天已结束。"}[customer]
    )
    stored = Message.objects.filter(ticket_id=conversation.ticket_id, author_kind="system")
    assert stored.first().body == JOINED[customer].format(name=name, code=code)


@pytest.mark.django_db
def test_the_transcript_is_in_the_customers_language_even_when_an_agent_of_another_ended_it(
    django_capture_on_commit_callbacks,
):
    conversation = chat_in("zh-hans")
    agent = make_agent("transactions", console=True)
    from django.utils import translation

    with translation.override("en"):  # the agent's console speaks English
        services.conversation_accept(public_id=str(conversation.public_id), agent=agent)
        services.conversation_close(public_id=str(conversation.public_id), by=agent)
    mail.outbox.clear()

    tasks.send_transcript.delay(conversation.pk)

    [transcript] = mail.outbox
    assert "已加入聊天" in transcript.body
    assert "聊天已结束。" in transcript.body
    assert "joined the chat" not in transcript.body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "language", "expected"),
    [
        ("Mei", "en", "Mei"),
        ("mei@example.com", "en", "there"),
        ("mei@example.com", "zh-hans", "尊敬的客户"),
        ("   ", "zh-hans", "尊敬的客户"),
    ],
)
def test_canned_replies_call_the_customer_by_name_or_a_polite_form_never_their_email(
    name, language, expected
):
    conversation = chat_in(language)
    Conversation.objects.filter(pk=conversation.pk).update(visitor_name=name)
    conversation.refresh_from_db()

    status = selectors.status_payload(conversation)

    assert status["salutation"] == expected
    assert status["language"] == language
    assert status["reference"] == conversation.ticket.reference
