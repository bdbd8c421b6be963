"""The chat's write path: one stored copy per client_id, the prev chain, the ticket's clocks."""

from datetime import timedelta
from uuid import uuid4

import pytest
from django.utils import timezone

from livechat import services
from livechat.models import Conversation
from livechat.services import ChatError
from tests.support.factories import make_conversation
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def post(conversation, sender="customer", client_id=None, author=None, body="Any news?"):
    return services.chat_message_post(
        conversation=conversation,
        sender=sender,
        body=body,
        client_id=client_id or uuid4(),
        author=author,
    )


def test_a_resent_client_id_returns_the_stored_copy_and_stores_nothing(
    django_capture_on_commit_callbacks,
):
    conversation = make_conversation()
    client_id = uuid4()
    with django_capture_on_commit_callbacks() as first_broadcasts:
        message, created = post(conversation, client_id=client_id)
    with django_capture_on_commit_callbacks() as resend_broadcasts:
        again, created_again = post(conversation, client_id=client_id, body="edited resend")

    assert (created, created_again) == (True, False)
    assert again.pk == message.pk
    assert again.body == "Any news?"
    assert Message.objects.filter(client_id=client_id).count() == 1
    assert len(first_broadcasts) == 1
    assert resend_broadcasts == []


def test_a_closed_chat_refuses_new_messages_but_still_acknowledges_a_stored_one(agent):
    conversation = make_conversation()
    client_id = uuid4()
    message, _created = post(conversation, client_id=client_id)
    services.conversation_close(public_id=str(conversation.public_id), by=agent)
    before = Message.objects.count()

    stored, created = post(conversation, client_id=client_id)
    with pytest.raises(ChatError) as refused:
        post(conversation)

    assert (stored.pk, created) == (message.pk, False)
    assert refused.value.code == "closed"
    assert Message.objects.count() == before


def test_the_first_agent_reply_stops_the_clock_once_and_later_replies_keep_it(agent):
    conversation = make_conversation()
    Conversation.objects.filter(pk=conversation.pk).update(agent=agent, status="active")
    first, _ = post(conversation, sender="agent", author=agent)
    Message.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(minutes=5))
    ticket = Ticket.objects.get(pk=conversation.ticket_id)
    answered_at = ticket.first_responded_at

    later, _ = post(conversation, sender="agent", author=agent)
    ticket.refresh_from_db()

    assert answered_at == first.created_at
    assert ticket.first_responded_at == answered_at
    assert ticket.updated_at == later.created_at
    assert later.created_at <= timezone.now()


def test_customer_messages_do_not_stop_the_first_response_clock():
    conversation = make_conversation()
    message, _ = post(conversation)
    ticket = Ticket.objects.get(pk=conversation.ticket_id)
    assert ticket.first_responded_at is None
    assert ticket.updated_at == message.created_at


def test_each_broadcast_names_the_message_before_it_in_the_conversation(
    django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(services, "_broadcast", lambda group, event: sent.append(event))
    conversation = make_conversation()
    other = make_conversation("visitor-2")
    opening = Message.objects.filter(ticket_id=conversation.ticket_id).get()
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = post(conversation)
        post(other)
        second, _ = post(conversation)

    payloads = [event["payload"] for event in sent if event["type"] == "chat.message"]
    mine = [p for p in payloads if p["conversation"] == str(conversation.public_id)]
    assert [(p["id"], p["prev"]) for p in mine] == [(first.pk, opening.pk), (second.pk, first.pk)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_prev_names_a_message_committed_while_the_post_waited_for_the_lock(postgres, monkeypatch):
    """Two posts race: the second waits on the row lock while the first commits its message."""
    import threading
    import time

    from django.db import connection, transaction

    sent = []
    monkeypatch.setattr(services, "_broadcast", lambda group, event: sent.append(event))
    conversation = make_conversation()

    def second_post() -> None:
        try:
            post(conversation, body="second")
        finally:
            connection.close()

    with transaction.atomic():
        Conversation.objects.select_for_update().get(pk=conversation.pk)
        first = Message.objects.create(
            ticket_id=conversation.ticket_id, author_kind="customer", body="first", channel="chat"
        )
        racer = threading.Thread(target=second_post)
        racer.start()
        time.sleep(0.5)  # the second post is now waiting for the lock
    racer.join(10)

    second = sent[-1]["payload"]
    assert second["body"] == "second"
    assert second["prev"] == first.pk


def test_an_agent_chat_message_asking_for_a_secret_is_refused_and_not_stored(agent):
    conversation = make_conversation()
    before = Message.objects.count()
    with pytest.raises(ChatError) as refused:
        post(conversation, sender="agent", author=agent, body="Please share your private key.")
    assert refused.value.code == "agent_guard"
    assert Message.objects.count() == before
    # Customers may write such words (the customer guard handles real secrets separately).
    post(conversation, body="Someone asked me to share my private key, is that you?")
    assert Message.objects.count() == before + 1
