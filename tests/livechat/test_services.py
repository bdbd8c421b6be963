"""The chat's write path: one stored copy per client_id, the prev chain, the ticket's clocks."""

from datetime import timedelta
from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents.models import Team
from livechat import selectors, services
from livechat.models import Conversation
from livechat.services import ChatError
from security.models import AuditEvent
from tests.support.factories import make_agent, make_conversation
from tests.support.rows import rows_of
from tickets.models import Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def post(conversation, sender="customer", client_id=None, author=None, body="Any news?"):
    return services.chat_message_post(
        conversation=conversation,
        sender=sender,
        body=body,
        client_id=client_id or uuid4(),
        author=author,
    )


def test_a_resent_client_id_returns_the_stored_copy_and_stores_nothing(capture_broadcasts):
    conversation = make_conversation()
    client_id = uuid4()
    with capture_broadcasts() as first_broadcasts:
        message, created = post(conversation, client_id=client_id)
    with capture_broadcasts() as resend_broadcasts:
        again, created_again = post(conversation, client_id=client_id, body="edited resend")

    assert (created, created_again) == (True, False)
    assert again.pk == message.pk
    assert again.body == "Any news?"
    assert Message.objects.filter(client_id=client_id).count() == 1
    [(group, event)] = first_broadcasts.events
    assert group == conversation.group_name
    assert event["type"] == "chat.message"
    assert event["payload"]["id"] == message.pk
    assert event["payload"]["body"] == "Any news?"
    assert event["payload"]["client_id"] == str(client_id)
    assert resend_broadcasts.events == []


def test_a_closed_chat_refuses_new_messages_but_still_acknowledges_a_stored_one(agent):
    conversation = make_conversation()
    client_id = uuid4()
    message, _created = post(conversation, client_id=client_id)
    services.conversation_close(public_id=str(conversation.public_id))  # by the visitor
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
    assert ticket.updated_at == first.created_at  # the first reply touched the ticket
    assert later.created_at <= timezone.now()


