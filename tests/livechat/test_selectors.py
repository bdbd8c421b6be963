"""Queue positions and waits as customers see them."""

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from agents.models import AgentProfile, Team
from livechat import selectors
from livechat.models import Conversation
from tests.support.factories import make_agent, make_conversation
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_each_waiting_chat_counts_only_the_chats_queued_before_it():
    first, second, third = (make_conversation(f"visitor-{n}") for n in range(3))
    # The same queued time: the older row goes first, as in the agents' queue.
    Conversation.objects.filter(pk__in=[second.pk, third.pk]).update(queued_at=first.queued_at)
    for conversation in (first, second, third):
        conversation.refresh_from_db()

    assert [selectors.queue_position(c)[0] for c in (first, second, third)] == [1, 2, 3]
    listed = [(c.pk, position) for c, position, _wait in selectors.queue_positions()]
    assert listed == [(first.pk, 1), (second.pk, 2), (third.pk, 3)]

    Conversation.objects.filter(pk=first.pk).update(status=Conversation.Status.ACTIVE)
    assert selectors.status_payload(third)["position"] == 2


def test_the_expected_wait_shrinks_with_more_agents_online():
    conversation = make_conversation()
    second = make_conversation("visitor-2")
    AgentProfile.objects.update(availability=AgentProfile.Availability.OFFLINE)
    make_agent("transactions", console=True)
    one_online = selectors.queue_position(second)[1]
    make_agent("payments", console=True)
    two_online = selectors.queue_position(second)[1]

    assert one_online == 2 * selectors.AVERAGE_CHAT_SECONDS
    assert two_online == selectors.AVERAGE_CHAT_SECONDS
    assert selectors.queue_position(conversation) == (1, selectors.AVERAGE_CHAT_SECONDS // 2)


def test_a_status_for_a_waiting_chat_costs_a_fixed_number_of_queries(django_assert_num_queries):
    conversations = [make_conversation(f"visitor-{n}") for n in range(20)]
    with django_assert_num_queries(2):
        payload = selectors.status_payload(conversations[-1])
    assert payload["position"] == 20


def test_only_agents_who_may_see_the_ticket_open_its_chat(superuser):
    conversation = make_conversation(problem_type="abnormal_transaction")
    Ticket.objects.filter(pk=conversation.ticket_id).update(
        team=Team.objects.get(code="transactions")
    )
    team_agent = make_agent("transactions")
    other_team = make_agent("payments")
    public_id = str(conversation.public_id)

    def role(user, *, second_factor: bool = True):
        session = {}
        if second_factor:
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        found = selectors.conversation_for_socket(
            public_id=public_id, visitor_key=None, user=user, session=session
        )
        return found[1] if found else None

    assert role(team_agent) == "agent"
    assert role(superuser) == "agent"
    assert role(other_team) is None
    assert role(make_agent("transactions"), second_factor=False) is None


def test_an_agents_chat_message_carries_their_agent_code():
    from tickets.models import AuthorKind, Message

    conversation = make_conversation()
    agent = make_agent("general")
    message = Message.objects.create(
        ticket=conversation.ticket, author_kind=AuthorKind.AGENT, author=agent, body="Hello"
    )
    system = Message.objects.create(
        ticket=conversation.ticket, author_kind=AuthorKind.SYSTEM, body="Joined"
    )

    payload = selectors.message_payload(message, conversation, prev=None)

    assert payload["author"] == agent.agent_profile.display_name
    assert payload["agent_code"] == agent.agent_profile.agent_code
    assert selectors.message_payload(system, conversation, prev=message.id)["agent_code"] == ""
