"""Presence that is true: an agent is there for chat only while a console of theirs beats; chats
nobody takes in time become messages; ending an answered chat resolves its ticket."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from agents.models import AgentProfile, ConsoleConnection, Team
from faq.channels import ALWAYS, DEFAULT_CHANNELS
from livechat import selectors, services
from livechat.models import Conversation
from livechat.tasks import expire_waiting_chats
from tests.support.chat import communicator, run, staff_cookie
from tests.support.factories import make_agent, make_conversation, open_console
from tickets.models import Message, Status, Ticket

ALWAYS_OPEN = [
    {**channel, "hours": ALWAYS} if channel["code"] == "live_chat" else channel
    for channel in DEFAULT_CHANNELS
]


@pytest.fixture
def chat_hours(settings):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN


@pytest.mark.django_db
def test_online_without_a_console_is_not_available(chat_hours):
    agent = make_agent("transactions")  # "online" in the database, no console open
    assert agent.agent_profile.availability == "online"
    assert not selectors.live_chat_available()

    channel = open_console(agent)
    assert selectors.live_chat_available()

    services.console_close(channel_name=channel)
    assert not selectors.live_chat_available()


@pytest.mark.django_db
def test_a_console_that_stops_beating_stops_counting(chat_hours, settings):
    agent = make_agent("transactions")
    channel = open_console(agent)
    silent = timezone.now() - timedelta(seconds=settings.CHAT_CONSOLE_TIMEOUT_SECONDS + 1)
    ConsoleConnection.objects.filter(channel_name=channel).update(seen_at=silent)
    assert not selectors.live_chat_available()

    services.console_beat(agent=agent, channel_name=channel)
    assert selectors.live_chat_available()


@pytest.mark.django_db
def test_away_agents_and_agents_of_no_team_do_not_count(chat_hours):
    away = make_agent("transactions", availability=AgentProfile.Availability.AWAY)
    open_console(away)
    assert not selectors.live_chat_available()
    teamless = make_agent("payments")
    teamless.team_memberships.all().delete()
    open_console(teamless)
    assert not selectors.live_chat_available()


@pytest.mark.django_db
def test_the_launcher_says_leave_a_message_the_moment_the_last_console_closes(
    client, chat_hours, django_capture_on_commit_callbacks
):
    agent = make_agent("transactions")
    channel = open_console(agent)
    assert selectors.live_chat_available_cached()  # and cached so

    with_chat = client.get(reverse("faq:index")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.console_close(channel_name=channel)
    without = client.get(reverse("faq:index")).content.decode()

    assert 'chat-launcher__label">Live chat<' in with_chat
    assert 'chat-launcher__label">Leave a message<' in without
    assert not selectors.live_chat_available_cached()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_console_socket_is_the_presence_and_its_heartbeat_keeps_it(settings):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    agent = make_agent("transactions")
    cookie = staff_cookie(agent)

    async def scenario():
        from channels.db import database_sync_to_async

        available = database_sync_to_async(selectors.live_chat_available)
        before = await available()
        socket = communicator("/ws/agent/", cookie)
        assert (await socket.connect())[0]
        await socket.receive_json_from()  # the queue
        during = await available()
        await socket.send_json_to({"type": "heartbeat"})
        beat = await socket.receive_json_from()
        await socket.disconnect()
        after = await available()
        return before, during, beat, after

    before, during, beat, after = run(scenario)
    assert (before, during, after) == (False, True, False)
    assert beat == {"type": "heartbeat"}
    assert not ConsoleConnection.objects.exists()


@pytest.mark.django_db
def test_a_chat_that_waits_too_long_is_kept_as_a_message_and_a_security_lead_is_told(
    capture_broadcasts, django_capture_on_commit_callbacks
):
    lead = make_agent("account-security", is_lead=True, email="lead@support.example")
    security = make_conversation("visitor-1", problem_type="account_security")
    other = make_conversation("visitor-2", problem_type="other")
    Ticket.objects.filter(pk=security.ticket_id).update(
        team=Team.objects.get(code="account-security")
    )
    four_minutes_ago = timezone.now() - timedelta(minutes=4)
    Conversation.objects.update(queued_at=four_minutes_ago)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        expired = expire_waiting_chats()

    assert expired == 1  # security waits 3 minutes at most; "other" 10
    security.refresh_from_db()
    other.refresh_from_db()
    assert (security.status, other.status) == ("unanswered", "queued")
    ticket = Ticket.objects.get(pk=security.ticket_id)
    assert ticket.status not in (Status.RESOLVED, Status.CLOSED)
    notice = Message.objects.filter(ticket=ticket, author_kind="system").latest("id")
    assert ticket.reference in notice.body
    assert notice.system_line["key"] == "unanswered"
    [alert] = [m for m in mail.outbox if lead.email in m.to]
    assert ticket.reference in alert.subject

    # The customer may still write: it lands on the ticket. No agent can take the chat any more.
    message, created = services.chat_message_post(
        conversation=security, sender="customer", body="Still locked out.", client_id=None
    )
    assert created
    assert message.ticket_id == ticket.pk
    with pytest.raises(services.ChatError):
        services.conversation_accept(public_id=str(security.public_id), agent=lead)


@pytest.mark.django_db
def test_the_wait_limits_are_configurable(settings, django_capture_on_commit_callbacks):
    settings.SUPPORT_CHAT_WAIT_MINUTES = {"other": 1}
    waiting = make_conversation(problem_type="other")
    Conversation.objects.update(queued_at=timezone.now() - timedelta(seconds=90))
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_waiting_chats() == 1
    waiting.refresh_from_db()
    assert waiting.status == "unanswered"
    assert not [m for m in mail.outbox if "Live chat unanswered" in m.subject]


@pytest.mark.django_db
def test_ending_an_answered_chat_resolves_its_ticket_and_an_unanswered_one_stays_open(agent):
    answered = make_conversation()
    services.conversation_accept(public_id=str(answered.public_id), agent=agent)
    services.conversation_close(public_id=str(answered.public_id), by=agent)
    assert Ticket.objects.get(pk=answered.ticket_id).status == Status.RESOLVED

    waiting = make_conversation("visitor-2")
    services.conversation_close(public_id=str(waiting.public_id))  # the visitor gives up
    ticket = Ticket.objects.get(pk=waiting.ticket_id)
    assert ticket.status == Status.NEW
    notice = Message.objects.filter(ticket=ticket, author_kind="system").latest("id")
    assert ticket.reference in notice.body