def age_ticket(conversation, seconds: float) -> None:
    Ticket.objects.filter(pk=conversation.ticket_id).update(
        updated_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_a_chat_message_moves_its_tickets_last_activity_once_a_minute_at_most():
    conversation = make_conversation()
    age_ticket(conversation, 61)
    message, _ = post(conversation)
    ticket = Ticket.objects.get(pk=conversation.ticket_id)
    assert ticket.first_responded_at is None  # a customer's message is no reply
    assert ticket.updated_at == message.created_at

    age_ticket(conversation, 30)
    touched_at = Ticket.objects.get(pk=conversation.ticket_id).updated_at
    post(conversation)
    assert Ticket.objects.get(pk=conversation.ticket_id).updated_at == touched_at


def ticket_writes(conversation) -> int:
    with CaptureQueriesContext(connection) as queries:
        post(conversation)
    table = connection.ops.quote_name(Ticket._meta.db_table)
    return sum(query["sql"].startswith(f"UPDATE {table}") for query in queries.captured_queries)


def test_a_message_within_the_minute_does_not_write_the_ticket_row():
    conversation = make_conversation()
    age_ticket(conversation, 61)
    assert ticket_writes(conversation) == 1
    assert ticket_writes(conversation) == 0


def test_each_broadcast_names_the_message_before_it_in_the_conversation(capture_broadcasts):
    conversation = make_conversation()
    other = make_conversation("visitor-2")
    opening = Message.objects.filter(ticket_id=conversation.ticket_id).get()
    other_opening = Message.objects.filter(ticket_id=other.ticket_id).get()
    with capture_broadcasts() as sent:
        first, _ = post(conversation)
        theirs, _ = post(other)
        second, _ = post(conversation)

    # Each conversation's group gets its own messages, each naming the one before it there.
    assert [group for group, _event in sent.of_type("chat.message")] == [
        conversation.group_name,
        other.group_name,
        conversation.group_name,
    ]
    mine = [event["payload"] for event in sent.to(conversation.group_name)]
    assert [(p["id"], p["prev"]) for p in mine] == [(first.pk, opening.pk), (second.pk, first.pk)]
    assert {p["conversation"] for p in mine} == {str(conversation.public_id)}
    [their_event] = sent.to(other.group_name)
    assert (their_event["payload"]["id"], their_event["payload"]["prev"]) == (
        theirs.pk,
        other_opening.pk,
    )


def test_a_chat_message_rolled_back_by_its_caller_is_never_broadcast(capture_broadcasts):
    from django.db import transaction

    conversation = make_conversation()

    @transaction.atomic
    def post_then_fail() -> None:
        post(conversation, body="never stored")
        raise RuntimeError("the caller's transaction fails after the post")

    with capture_broadcasts() as sent:
        with pytest.raises(RuntimeError):
            post_then_fail()
        kept, _ = post(conversation, body="stored")

    assert not Message.objects.filter(body="never stored").exists()
    assert [(group, event["payload"]["id"]) for group, event in sent.events] == [
        (conversation.group_name, kept.pk)
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_prev_names_a_message_committed_while_the_post_waited_for_the_lock(
    postgres, capture_broadcasts
):
    """Two posts race: the second waits on the row lock while the first commits its message."""
    import threading
    import time

    from django.db import connection, transaction

    conversation = make_conversation()

    def second_post() -> None:
        try:
            post(conversation, body="second")
        finally:
            connection.close()

    with capture_broadcasts() as sent:
        with transaction.atomic():
            Conversation.objects.select_for_update().get(pk=conversation.pk)
            first = Message.objects.create(
                ticket_id=conversation.ticket_id,
                author_kind="customer",
                body="first",
                channel="chat",
            )
            racer = threading.Thread(target=second_post)
            racer.start()
            time.sleep(0.5)  # the second post is now waiting for the lock
        racer.join(10)

    [(group, event)] = sent.of_type("chat.message")
    assert group == conversation.group_name
    assert event["payload"]["body"] == "second"
    assert event["payload"]["prev"] == first.pk


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


# --- conversation_transfer ------------------------------------------------------------------


def accepted_chat(agent, visitor_key: str = "visitor-1") -> Conversation:
    conversation = make_conversation(visitor_key)
    services.conversation_accept(public_id=str(conversation.public_id), agent=agent)
    conversation.refresh_from_db()
    return conversation


def queued_status(conversation: Conversation, position: int) -> dict:
    """The status a waiting customer is sent, with one agent online."""
    return {
        "type": "chat.status",
        "payload": {
            "type": "status",
            "status": "queued",
            "conversation": str(conversation.public_id),
            "language": "en",
            "reference": conversation.ticket.reference,
            "salutation": "Mei",
            "position": position,
            "wait_seconds": position * selectors.AVERAGE_CHAT_SECONDS,
        },
    }


def test_conversation_transfer_to_an_agent_hands_over_the_chat_and_its_ticket(
    agent, capture_broadcasts
):
    conversation = accepted_chat(agent)
    colleague = make_agent("transactions", console=True)
    name, code = colleague.agent_profile.display_name, colleague.agent_profile.agent_code

    with capture_broadcasts() as sent:
        services.conversation_transfer(
            public_id=str(conversation.public_id), by=agent, agent_code=code
        )

    conversation.refresh_from_db()
    assert (conversation.agent, conversation.status) == (colleague, "active")
    ticket = Ticket.objects.get(pk=conversation.ticket_id)
    assert ticket.assignee == colleague
    assert list(
        ticket.events.filter(kind="assigned")
        .order_by("pk")
        .values_list("old_value", "new_value", "actor")
    ) == [("", agent.username, agent.pk), (agent.username, colleague.username, agent.pk)]
    assert AuditEvent.objects.filter(action="reassign").order_by("pk").values_list(
        "actor_id", "ticket_reference", "detail"
    ).last() == (agent.pk, ticket.reference, {"assignee": colleague.pk})
    notice = Message.objects.filter(ticket=ticket, author_kind="system").latest("pk")
    assert notice.body == f"The chat was transferred to {name} (agent code {code})."
    # The customer (and whoever watches the chat) is told, in order: the notice, the new agent.
    message_event, status_event = sent.to(conversation.group_name)
    assert message_event["type"] == "chat.message"
    assert (message_event["payload"]["id"], message_event["payload"]["sender"]) == (
        notice.pk,
        "system",
    )
    assert message_event["payload"]["body"] == notice.body
    assert status_event == {
        "type": "chat.status",
        "payload": {
            "type": "status",
            "status": "active",
            "conversation": str(conversation.public_id),
            "language": "en",
            "reference": ticket.reference,
            "salutation": "Mei",
            "agent": {"name": name, "code": code},
        },
    }


def test_conversation_transfer_to_a_team_puts_the_chat_back_at_its_place_in_the_queue(
    agent, capture_broadcasts
):
    conversation = accepted_chat(agent)
    behind = make_conversation("visitor-2")  # came in after it, still waiting
    payments = Team.objects.get(code="payments")

    with capture_broadcasts() as sent:
        services.conversation_transfer(
            public_id=str(conversation.public_id), by=agent, team_code="payments"
        )

    conversation.refresh_from_db()
    assert (conversation.agent, conversation.status) == (None, "queued")
    ticket = Ticket.objects.get(pk=conversation.ticket_id)
    assert (ticket.team, ticket.assignee) == (payments, None)
    assert list(
        ticket.events.filter(kind__in=["routed", "assigned"])
        .order_by("pk")
        .values_list("kind", "old_value", "new_value", "actor")
    )[-2:] == [
        ("routed", "", "payments", agent.pk),  # the team by its code
        ("assigned", agent.username, "", agent.pk),
    ]
    assert AuditEvent.objects.filter(action="reassign").order_by("pk").values_list(
        "actor_id", "detail"
    ).last() == (agent.pk, {"assignee": None, "team": payments.pk})
    notice = Message.objects.filter(ticket=ticket, author_kind="system").latest("pk")
    assert notice.body == "The chat was transferred to another team."
    # Agents refresh their queue; the chat waited longest, so it is first again.
    assert sent.to(services.AGENTS_GROUP) == [{"type": "queue.changed"}]
    message_event, *statuses = sent.to(conversation.group_name)
    assert (message_event["type"], message_event["payload"]["id"]) == ("chat.message", notice.pk)
    assert statuses == [queued_status(conversation, 1), queued_status(conversation, 1)]
    assert sent.to(behind.group_name) == [queued_status(behind, 2)]


def test_conversation_transfer_of_a_waiting_chat_to_an_agent_announces_the_shorter_queue(
    agent, capture_broadcasts
):
    waiting = make_conversation()
    behind = make_conversation("visitor-2")
    Ticket.objects.filter(pk=waiting.ticket_id).update(team=agent.support_teams.get())
    lead = make_agent("transactions", is_lead=True)

    with capture_broadcasts() as sent:
        services.conversation_transfer(
            public_id=str(waiting.public_id), by=lead, agent_code=agent.agent_profile.agent_code
        )

    assert Conversation.objects.get(pk=waiting.pk).status == "active"
    assert sent.to(services.AGENTS_GROUP) == [{"type": "queue.changed"}]
    assert sent.to(behind.group_name) == [queued_status(behind, 1)]


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("unknown_agent", "invalid"),
        ("inactive_agent", "invalid"),
        ("unknown_team", "invalid"),
        ("nobody_named", "invalid"),
        ("closed_chat", "closed"),
        ("unknown_chat", "not_found"),
    ],
)
def test_conversation_transfer_refusals_change_and_announce_nothing(
    agent, capture_broadcasts, case, code
):
    conversation = accepted_chat(agent)
    colleague = make_agent("payments", console=True)
    public_id = str(conversation.public_id)
    target = {"agent_code": colleague.agent_profile.agent_code}
    if case == "unknown_agent":
        target = {"agent_code": "Z9999"}
    elif case == "inactive_agent":
        colleague.is_active = False
        colleague.save(update_fields=["is_active"])
    elif case == "unknown_team":
        target = {"team_code": "nowhere"}
    elif case == "nobody_named":
        target = {}
    elif case == "closed_chat":
        services.conversation_close(public_id=public_id, by=agent)
    else:
        public_id = str(uuid4())
    before = rows_of(Conversation, Ticket, Message, TicketEvent, AuditEvent)

    with capture_broadcasts() as sent, pytest.raises(ChatError) as refused:
        services.conversation_transfer(public_id=public_id, by=agent, **target)

    assert refused.value.code == code
    assert rows_of(Conversation, Ticket, Message, TicketEvent, AuditEvent) == before
    assert sent.events == []
