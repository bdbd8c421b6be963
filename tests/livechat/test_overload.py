"""Overload is honest: a message the server cannot store promptly is refused with a retryable
`overloaded` error and nothing is stored; sent again with the same client_id it is stored once.
The chat consumers do not hop onto asgiref's thread-sensitive thread for each event."""

import pytest

from livechat import db
from tests.support.chat import communicator, new_client_id, run, visitor_cookie
from tests.support.factories import make_conversation
from tickets.models import Message

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


async def receive_until(socket, kind: str) -> dict:
    while True:
        event = await socket.receive_json_from(timeout=5)
        if event["type"] == kind:
            return event


def test_an_overloaded_server_refuses_a_message_and_stores_it_when_sent_again(monkeypatch):
    conversation = make_conversation()
    cookie = visitor_cookie("visitor-1")
    client_id = new_client_id()
    frame = {"type": "message", "body": "Is my transfer lost?", "client_id": client_id}

    async def scenario():
        socket = communicator(f"/ws/chat/{conversation.public_id}/", cookie)
        assert (await socket.connect())[0]
        await socket.receive_json_from()  # status
        monkeypatch.setattr(db, "max_pending", lambda: 0)
        await socket.send_json_to(frame)
        refusal = await receive_until(socket, "error")
        assert refusal["code"] == "overloaded"
        assert refusal["retry_after"] >= 1
        assert refusal["client_id"] == client_id
        assert not await Message.objects.filter(client_id=client_id).aexists()

        monkeypatch.undo()
        await socket.send_json_to(frame)
        ack = await receive_until(socket, "message")
        assert ack["client_id"] == client_id
        await socket.send_json_to(frame)  # a resend after the acknowledgement was lost
        again = await receive_until(socket, "message")
        assert again["id"] == ack["id"]
        await socket.disconnect()

    run(scenario)
    assert Message.objects.filter(ticket=conversation.ticket, client_id=client_id).count() == 1
    assert db.pending() == 0


def test_refusals_do_not_use_up_the_sockets_rate(monkeypatch):
    conversation = make_conversation()
    cookie = visitor_cookie("visitor-1")

    async def scenario():
        socket = communicator(f"/ws/chat/{conversation.public_id}/", cookie)
        assert (await socket.connect())[0]
        await socket.receive_json_from()
        monkeypatch.setattr(db, "max_pending", lambda: 0)
        for _ in range(20):
            frame = {"type": "message", "body": "hello?", "client_id": new_client_id()}
            await socket.send_json_to(frame)
            assert (await receive_until(socket, "error"))["code"] == "overloaded"
        monkeypatch.undo()
        frame = {"type": "message", "body": "hello?", "client_id": new_client_id()}
        await socket.send_json_to(frame)
        assert (await receive_until(socket, "message"))["client_id"] == frame["client_id"]
        await socket.disconnect()

    run(scenario)


def test_chat_events_do_not_close_old_connections_on_the_thread_sensitive_thread(monkeypatch):
    import channels.consumer

    hops = []

    async def counting():
        hops.append(1)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counting)
    conversation = make_conversation()
    cookie = visitor_cookie("visitor-1")

    async def scenario():
        socket = communicator(f"/ws/chat/{conversation.public_id}/", cookie)
        assert (await socket.connect())[0]
        await socket.receive_json_from()
        frame = {"type": "message", "body": "hello?", "client_id": new_client_id()}
        await socket.send_json_to(frame)
        assert (await receive_until(socket, "message"))["client_id"] == frame["client_id"]
        await socket.disconnect()

    run(scenario)
    assert hops == []
