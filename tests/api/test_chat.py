"""Live chat from the app: started over the API, then the same socket protocol with the token."""

import pytest

from api.middleware import SUBPROTOCOL
from guard.models import GuardEvent
from livechat.models import Conversation
from tests.support import guard_corpus as corpus
from tests.support.api import EMAIL, client_with, expired_token, issue
from tests.support.channels import ALWAYS_OPEN
from tests.support.chat import HOST, ORIGIN, Communicator, new_client_id, run
from tests.support.factories import make_agent
from tickets.models import Message

CHATS = "/api/v1/chats/"
START = {
    "problem_type": "topup_withdrawal",
    "name": "Li Wei",
    "message": "My withdrawal to a bank card has been pending since 9:00.",
}


@pytest.fixture
def chat_open(settings, db, api_secret):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    return make_agent("payments", console=True)


def app_socket(path: str, token: str | None, *, query: str = "") -> Communicator:
    from wallet_support.asgi import application

    protocols = [SUBPROTOCOL] + ([f"bearer.{token}"] if token else [])
    return Communicator(application, path + query, headers=[HOST, ORIGIN], subprotocols=protocols)


def started(token: str) -> dict:
    response = client_with(token).post(CHATS, START, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_start_opens_a_conversation_on_the_users_ticket(chat_open, token):
    body = started(token)

    conversation = Conversation.objects.get()
    assert body == {
        "conversation": str(conversation.public_id),
        "ws": f"/ws/chat/{conversation.public_id}/",
        "ticket": conversation.ticket.reference,
    }
    assert conversation.ticket.customer_email == EMAIL
    assert client_with(token).get(f"/api/v1/tickets/{body['ticket']}/").status_code == 200


def test_start_with_nobody_online_files_a_ticket(settings, db, api_secret, token):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN  # open hours, but no agent online

    response = client_with(token).post(CHATS, START, format="json")

    assert response.status_code == 202
    assert response.json()["offline"] is True
    assert not Conversation.objects.exists()


def test_start_refuses_a_name_posing_as_support_and_a_secret(chat_open, token):
    fake_name = client_with(token).post(CHATS, {**START, "name": "Wallet Support"}, format="json")
    phrase = " ".join(corpus.phrase_words("english", 12, seed=3))
    secret = client_with(token).post(CHATS, {**START, "message": phrase}, format="json")

    assert fake_name.status_code == 400
    assert list(fake_name.json()["error"]["fields"]) == ["name"]
    assert secret.json()["error"]["code"] == "secret_refused"
    assert GuardEvent.objects.get().source == "api"
    assert not Conversation.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_app_talks_on_the_socket_with_its_token(chat_open, token):
    body = started(token)

    async def scenario():
        socket = app_socket(body["ws"], token)
        connected, protocol = await socket.connect()
        assert connected
        assert protocol == SUBPROTOCOL  # never the token
        status = await socket.receive_json_from()
        assert (status["type"], status["status"]) == ("status", "queued")
        client_id = new_client_id()
        await socket.send_json_to({"type": "message", "body": "Any news?", "client_id": client_id})
        ack = await socket.receive_json_from(timeout=3)
        assert (ack["sender"], ack["client_id"]) == ("customer", client_id)
        await socket.disconnect()

    run(scenario)
    assert Message.objects.filter(body="Any news?", ticket__reference=body["ticket"]).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("who", ["other-user", "expired", "forged", "no-token", "query-string"])
def test_socket_refuses_anyone_but_the_chats_user(chat_open, token, who):
    body = started(token)
    tokens = {
        "other-user": issue("WA-55555", "someone@example.com"),
        "expired": expired_token(),
        "forged": issue(secret="forged-" * 8),
        "no-token": None,
        "query-string": None,
    }
    # A token in the URL would be written to access logs: it is not read from there.
    query = f"?token={token}" if who == "query-string" else ""

    async def scenario():
        socket = app_socket(body["ws"], tokens[who], query=query)
        connected, code = await socket.connect()
        assert not connected
        assert code == 4403

    run(scenario)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_socket_messages_count_against_the_app_users_limit(chat_open, token, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "chat_message": {"address": "1000/10m", "session": "1/10m"},
    }
    body = started(token)

    async def scenario():
        socket = app_socket(body["ws"], token)
        await socket.connect()
        await socket.receive_json_from()
        for text in ("first", "second"):
            await socket.send_json_to(
                {"type": "message", "body": text, "client_id": new_client_id()}
            )
        # The stored message comes back through the channel layer, the refusal directly:
        # over Redis either may arrive first.
        events = [await socket.receive_json_from(timeout=3) for _ in range(2)]
        by_type = {event["type"]: event for event in events}
        assert by_type["message"]["body"] == "first"
        assert by_type["error"]["code"] == "rate_limited"
        await socket.disconnect()

    run(scenario)
