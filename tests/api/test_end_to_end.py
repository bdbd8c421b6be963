"""The wallet app's whole journey through the API alone: read the help centre, file a ticket with
a screenshot, follow the agent's answer, reply, rate, then chat on the socket with the token.
The agent works in the desk as usual (services and the agent socket)."""

import pytest

from api.middleware import SUBPROTOCOL
from faq.services import help_centre_load
from tests.support.api import client_with, issue
from tests.support.channels import ALWAYS_OPEN
from tests.support.chat import (
    HOST,
    ORIGIN,
    Communicator,
    communicator,
    new_client_id,
    run,
    staff_cookie,
)
from tests.support.factories import make_agent, png_upload
from tickets.models import Status, Ticket
from tickets.services import message_post_agent, ticket_change_status

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


async def next_of(socket, kind: str, sender: str | None = None) -> dict:
    while True:
        event = await socket.receive_json_from(timeout=3)
        if event["type"] == kind and sender in (None, event.get("sender")):
            return event


def test_wallet_app_files_follows_and_chats_through_the_api(settings, api_secret):
    from wallet_support.asgi import application

    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    help_centre_load()
    agent = make_agent("payments", console=True)

    # The wallet backend signs the user in; the app calls the desk with that token only.
    token = issue("WA-77001", "mei.chen@example.com")
    app = client_with(token, "en")

    # 1. Help first.
    search = app.post("/api/v1/faq/search/", {"q": "withdrawal"}).json()
    assert search["results"]
    article = app.get(f"/api/v1/faq/articles/{search['results'][0]['slug']}/")
    assert article.status_code == 200

    # 2. File a ticket with the facts a withdrawal needs, then a screenshot.
    filed = app.post(
        "/api/v1/tickets/",
        {
            "problem_type": "topup_withdrawal",
            "subject": "Withdrawal refused",
            "description": "My withdrawal of 2000 CNY to my bank card was refused this morning.",
            "evidence": {
                "direction": "withdrawal",
                "method": "bank_card",
                "amount": "2000",
                "occurred_at": "2026-11-21T14:00:00+08:00",
                "error_message": "Daily limit exceeded",
            },
        },
        format="json",
    )
    assert filed.status_code == 201, filed.json()
    reference = filed.json()["reference"]
    ticket_url = f"/api/v1/tickets/{reference}/"
    uploaded = app.post(
        ticket_url + "attachments/", {"attachments": [png_upload("limit.png")]}, "multipart"
    )
    assert uploaded.status_code == 201

    # 3. The agent answers in the desk and waits for the customer.
    ticket = Ticket.objects.get(reference=reference)
    message_post_agent(ticket=ticket, author=agent, body="Your daily limit is 1000 CNY.")
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=agent)

    # 4. The app follows: the list, the thread with the agent's verifiable code, a reply.
    listed = app.get("/api/v1/tickets/").json()
    assert [(t["reference"], t["status"]) for t in listed["results"]] == [(reference, "pending")]
    thread = app.get(ticket_url).json()["messages"]
    assert thread[-1]["sender"] == "agent"
    assert thread[-1]["agent_code"] == agent.agent_profile.agent_code
    assert thread[1]["attachments"][0]["name"] == "limit.png"
    replied = app.post(ticket_url + "messages/", {"body": "I will split it in two."}, "json")
    assert replied.status_code == 201
    assert app.get(ticket_url).json()["status"] == "open"

    # 5. Solved: the app rates the help.
    ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent)
    assert app.post(ticket_url + "rating/", {"rating": 5}, "json").json()["can_rate"] is True

    # 6. Another question: a live chat, then the same socket protocol with the token.
    chat = app.post(
        "/api/v1/chats/",
        {"problem_type": "topup_withdrawal", "name": "Mei", "message": "Is my limit raised?"},
        format="json",
    )
    assert chat.status_code == 201, chat.json()
    chat = chat.json()
    agent_cookie = staff_cookie(agent)

    async def conversation():
        customer = Communicator(
            application,
            chat["ws"],
            headers=[HOST, ORIGIN, (b"accept-language", b"en")],
            subprotocols=[SUBPROTOCOL, f"bearer.{token}"],
        )
        assert (await customer.connect()) == (True, SUBPROTOCOL)
        assert (await next_of(customer, "status"))["status"] == "queued"
        console = communicator("/ws/agent/", agent_cookie)
        assert (await console.connect())[0]
        await console.send_json_to({"type": "accept", "conversation": chat["conversation"]})
        joined = await next_of(customer, "status")
        assert joined["agent"]["code"] == agent.agent_profile.agent_code
        await console.send_json_to(
            {
                "type": "message",
                "conversation": chat["conversation"],
                "body": "Yes, it is 5000 CNY from today.",
                "client_id": new_client_id(),
            }
        )
        answer = await next_of(customer, "message", sender="agent")
        assert answer["body"] == "Yes, it is 5000 CNY from today."
        await customer.send_json_to(
            {"type": "message", "body": "Thank you!", "client_id": new_client_id()}
        )
        assert (await next_of(console, "message", sender="customer"))["body"] == "Thank you!"
        await console.send_json_to({"type": "close", "conversation": chat["conversation"]})
        assert (await next_of(customer, "status"))["status"] == "closed"
        await customer.disconnect()
        await console.disconnect()

    run(conversation)

    # The chat is on a ticket of the user's own, readable through the API like any other.
    chat_thread = app.get(f"/api/v1/tickets/{chat['ticket']}/").json()["messages"]
    assert [m["body"] for m in chat_thread if m["sender"] != "system"][-2:] == [
        "Yes, it is 5000 CNY from today.",
        "Thank you!",
    ]
