"""Access follows a chat as it changes hands: transfers, team moves, requeued waits."""

import contextlib
import json
from datetime import timedelta
from uuid import uuid4

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from agents.models import Team, TeamMembership
from livechat import services
from livechat.models import Conversation
from tests.support.chat import communicator, run, staff_cookie
from tests.support.factories import make_agent, make_conversation
from tickets.models import Ticket

SECRET_TEXT = "my new address is 12 Harbour Road, only for the payments team"


def chat_path(conversation) -> str:
    return f"/ws/chat/{conversation.public_id}/"


async def drain(socket, seconds: float = 0.7) -> list[dict]:
    """Every event that arrives until the socket stays quiet (receive_nothing never cancels it)."""
    events = []
    while not await socket.receive_nothing(timeout=seconds):
        output = await socket.receive_output(timeout=seconds)
        if output["type"] == "websocket.close":
            events.append({"type": "closed"})
            return events
        events.append(json.loads(output["text"]))
    return events


async def send(socket, frame: dict) -> None:
    """Send a frame; a socket the server already closed (a fix may do that) just ignores it."""
    with contextlib.suppress(Exception):
        await socket.send_json_to(frame)


def transactions_chat():
    conversation = make_conversation()
    Ticket.objects.filter(pk=conversation.ticket_id).update(
        team=Team.objects.get(code="transactions")
    )
    conversation.refresh_from_db()
    return conversation


def customer_posts(conversation, body=SECRET_TEXT):
    return database_sync_to_async(services.chat_message_post)(
        conversation=conversation, sender="customer", body=body, client_id=uuid4()
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_console_of_an_agent_who_transferred_a_chat_to_another_team_stops_receiving_it():
    """After a transfer to another team the giver's /ws/agent/ gets none of its messages."""
    giver = make_agent("transactions", console=True)
    conversation = transactions_chat()
    cookie = staff_cookie(giver)

    async def scenario():
        console = communicator("/ws/agent/", cookie)
        assert (await console.connect())[0]
        await drain(console)
        await console.send_json_to({"type": "accept", "conversation": str(conversation.public_id)})
        await drain(console)
        await console.send_json_to(
            {"type": "transfer", "conversation": str(conversation.public_id), "team": "payments"}
        )
        await drain(console)
        await customer_posts(conversation)
        events = await drain(console)
        await console.disconnect()
        return events

    events = run(scenario)
    assert Conversation.objects.get(pk=conversation.pk).status == "queued"
    leaked = [e for e in events if e.get("type") == "message" and e.get("body") == SECRET_TEXT]
    assert leaked == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_chat_socket_of_an_agent_who_lost_access_neither_streams_nor_resumes():
    """An open /ws/chat/<id>/ socket of an agent who lost the chat neither streams nor resumes."""
    giver = make_agent("transactions", console=True)
    conversation = transactions_chat()
    services.conversation_accept(public_id=str(conversation.public_id), agent=giver)
    cookie = staff_cookie(giver)

    async def scenario():
        socket = communicator(chat_path(conversation), cookie)
        assert (await socket.connect())[0]
        await drain(socket)
        await database_sync_to_async(services.conversation_transfer)(
            public_id=str(conversation.public_id), by=giver, team_code="payments"
        )
        await drain(socket)
        await customer_posts(conversation)
        live = await drain(socket)
        await send(socket, {"type": "resume", "after": 0})
        resumed = await drain(socket)
        await socket.disconnect()
        return live + resumed

    events = run(scenario)
    messages = [e for e in events if e.get("type") == "message"]
    assert messages == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_open_console_of_an_agent_removed_from_a_team_cannot_accept_its_chats():
    """An agent taken off a team cannot accept its chats from a console opened before the move."""
    moved = make_agent("transactions", console=True)
    cookie = staff_cookie(moved)

    async def scenario():
        console = communicator("/ws/agent/", cookie)
        assert (await console.connect())[0]
        await drain(console)

        @database_sync_to_async
        def move_to_payments_and_queue_a_chat():
            TeamMembership.objects.filter(user=moved).update(team=Team.objects.get(code="payments"))
            return transactions_chat()

        waiting = await move_to_payments_and_queue_a_chat()
        await send(console, {"type": "accept", "conversation": str(waiting.public_id)})
        events = await drain(console)
        await console.disconnect()
        return waiting, events

    waiting, events = run(scenario)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.agent_id) == ("queued", None)
    assert any(
        e["type"] == "closed" or (e["type"] == "error" and e.get("code") == "not_allowed")
        for e in events
    )


@pytest.mark.django_db
def test_a_long_chat_transferred_to_another_team_is_not_expired_as_unanswered_at_once():
    """A chat handed to another team waits from the transfer, not from its first queueing."""
    owner = make_agent("transactions", console=True)
    conversation = transactions_chat()
    services.conversation_accept(public_id=str(conversation.public_id), agent=owner)
    # The chat was answered and went on for half an hour before the hand-over.
    Conversation.objects.filter(pk=conversation.pk).update(
        queued_at=timezone.now() - timedelta(minutes=30)
    )
    services.conversation_transfer(
        public_id=str(conversation.public_id), by=owner, team_code="payments"
    )

    expired = services.chats_expire_waiting()

    conversation.refresh_from_db()
    assert (expired, conversation.status) == (0, "queued")


@pytest.mark.django_db
def test_a_queued_chat_transferred_to_an_agent_opens_its_ticket_like_accept():
    """A waiting chat a lead hands straight to an agent opens its ticket, as accepting does."""
    lead = make_agent("transactions", is_lead=True)
    receiver = make_agent("transactions", console=True)
    conversation = transactions_chat()
    assert Ticket.objects.get(pk=conversation.ticket_id).status == "new"

    services.conversation_transfer(
        public_id=str(conversation.public_id),
        by=lead,
        agent_code=receiver.agent_profile.agent_code,
    )

    conversation.refresh_from_db()
    ticket = Ticket.objects.get(pk=conversation.ticket_id)
    assert (conversation.status, conversation.agent_id) == ("active", receiver.pk)
    assert (ticket.status, ticket.assignee_id) == ("open", receiver.pk)


@pytest.mark.django_db
def test_a_visitor_ending_an_answered_chat_after_a_team_transfer_is_not_told_nobody_joined():
    """Ending a chat an agent already answered (then handed to a team) never says "before an
    agent joined"."""
    owner = make_agent("transactions", console=True)
    conversation = transactions_chat()
    services.conversation_accept(public_id=str(conversation.public_id), agent=owner)
    services.chat_message_post(
        conversation=conversation,
        sender="agent",
        body="I see your transfer, let me hand you to payments.",
        client_id=uuid4(),
        author=owner,
    )
    services.conversation_transfer(
        public_id=str(conversation.public_id), by=owner, team_code="payments"
    )

    services.conversation_close(public_id=str(conversation.public_id))

    last = conversation.ticket.messages.order_by("-id").first()
    assert last.system_line["key"] != "ended_unanswered"
