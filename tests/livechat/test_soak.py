"""A chat soak with random disconnects (issue 21): a production server process
(wallet_support/serve.py) behind a TCP proxy of the test's own, a customer and an agent
exchanging messages while their sockets are dropped at random points, three ways: the client
closes, the network cuts the connection (the proxy aborts both sides, no close frame), the
server closes it (a frame over its limit, code 1009). Each client reconnects and resumes as
docs/chat-protocol.md says (`resume` from the last id seen, unacknowledged messages sent again
with their client_id). Nothing may be lost, nothing doubled, and both sides see every message
in the order the server stored it, each side's messages in the order they were written.

Seeded: the seed is printed (shown with a failure); CHAT_SOAK_SEED=<seed> replays a run. Bounded
well under a minute. Runs in CI; skips on a laptop without PostgreSQL and Redis."""

import asyncio
import contextlib
import os
import random
import re
import time

import pytest
import websockets

from livechat import services
from livechat.limits import SERVER_MAX_FRAME_BYTES
from tests.support.celery import worker_database_url
from tests.support.chat import staff_cookie, visitor_cookie
from tests.support.chat_client import ChatClient, SequentialChatClient
from tests.support.factories import make_conversation
from tests.support.processes import serving, site_env
from tickets.models import Message

MESSAGES_PER_SIDE = 25
DROPS_PER_SIDE = 6
DROPS = ("client_close", "network_cut", "server_close")
OURS = re.compile(r"^(customer|agent) (\d+)$")


@pytest.fixture
def chat_server(postgres, redis_url):
    with serving(site_env(DATABASE_URL=worker_database_url(), REDIS_URL=redis_url)) as (port, _):
        yield port


class CuttingProxy:
    """Forwards TCP connections to the server; `cut` aborts one (both sides at once, as a lost
    network does: no close frame, no FIN from the peer that the other side could wait for)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.links: dict[int, tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = {}
        self.cuts = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _link(self, client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            client_writer.transport.abort()
            return
        client_port = client_writer.get_extra_info("peername")[1]
        self.links[client_port] = (client_writer, server_writer)

        async def pipe(reader, writer) -> None:
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            writer.transport.abort()

        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))
        self.links.pop(client_port, None)

    def cut(self, client_port: int) -> None:
        link = self.links.pop(client_port, None)
        if link is not None:
            self.cuts += 1
            for writer in link:
                writer.transport.abort()

    async def stop(self) -> None:
        for port in list(self.links):
            self.cut(port)
        self.server.close()
        await self.server.wait_closed()


async def drop(client: ChatClient, proxy: CuttingProxy, how: str) -> None:
    if client.socket is None:
        return
    if how == "client_close":
        await client.socket.close()
    elif how == "network_cut":
        proxy.cut(client.socket.local_address[1])
    else:  # the server closes a socket that sends a frame over its limit (1009)
        with contextlib.suppress(websockets.ConnectionClosed):
            await client.socket.send("x" * (SERVER_MAX_FRAME_BYTES + 1))


def ours(client: ChatClient) -> list[tuple[int, str]]:
    """(id, body) of the soak's messages this client saw, in the server's order."""
    return [
        (number, client.seen[number]["body"])
        for number in sorted(client.seen)
        if OURS.match(client.seen[number]["body"])
    ]


@pytest.mark.timeout(90)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_chat_soak_with_random_disconnects_loses_doubles_and_reorders_nothing(chat_server, agent):
    seed = int(os.environ.get("CHAT_SOAK_SEED") or random.SystemRandom().randrange(2**32))
    print(f"chat soak seed: {seed} (CHAT_SOAK_SEED={seed} replays it)")
    chance = random.Random(seed)
    conversation = make_conversation()
    services.conversation_accept(public_id=str(conversation.public_id), agent=agent)
    path = f"/ws/chat/{conversation.public_id}/"
    customer_cookie = visitor_cookie("visitor-1").decode()
    agent_cookie = staff_cookie(agent).decode()
    written = {
        side: [f"{side} {number}" for number in range(1, MESSAGES_PER_SIDE + 1)]
        for side in ("customer", "agent")
    }
    drops: list[tuple[str, str]] = []

    async def scenario():
        proxy = CuttingProxy(chat_server)
        port = await proxy.start()
        clients = {
            "customer": SequentialChatClient(port, path, customer_cookie),
            "agent": SequentialChatClient(port, path, agent_cookie),
        }
        # Each side's random choices are drawn up front, so the two coroutines' interleaving
        # cannot change what the seed means: the pauses, and which messages a drop follows
        # (every kind of drop the same number of times, in a random order).
        plans = {}
        for name in clients:
            kinds = [DROPS[number % len(DROPS)] for number in range(DROPS_PER_SIDE)]
            chance.shuffle(kinds)
            positions = chance.sample(range(MESSAGES_PER_SIDE), DROPS_PER_SIDE)
            after = dict(zip(positions, kinds, strict=True))
            plans[name] = [
                (chance.uniform(0.2, 0.6), after.get(number)) for number in range(MESSAGES_PER_SIDE)
            ]

        async def side(name: str) -> None:
            client = clients[name]
            await client.open()
            for body, (pause, how) in zip(written[name], plans[name], strict=True):
                await client.send(body)
                if how:
                    drops.append((name, how))
                    before = client.reconnects
                    await drop(client, proxy, how)
                    # Read on until the client has noticed and reconnected (as chat.js does).
                    await client.pump(
                        lambda client=client, before=before: client.reconnects > before,
                        timeout=10,
                    )
                await client.pump(lambda: False, timeout=pause)

        started = time.monotonic()
        await asyncio.gather(side("customer"), side("agent"))
        everything = set(written["customer"] + written["agent"])

        def settled(client: ChatClient):
            return lambda: not client.outbox and everything <= {body for _, body in ours(client)}

        await asyncio.gather(
            *(client.pump(settled(client), timeout=30) for client in clients.values())
        )
        elapsed = time.monotonic() - started
        for client in clients.values():
            with contextlib.suppress(websockets.ConnectionClosed):
                await client.socket.close()
        await proxy.stop()
        print(
            f"soak: {elapsed:.1f} s, errors {[client.errors for client in clients.values()]},"
            f" close codes {[client.close_codes for client in clients.values()]}"
        )
        return clients, elapsed, proxy.cuts

    clients, elapsed, cuts = asyncio.run(scenario())
    replay = f"seed {seed}, drops {drops}"

    stored = list(
        Message.objects.filter(ticket=conversation.ticket).order_by("id").values_list("id", "body")
    )
    stored = [(number, body) for number, body in stored if OURS.match(body)]
    for name, client in clients.items():
        seen = ours(client)
        # Zero lost, zero doubled, the server's order: what each side saw is what was stored.
        assert seen == stored, f"{name} ({replay})"
        assert not client.outbox, f"{name} still has {client.outbox} ({replay})"
    bodies = [body for _, body in stored]
    assert sorted(bodies) == sorted(written["customer"] + written["agent"]), replay
    for side in ("customer", "agent"):  # each side's messages in the order it wrote them
        assert [body for body in bodies if body.startswith(side)] == written[side], replay
    # The run was a soak: every drop happened, and each socket reconnected after it.
    assert len(drops) == 2 * DROPS_PER_SIDE, replay
    assert cuts == sum(how == "network_cut" for _, how in drops)
    for name, client in clients.items():
        assert client.reconnects >= sum(who == name for who, _ in drops), f"{name} ({replay})"
    assert elapsed < 60, f"the soak took {elapsed:.0f} s ({replay})"
