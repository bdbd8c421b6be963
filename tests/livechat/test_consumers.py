"""The chat sockets through the real ASGI application (origin check, sessions, routing)."""

import json

import pytest

from guard.models import GuardEvent
from livechat.limits import MAX_FRAME_BYTES
from livechat.models import Conversation
from livechat.selectors import AVERAGE_CHAT_SECONDS
from tests.support import guard_corpus as corpus
from tests.support.chat import communicator, new_client_id, run, staff_cookie, visitor_cookie
from tests.support.factories import make_conversation
from tickets.models import Message

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def chat_path(conversation: Conversation) -> str:
    return f"/ws/chat/{conversation.public_id}/"


async def receive_until(socket, kind: str, timeout: float = 3) -> dict:
    while True:
        event = await socket.receive_json_from(timeout=timeout)
        if event["type"] == kind:
            return event


def test_customer_gets_status_history_and_an_acknowledged_message():
    conversation = make_conversation()
    cookie = visitor_cookie("visitor-1")

    async def scenario():
        socket = communicator(chat_path(conversation), cookie)
        connected, _ = await socket.connect()
        assert connected
        status = await socket.receive_json_from()
        assert status == {
            "type": "status",
            "status": "queued",
            "conversation": str(conversation.public_id),
            "language": "en",
            "reference": conversation.ticket.reference,
            "salutation": "Mei",
            "position": 1,
            # First in the queue with nobody online: one average chat's wait.
            "wait_seconds": AVERAGE_CHAT_SECONDS,
        }
        await socket.send_json_to({"type": "resume", "after": 0})
        first = await socket.receive_json_from()
        assert first["sender"] == "customer"
        assert first["prev"] is None
        client_id = new_client_id()
        await socket.send_json_to({"type": "message", "body": "Any news?", "client_id": client_id})
        ack = await receive_until(socket, "message")
        assert ack["client_id"] == client_id
        assert ack["prev"] == first["id"]
        assert ack["id"] > first["id"]
        assert ack["body"] == "Any news?"
        await socket.disconnect()

    run(scenario)
    assert Message.objects.filter(ticket=conversation.ticket, channel="chat").count() == 2


@pytest.mark.parametrize(
    "who", ["nobody", "other-visitor", "plain-user"], ids=["no-session", "other", "not-staff"]
)
def test_chat_socket_refuses_anyone_else(who, django_user_model):
    conversation = make_conversation()
    cookies = {
        "nobody": None,
        "other-visitor": visitor_cookie("someone-else"),
        "plain-user": staff_cookie(
            django_user_model.objects.create_user(username="u", password="long-password-123")
        ),
    }

    async def scenario():
        socket = communicator(chat_path(conversation), cookies[who])
        connected, code = await socket.connect()
        assert not connected
        assert code == 4403

    run(scenario)


def test_chat_socket_refuses_a_foreign_origin():
    conversation = make_conversation()
    cookie = visitor_cookie("visitor-1")

    async def scenario():
        socket = communicator(
            chat_path(conversation), cookie, origin=(b"origin", b"https://evil.example")
        )
        connected, _ = await socket.connect()
        assert not connected

    run(scenario)


def test_agent_socket_is_staff_only(agent, django_user_model):
    customer = django_user_model.objects.create_user(username="c", password="long-password-123")
    customer_cookie, agent_cookie = staff_cookie(customer), staff_cookie(agent)

    async def scenario():
        refused = communicator("/ws/agent/", customer_cookie)
        assert (await refused.connect())[0] is False
        anonymous = communicator("/ws/agent/")
        assert (await anonymous.connect())[0] is False
        allowed = communicator("/ws/agent/", agent_cookie)
        assert (await allowed.connect())[0] is True
        queue = await allowed.receive_json_from()
        assert queue["type"] == "queue"
        await allowed.disconnect()

    run(scenario)


