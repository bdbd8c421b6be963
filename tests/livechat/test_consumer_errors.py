"""A refusal raised by any service behind a chat socket becomes one `error` event with its code,
and the socket stays up."""

import uuid

import pytest

from common.errors import DeskError
from livechat import services
from livechat.models import Conversation
from tests.support.chat import communicator, run, staff_cookie, visitor_cookie
from tests.support.factories import make_conversation
from tickets.error_codes import TicketErrorCode
from tickets.services import TicketError

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def chat_path(conversation: Conversation) -> str:
    return f"/ws/chat/{conversation.public_id}/"


@pytest.mark.parametrize(
    "error",
    [
        DeskError("Not today.", code="made_up_for_the_test"),
        TicketError("This ticket is closed.", code=TicketErrorCode.CLOSED),
    ],
    ids=["desk-error", "ticket-error"],
)
def test_a_service_refusal_is_an_error_event_with_its_code(monkeypatch, error):
    conversation = make_conversation()
    cookie = visitor_cookie("visitor-1")

    def refusing(**kwargs):
        raise error

    monkeypatch.setattr(services, "conversation_read", refusing)

    async def scenario():
        socket = communicator(chat_path(conversation), cookie)
        assert (await socket.connect())[0]
        await socket.receive_json_from()  # status
        await socket.send_json_to({"type": "read", "up_to": 1})
        event = await socket.receive_json_from()
        assert event == {"type": "error", "code": str(error.code), "message": error.message}
        await socket.send_json_to({"type": "resume", "after": 0})
        assert (await socket.receive_json_from())["type"] == "message"
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("frame", "code", "message"),
    [
        ({"type": "presence", "availability": "dancing"}, "invalid", "online, away or offline"),
        ({"type": "close", "conversation": str(uuid.uuid4())}, "not_found", "no such"),
        ({"type": "accept", "conversation": "not-an-id"}, "invalid", "Name a conversation"),
    ],
    ids=["agents-refusal", "chat-refusal", "frame-refusal"],
)
def test_the_agent_socket_sends_every_domains_refusal_the_same_way(agent, frame, code, message):
    cookie = staff_cookie(agent)

    async def scenario():
        socket = communicator("/ws/agent/", cookie)
        assert (await socket.connect())[0]
        assert (await socket.receive_json_from())["type"] == "queue"
        await socket.send_json_to(frame)
        event = await socket.receive_json_from()
        assert (event["type"], event["code"]) == ("error", code)
        assert message in event["message"]
        assert "retry_after" not in event
        await socket.send_json_to({"type": "presence", "availability": "online"})
        assert (await socket.receive_json_from())["type"] == "queue"
        await socket.disconnect()

    run(scenario)
