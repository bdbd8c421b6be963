"""Chat capacity under concurrent accepts (PostgreSQL: real row locks)."""

import contextlib
import threading
from unittest import mock

import pytest
from django.db import close_old_connections, connection

from agents.models import AgentProfile, Team
from livechat import services
from livechat.models import Conversation
from tests.support.factories import make_agent, make_conversation
from tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI=true ...)"
    ),
]


def test_two_accepts_at_once_never_take_an_agent_past_their_chat_capacity():
    """An agent with room for one chat who accepts two at the same moment ends with one, not two."""
    agent = make_agent("transactions", console=True)
    AgentProfile.objects.filter(user=agent).update(chat_capacity=1)
    chats = [make_conversation(f"visitor-{n}") for n in (1, 2)]
    Ticket.objects.filter(pk__in=[c.ticket_id for c in chats]).update(
        team=Team.objects.get(code="transactions")
    )
    original = services._check_capacity
    both_counted = threading.Barrier(2, timeout=3)

    def counted_then_wait(*args, **kwargs):
        # Both accepts count the agent's open chats before either saves: the race, made certain.
        original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_counted.wait()  # broken when the other accept waits on a lock: what a fix does

    outcomes = []

    def accept(conversation):
        try:
            services.conversation_accept(public_id=str(conversation.public_id), agent=agent)
            outcomes.append("accepted")
        except services.ChatError as error:
            outcomes.append(str(error.code))
        finally:
            close_old_connections()
            connection.close()

    with mock.patch.object(services, "_check_capacity", counted_then_wait):
        threads = [threading.Thread(target=accept, args=(c,)) for c in chats]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)

    active = Conversation.objects.filter(agent=agent, status="active").count()
    assert (active, sorted(outcomes)) == (1, ["accepted", "not_allowed"])