def test_agent_accepts_and_both_sides_talk_type_and_read(agent):
    conversation = make_conversation()

    visitor = visitor_cookie("visitor-1")
    agent_cookie = staff_cookie(agent)

    async def scenario():
        customer = communicator(chat_path(conversation), visitor)
        await customer.connect()
        await customer.receive_json_from()  # queued status
        console = communicator("/ws/agent/", agent_cookie)
        await console.connect()
        queue = await console.receive_json_from()
        assert [item["conversation"] for item in queue["conversations"]] == [
            str(conversation.public_id)
        ]
        assert queue["conversations"][0]["first_message"].startswith("My transfer is stuck")

        await console.send_json_to({"type": "accept", "conversation": str(conversation.public_id)})
        events = {}
        while len(events) < 2:
            event = await customer.receive_json_from(timeout=3)
            events.setdefault(event["type"], event)
        joined, system = events["status"], events["message"]
        assert joined["status"] == "active"
        assert joined["agent"]["code"] == agent.agent_profile.agent_code
        assert system["sender"] == "system"
        assert agent.agent_profile.agent_code in system["body"]

        await console.send_json_to(
            {
                "type": "message",
                "conversation": str(conversation.public_id),
                "body": "Hello, I am looking at your transfer.",
                "client_id": new_client_id(),
            }
        )
        reply = await receive_until(customer, "message")
        assert reply["sender"] == "agent"
        assert reply["author"] == agent.agent_profile.display_name

        await customer.send_json_to({"type": "typing"})
        typing = await receive_until(console, "typing")
        assert typing["sender"] == "customer"
        await customer.send_json_to({"type": "read", "up_to": reply["id"]})
        read = await receive_until(console, "read")
        assert read == {
            "type": "read",
            "sender": "customer",
            "up_to": reply["id"],
            "conversation": str(conversation.public_id),
        }
        await console.send_json_to({"type": "close", "conversation": str(conversation.public_id)})
        closed = await receive_until(customer, "status")
        assert closed["status"] == "closed"
        await customer.disconnect()
        await console.disconnect()

    run(scenario)
    conversation.refresh_from_db()
    assert conversation.agent == agent
    assert conversation.ticket.assignee == agent
    assert conversation.ticket.first_responded_at is not None


def test_resent_message_is_stored_once_and_acknowledged_again():
    conversation = make_conversation()
    client_id = new_client_id()

    visitor = visitor_cookie("visitor-1")

    async def scenario():
        socket = communicator(chat_path(conversation), visitor)
        await socket.connect()
        await socket.receive_json_from()
        frame = {"type": "message", "body": "Once only", "client_id": client_id}
        await socket.send_json_to(frame)
        first = await receive_until(socket, "message")
        await socket.send_json_to(frame)
        second = await receive_until(socket, "message")
        assert first["id"] == second["id"]
        await socket.disconnect()

    run(scenario)
    assert Message.objects.filter(ticket=conversation.ticket, body="Once only").count() == 1


def test_reconnect_and_resume_receives_everything_missed_in_order(agent):
    from livechat import services

    conversation = make_conversation()

    visitor = visitor_cookie("visitor-1")

    async def first_visit():
        socket = communicator(chat_path(conversation), visitor)
        await socket.connect()
        await socket.receive_json_from()
        await socket.send_json_to({"type": "resume", "after": 0})
        seen = await socket.receive_json_from()
        await socket.disconnect()
        return seen["id"]

    last_seen = run(first_visit)
    Conversation.objects.filter(pk=conversation.pk).update(agent=agent, status="active")
    for number in range(3):
        services.chat_message_post(
            conversation=conversation,
            sender="agent",
            body=f"Update {number}",
            client_id=None,
            author=agent,
        )

    async def second_visit():
        socket = communicator(chat_path(conversation), visitor)
        await socket.connect()
        await socket.receive_json_from()
        await socket.send_json_to({"type": "resume", "after": last_seen})
        missed = [await socket.receive_json_from() for _ in range(3)]
        assert [m["body"] for m in missed] == ["Update 0", "Update 1", "Update 2"]
        assert missed[0]["prev"] == last_seen
        assert [m["prev"] for m in missed[1:]] == [m["id"] for m in missed[:-1]]
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()

    run(second_visit)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_json"),
        (json.dumps({"type": "dance"}), "unknown_type"),
        (json.dumps({"body": "no type"}), "unknown_type"),
        (json.dumps({"type": "message", "body": "x" * 4001, "client_id": "0" * 32}), "too_long"),
        (json.dumps({"type": "message", "body": "", "client_id": "0" * 32}), "invalid"),
        (json.dumps({"type": "message", "body": "hi", "client_id": "nope"}), "invalid"),
        (json.dumps({"type": "resume", "after": "yesterday"}), "invalid"),
        ("x" * (MAX_FRAME_BYTES + 1), "frame_too_large"),
    ],
    ids=[
        "not-json",
        "not-object",
        "unknown-type",
        "no-type",
        "too-long",
        "empty",
        "bad-client-id",
        "bad-after",
        "huge-frame",
    ],
)
def test_bad_frames_get_an_error_and_the_socket_stays_up(frame, code):
    conversation = make_conversation()

    visitor = visitor_cookie("visitor-1")

    async def scenario():
        socket = communicator(chat_path(conversation), visitor)
        await socket.connect()
        await socket.receive_json_from()
        await socket.send_to(text_data=frame)
        error = await socket.receive_json_from()
        assert error["type"] == "error"
        assert error["code"] == code
        assert error["message"]
        await socket.send_json_to({"type": "resume", "after": 0})
        assert (await socket.receive_json_from())["type"] == "message"
        await socket.disconnect()

    run(scenario)


