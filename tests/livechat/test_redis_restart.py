"""Redis restarted under a live chat (issue 21): a production server process
(wallet_support/serve.py) on a Redis server of the test's own, which the test stops and starts
again mid-conversation. The restarted Redis is empty: every group a socket had joined is gone.
Sockets must then either keep delivering or close, so that the client reconnects and resumes;
nothing may be lost, nothing doubled. Runs in CI (PostgreSQL, and a redis-server binary)."""

import asyncio

import pytest

from livechat import services
from tests.support.celery import worker_database_url
from tests.support.chat import staff_cookie, visitor_cookie
from tests.support.chat_client import ChatClient
from tests.support.factories import make_conversation
from tests.support.processes import serving, site_env
from tickets.models import Message


@pytest.fixture
def server_on_own_redis(postgres, own_redis):
    env = site_env(DATABASE_URL=worker_database_url(), REDIS_URL=own_redis.url)
    with serving(env) as (port, _process):
        yield port


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_redis_restarted_mid_chat_loses_and_doubles_nothing(server_on_own_redis, own_redis, agent):
    conversation = make_conversation()
    services.conversation_accept(public_id=str(conversation.public_id), agent=agent)
    path = f"/ws/chat/{conversation.public_id}/"
    port = server_on_own_redis
    customer_cookie = visitor_cookie("visitor-1").decode()
    agent_cookie = staff_cookie(agent).decode()

    async def scenario():
        customer = ChatClient(port, path, customer_cookie)
        helper = ChatClient(port, path, agent_cookie)
        await customer.open()
        await helper.open()
        await customer.send("Before the restart")
        await helper.pump(lambda: "Before the restart" in helper.bodies(), timeout=15)
        assert "Before the restart" in helper.bodies()

        own_redis.stop()
        # While Redis is down: the customer writes, the agent answers.
        await customer.send("While Redis is down")
        await helper.send("Answer while Redis is down")
        await asyncio.sleep(1)
        own_redis.start()  # empty: the groups the sockets joined are gone
        await helper.send("Answer after the restart")

        def customer_has_all() -> bool:
            return not customer.outbox and {
                "Answer while Redis is down",
                "Answer after the restart",
            } <= set(customer.bodies())

        def helper_has_all() -> bool:
            return not helper.outbox and "While Redis is down" in helper.bodies()

        await asyncio.gather(
            customer.pump(customer_has_all, timeout=40), helper.pump(helper_has_all, timeout=40)
        )
        # Live again: a message now reaches the other side without any reconnect of its own.
        reconnects = customer.reconnects
        await helper.send("Live again")
        await asyncio.gather(
            customer.pump(lambda: "Live again" in customer.bodies(), timeout=10),
            helper.pump(lambda: not helper.outbox, timeout=10),
        )
        await customer.socket.close()
        await helper.socket.close()
        return customer, helper, reconnects

    customer, helper, reconnects = asyncio.run(scenario())
    assert set(customer.bodies()) >= {
        "Answer while Redis is down",
        "Answer after the restart",
        "Live again",
    }, customer.bodies()
    assert "While Redis is down" in helper.bodies(), helper.bodies()
    assert not customer.outbox
    assert not helper.outbox
    assert customer.reconnects == reconnects  # "Live again" came live
    # Each socket was told the service restarted, not ended by an unhandled error (1011).
    assert customer.close_codes == helper.close_codes == [1012]
    for body in (
        "Before the restart",
        "While Redis is down",
        "Answer while Redis is down",
        "Answer after the restart",
        "Live again",
    ):
        assert Message.objects.filter(ticket=conversation.ticket, body=body).count() == 1, body
