"""Two production server processes (wallet_support/serve.py) sharing Redis: a customer on one,
an agent on the other, messages crossing both ways (runs in CI; skips on a laptop without
PostgreSQL and Redis)."""

import asyncio
import json
from uuid import uuid4

import pytest
import websockets

from livechat import services
from livechat.limits import SERVER_MAX_FRAME_BYTES
from tests.support.celery import worker_database_url
from tests.support.chat import staff_cookie, visitor_cookie
from tests.support.factories import make_conversation
from tests.support.processes import serving, site_env


@pytest.fixture
def two_servers(postgres, redis_url):
    env = site_env(DATABASE_URL=worker_database_url(), REDIS_URL=redis_url)
    with serving(env) as (first, first_process), serving(env) as (second, second_process):
        yield [first, second], [first_process, second_process]


async def next_of(connection, kind: str) -> dict:
    while True:
        event = json.loads(await asyncio.wait_for(connection.recv(), timeout=10))
        if event["type"] == kind:
            return event


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_messages_cross_two_server_processes(two_servers, agent):
    conversation = make_conversation()
    services.conversation_accept(public_id=str(conversation.public_id), agent=agent)
    customer_cookie = visitor_cookie("visitor-1").decode()
    agent_cookie = staff_cookie(agent).decode()
    path = f"/ws/chat/{conversation.public_id}/"
    (first, second), _processes = two_servers

    async def scenario():
        async with (
            websockets.connect(
                f"ws://127.0.0.1:{first}{path}",
                additional_headers={
                    "Cookie": customer_cookie,
                    "Origin": f"http://127.0.0.1:{first}",
                },
            ) as customer,
            websockets.connect(
                f"ws://127.0.0.1:{second}{path}",
                additional_headers={"Cookie": agent_cookie, "Origin": f"http://127.0.0.1:{second}"},
            ) as agent_socket,
        ):
            await next_of(customer, "status")
            await next_of(agent_socket, "status")
            await customer.send(
                json.dumps(
                    {"type": "message", "body": "From server one", "client_id": str(uuid4())}
                )
            )
            crossed = await next_of(agent_socket, "message")
            assert crossed["body"] == "From server one"
            await agent_socket.send(
                json.dumps(
                    {"type": "message", "body": "From server two", "client_id": str(uuid4())}
                )
            )
            while (reply := await next_of(customer, "message"))["body"] != "From server two":
                pass
            assert reply["sender"] == "agent"

    asyncio.run(scenario())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_server_restart_loses_no_saved_message(two_servers, agent):
    """The customer's server dies mid-chat; reconnecting elsewhere with resume misses nothing."""
    conversation = make_conversation()
    services.conversation_accept(public_id=str(conversation.public_id), agent=agent)
    customer_cookie = visitor_cookie("visitor-1").decode()
    agent_cookie = staff_cookie(agent).decode()
    path = f"/ws/chat/{conversation.public_id}/"
    (first, second), processes = two_servers

    def connect(port: int, cookie: str):
        return websockets.connect(
            f"ws://127.0.0.1:{port}{path}",
            additional_headers={"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"},
        )

    async def scenario():
        async with connect(second, agent_cookie) as agent_socket:
            await next_of(agent_socket, "status")
            customer = await connect(first, customer_cookie)
            await next_of(customer, "status")
            await customer.send(json.dumps({"type": "resume", "after": 0}))
            for _line in ("first message", "the agent joined"):
                last_seen = (await next_of(customer, "message"))["id"]
            processes[0].kill()  # the customer's server process dies mid-chat
            processes[0].wait(timeout=10)
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(customer.recv(), timeout=10)
            for number in range(3):
                await agent_socket.send(
                    json.dumps(
                        {
                            "type": "message",
                            "body": f"While away {number}",
                            "client_id": str(uuid4()),
                        }
                    )
                )
                await next_of(agent_socket, "message")  # the agent's own acknowledgement
            async with connect(second, customer_cookie) as back:
                await next_of(back, "status")
                await back.send(json.dumps({"type": "resume", "after": last_seen}))
                missed = [await next_of(back, "message") for _ in range(3)]
                assert [m["body"] for m in missed] == [f"While away {n}" for n in range(3)]
                assert missed[0]["prev"] == last_seen

    asyncio.run(scenario())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_server_closes_a_socket_that_sends_an_oversized_frame_and_serves_on(two_servers):
    conversation = make_conversation()
    cookie = visitor_cookie("visitor-1").decode()
    (port, _second), processes = two_servers
    url = f"ws://127.0.0.1:{port}/ws/chat/{conversation.public_id}/"
    headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}

    async def scenario():
        async with websockets.connect(url, additional_headers=headers) as socket:
            await next_of(socket, "status")
            await socket.send("x" * (SERVER_MAX_FRAME_BYTES + 1))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), timeout=10)
            assert closed.value.rcvd.code == 1009  # message too big
        async with websockets.connect(url, additional_headers=headers) as again:
            assert (await next_of(again, "status"))["status"] == "queued"

    asyncio.run(scenario())
    assert processes[0].poll() is None
