"""The visitor's pages, the transcript limit, and what a watching agent can push at a customer."""

import json
import re

import pytest
from django.core import mail
from django.urls import reverse

from agents.models import Team
from livechat import services
from livechat.models import Conversation
from tests.support.channels import ALWAYS_OPEN
from tests.support.chat import communicator, run, staff_cookie, visitor_cookie
from tests.support.factories import make_agent, make_conversation
from tickets.models import Ticket

START = {
    "name": "Mei",
    "email": "someone.else@example.com",
    "problem_type": "abnormal_transaction",
    "message": "My USDT transfer has been pending for two hours.",
}


@pytest.mark.django_db
def test_the_transcript_cannot_be_mailed_without_limit(
    client, settings, django_capture_on_commit_callbacks
):
    """A visitor cannot make the desk mail the ticket's address (any they typed) 30 times."""
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    settings.RATE_LIMITS_ENABLED = True
    make_agent("transactions", console=True)
    client.post(reverse("livechat:start"), START)
    conversation = Conversation.objects.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(30):
            client.post(reverse("livechat:transcript", args=[conversation.public_id]))

    transcripts = [m for m in mail.outbox if "someone.else@example.com" in m.to]
    assert len(transcripts) <= 5


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_colleague_who_may_only_read_a_chat_cannot_show_the_customer_typing():
    """Only someone who may speak in a chat can send the customer "agent is typing"."""
    owner = make_agent("transactions", console=True)
    colleague = make_agent("transactions")
    conversation = make_conversation("visitor-typing")
    Ticket.objects.filter(pk=conversation.ticket_id).update(
        team=Team.objects.get(code="transactions")
    )
    services.conversation_accept(public_id=str(conversation.public_id), agent=owner)
    path = f"/ws/chat/{conversation.public_id}/"
    customer_cookie, colleague_cookie = visitor_cookie("visitor-typing"), staff_cookie(colleague)

    async def scenario():
        customer = communicator(path, customer_cookie)
        assert (await customer.connect())[0]
        await customer.receive_json_from()  # status
        watcher = communicator(path, colleague_cookie)
        assert (await watcher.connect())[0]
        await watcher.receive_json_from()  # status
        await watcher.send_json_to({"type": "typing"})
        seen = []
        while not await customer.receive_nothing(timeout=0.7):
            output = await customer.receive_output()
            if output["type"] != "websocket.send":
                break
            seen.append(json.loads(output["text"]))
        await customer.disconnect()
        await watcher.disconnect()
        return seen

    assert [e for e in run(scenario) if e["type"] == "typing"] == []


@pytest.mark.django_db
def test_the_page_of_an_unanswered_chat_does_not_say_it_ended_while_the_customer_may_write(client):
    """An unanswered chat's page says it is kept as a message, not "This chat has ended."."""
    conversation = make_conversation("visitor-unanswered")
    Conversation.objects.filter(pk=conversation.pk).update(status="unanswered")
    session = client.session
    session["chat_visitor"] = "visitor-unanswered"
    session.save()

    page = client.get(reverse("livechat:conversation", args=[conversation.public_id]))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="body"' in html  # the composer is there: the customer may write on
    status_line = re.search(r"<p class=\"chat__status\"[^>]*>(.*?)</p>", html, re.S).group(1)
    assert "This chat has ended." not in status_line
