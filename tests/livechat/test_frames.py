"""Frames an attacker writes by hand get an error event, and the socket lives on (the two the
outside review used to kill a socket first)."""

import json

import pytest

from livechat import services
from tests.support.chat import communicator, new_client_id, run, staff_cookie, visitor_cookie
from tests.support.factories import make_agent, make_conversation
from tickets.models import Message

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DEEP = 5000

FRAMES = {
    "lone surrogate in the body": (
        json.dumps({"type": "message", "body": "hi ", "client_id": new_client_id()}).replace(
            '"hi "', '"hi \\ud800"'
        ),
        "invalid_text",
    ),
    "lone surrogate as the type": ('{"type": "\\udfff"}', "invalid_text"),
    "nesting 5,000 deep": ("[" * DEEP + "]" * DEEP, "invalid_json"),
    "nesting 5,000 deep in a field": (
        '{"type": "message", "body": ' + "[" * DEEP + "]" * DEEP + "}",
        "invalid_json",
    ),
    "an integer of 5,000 digits": (
        '{"type": "resume", "after": ' + "9" * 5000 + "}",
        "invalid_json",
    ),
    "a float too large": ('{"type": "resume", "after": 1e999}', "invalid"),
    "NaN": ('{"type": "read", "up_to": NaN}', "invalid"),
    "a body of the wrong type": (
        json.dumps({"type": "message", "body": {"a": 1}, "client_id": new_client_id()}),
        "invalid",
    ),
    "a client id of the wrong type": (
        json.dumps({"type": "message", "body": "hi", "client_id": [1]}),
        "invalid",
    ),
}

AGENT_FRAMES = {
    "presence of the wrong type": (
        json.dumps({"type": "presence", "availability": ["online"]}),
        "invalid",
    ),
    "a transfer naming a list": (
        json.dumps({"type": "transfer", "conversation": "%s", "agent": ["A1"], "team": {"x": 1}}),
        "invalid",
    ),
    "a conversation of the wrong type": (
        json.dumps({"type": "accept", "conversation": {}}),
        "invalid",
    ),
    "nesting 5,000 deep": ("[" * DEEP + "]" * DEEP, "invalid_json"),
    "lone surrogate as the conversation": (
        '{"type": "close", "conversation": "\\ud800"}',
        "invalid_text",
    ),
}


async def answers(socket, frame: str) -> tuple[dict, dict]:
    await socket.send_input({"type": "websocket.receive", "text": frame})
    answer = await socket.receive_json_from(timeout=3)
    # Still alive: the next frame is answered too.
    await socket.send_input({"type": "websocket.receive", "text": '{"type": "sentinel"}'})
    alive = await socket.receive_json_from(timeout=3)
    return answer, alive


@pytest.fixture
def default_recursion_limit():
    """The parser refuses deep nesting at the interpreter's recursion limit, which py-evm (the
    chain tests' in-process node) raises to 100,000 for the whole test process."""
    import sys

    raised = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(raised)


@pytest.mark.parametrize("case", sorted(FRAMES))
def test_the_chat_socket_answers_any_frame_with_an_error_and_lives(case, default_recursion_limit):
    frame, code = FRAMES[case]
    conversation = make_conversation()
    cookie = visitor_cookie("visitor-1")
    before = Message.objects.count()

    async def scenario():
        socket = communicator(f"/ws/chat/{conversation.public_id}/", cookie)
        assert (await socket.connect())[0]
        await socket.receive_json_from()
        result = await answers(socket, frame)
        await socket.disconnect()
        return result

    answer, alive = run(scenario)

    assert (answer["type"], answer["code"]) == ("error", code)
    assert answer["message"]
    assert alive["code"] == "unknown_type"
    assert Message.objects.count() == before


@pytest.mark.parametrize("case", sorted(AGENT_FRAMES))
def test_the_agent_socket_answers_any_frame_with_an_error_and_lives(case):
    frame, code = AGENT_FRAMES[case]
    conversation = make_conversation()
    frame = frame.replace("%s", str(conversation.public_id))
    agent = make_agent("transactions")
    services.conversation_accept(public_id=str(conversation.public_id), agent=agent)
    cookie = staff_cookie(agent)

    async def scenario():
        socket = communicator("/ws/agent/", cookie)
        assert (await socket.connect())[0]
        await socket.receive_json_from()
        result = await answers(socket, frame)
        await socket.disconnect()
        return result

    answer, alive = run(scenario)

    assert (answer["type"], answer["code"]) == ("error", code)
    assert alive["code"] == "unknown_type"


def test_a_fault_on_our_side_is_a_retryable_error_and_the_socket_lives(monkeypatch):
    conversation = make_conversation()
    cookie = visitor_cookie("visitor-1")

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "conversation_read", broken)

    async def scenario():
        socket = communicator(f"/ws/chat/{conversation.public_id}/", cookie)
        assert (await socket.connect())[0]
        await socket.receive_json_from()
        result = await answers(socket, '{"type": "read", "up_to": 1}')
        await socket.disconnect()
        return result

    answer, alive = run(scenario)

    assert answer["code"] == "server_error"
    assert answer["retry_after"] > 0
    assert "database" not in answer["message"]  # nothing of the fault reaches the client
    assert alive["code"] == "unknown_type"