def test_flood_is_rate_limited():
    conversation = make_conversation()

    visitor = visitor_cookie("visitor-1")

    async def scenario():
        socket = communicator(chat_path(conversation), visitor)
        await socket.connect()
        await socket.receive_json_from()
        sent = [new_client_id() for _ in range(11)]
        for number, client_id in enumerate(sent):
            await socket.send_json_to(
                {"type": "message", "body": f"m{number}", "client_id": client_id}
            )
        events = [await socket.receive_json_from() for _ in range(11)]
        errors = [event for event in events if event["type"] == "error"]
        assert [error["code"] for error in errors] == ["rate_limited"]
        assert "Try again in" in errors[0]["message"]
        # The refusal names the message it refuses, so a client with a resend in flight cannot
        # pin it on another one.
        assert errors[0]["client_id"] == sent[-1]
        await socket.disconnect()

    run(scenario)
    assert Message.objects.filter(ticket=conversation.ticket, channel="chat").count() == 11


def test_closed_conversation_refuses_messages():
    from livechat import services

    conversation = make_conversation()
    services.conversation_close(public_id=str(conversation.public_id))

    visitor = visitor_cookie("visitor-1")

    async def scenario():
        socket = communicator(chat_path(conversation), visitor)
        await socket.connect()
        assert (await socket.receive_json_from())["status"] == "closed"
        await socket.send_json_to(
            {"type": "message", "body": "hello?", "client_id": new_client_id()}
        )
        error = await socket.receive_json_from()
        assert error["code"] == "closed"
        await socket.disconnect()

    run(scenario)


def test_recovery_phrase_in_chat_is_refused_never_stored_or_broadcast(agent):
    conversation = make_conversation()
    phrase = " ".join(corpus.phrase_words("english", 12, 11))

    visitor = visitor_cookie("visitor-1")
    agent_cookie = staff_cookie(agent)

    async def scenario():
        customer = communicator(chat_path(conversation), visitor)
        await customer.connect()
        await customer.receive_json_from()
        watcher = communicator(chat_path(conversation), agent_cookie)
        await watcher.connect()
        await watcher.receive_json_from()
        await customer.send_json_to(
            {"type": "message", "body": f"my words: {phrase}", "client_id": new_client_id()}
        )
        error = await customer.receive_json_from()
        assert error["code"] == "secret_refused"
        assert "recovery phrase" in error["message"]
        assert await watcher.receive_nothing(timeout=0.3)
        await customer.disconnect()
        await watcher.disconnect()

    run(scenario)
    assert not Message.objects.filter(body__contains=phrase.split()[0] + " " + phrase.split()[1])
    assert GuardEvent.objects.get().source == "chat"


def test_phrase_split_across_chat_messages_is_refused_as_it_is_completed():
    conversation = make_conversation()
    words = corpus.phrase_words("english", 12, 12)
    first, second = " ".join(words[:6]), " ".join(words[6:])
    visitor = visitor_cookie("visitor-1")

    async def scenario():
        customer = communicator(chat_path(conversation), visitor)
        await customer.connect()
        await customer.receive_json_from()
        await customer.send_json_to(
            {"type": "message", "body": first, "client_id": new_client_id()}
        )
        assert (await receive_until(customer, "message"))["body"] == first
        await customer.send_json_to(
            {"type": "message", "body": second, "client_id": new_client_id()}
        )
        error = await receive_until(customer, "error")
        assert error["code"] == "secret_refused"
        # The refused half is not remembered: the next ordinary message passes.
        await customer.send_json_to(
            {"type": "message", "body": "sorry, ignore that", "client_id": new_client_id()}
        )
        assert (await receive_until(customer, "message"))["body"] == "sorry, ignore that"
        await customer.disconnect()

    run(scenario)
    bodies = list(Message.objects.filter(ticket=conversation.ticket).values_list("body", flat=True))
    assert first in bodies
    assert not [body for body in bodies if second in body]
    assert GuardEvent.objects.get().source == "chat"


@pytest.mark.parametrize(
    ("language_header", "expected"),
    [
        ((b"cookie", b"django_language=zh-hans"), "该数据帧不是有效的 JSON。"),
        ((b"accept-language", b"zh-CN,zh;q=0.9"), "该数据帧不是有效的 JSON。"),
        ((b"accept-language", b"en-GB,en;q=0.9"), "That frame is not valid JSON."),
    ],
)
def test_errors_come_in_the_visitors_language(language_header, expected):
    conversation = make_conversation(visitor_key="visitor-lang")
    cookie = visitor_cookie("visitor-lang")

    async def scenario():
        socket = communicator(chat_path(conversation), cookie)
        name, value = language_header
        if name == b"cookie":
            socket.scope["headers"] = [
                (key, val + b"; " + value if key == b"cookie" else val)
                for key, val in socket.scope["headers"]
            ]
        else:
            socket.scope["headers"].append(language_header)
        connected, _ = await socket.connect()
        assert connected
        await socket.send_to(text_data="{not json")
        error = await receive_until(socket, "error")
        assert error["code"] == "invalid_json"
        assert error["message"] == expected
        await socket.disconnect()

    run(scenario)
