"""What one chat message costs the database: on PostgreSQL the row lock and the last message id
go in one round trip, and the id still comes from after the lock (test_services covers a
message committed while the post waited for it)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from livechat import selectors, services
from tests.support.factories import make_conversation
from tickets.models import Message

pytestmark = pytest.mark.django_db


def test_lock_and_last_id_are_one_round_trip_on_postgresql(postgres):
    conversation = make_conversation()
    last = Message.objects.filter(ticket=conversation.ticket).latest("id")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        locked = selectors.conversation_locked_with_last_message(conversation.pk)
    assert len(queries) == 1
    assert "FOR UPDATE" in queries[0]["sql"]
    assert (locked.pk, locked.ticket_id, locked.status) == (
        conversation.pk,
        conversation.ticket_id,
        conversation.status,
    )
    assert locked.last_message_id == last.pk
    assert locked.group_name == conversation.group_name


def test_the_locked_read_ignores_internal_notes_and_sees_a_new_message():
    conversation = make_conversation()
    message, _ = services.chat_message_post(
        conversation=conversation, sender="customer", body="still there?", client_id=None
    )
    Message.objects.create(
        ticket_id=conversation.ticket_id, author_kind="agent", body="note", is_internal=True
    )
    with transaction.atomic():
        locked = selectors.conversation_locked_with_last_message(conversation.pk)
    assert locked.last_message_id == message.pk


def test_a_missing_conversation_is_does_not_exist():
    with pytest.raises(selectors.Conversation.DoesNotExist), transaction.atomic():
        selectors.conversation_locked_with_last_message(0)
