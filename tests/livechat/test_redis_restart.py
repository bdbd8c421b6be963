"""Redis restarted under a live chat (issue 21): a production server process
(wallet_support/serve.py) on a Redis server of the test's own, which the test stops and starts
again mid-conversation. The restarted Redis is empty: every group a socket had joined is gone.
Sockets must then either keep delivering or close, so that the client reconnects and resumes;
nothing may be lost, nothing doubled. Runs in CI (PostgreSQL, and a redis-server binary)."""

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import time
from uuid import uuid4

import pytest
import redis
import websockets
from django.conf import settings

from livechat import services
from tests.livechat.test_two_servers import ROOT, free_port, wait_for_port
from tests.support.celery import worker_database_url
from tests.support.chat import staff_cookie, visitor_cookie
from tests.support.factories import make_conversation
from tickets.models import Message
from wallet_support import serve

REDIS_SERVER = shutil.which("redis-server")


class RedisProcess:
    """A redis-server of this test's own that keeps nothing on disk, so a restart empties it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail("the test's Redis did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis():
    if REDIS_SERVER is None:
        pytest.skip("needs the redis-server binary")
    server = RedisProcess()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server_on_own_redis(postgres, own_redis):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": own_redis.url,
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "wallet_support.settings",
        "DEBUG": "0",
    }
    process = subprocess.Popen(
        serve.command(host="127.0.0.1", port=port, workers=1),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("FAULT_LOG", os.devnull), "w"),  # noqa: SIM115
        start_new_session=True,
    )
    try:
        wait_for_port(port, process)
        yield port
    finally:
        process.terminate()
        try:  # uvicorn waits up to 20 s for open sockets to close
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class ChatClient:
    """What static/js/chat.js does, in brief: one socket, reopened when it closes, `resume` from
    the last message seen, and every message not acknowledged sent again with its client_id."""

    def __init__(self, port: int, path: str, cookie: str) -> None:
        self.url = f"ws://127.0.0.1:{port}{path}"
        self.headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}
        self.socket = None
        self.last_id = 0
        self.seen: dict[int, dict] = {}
        self.outbox: dict[str, str] = {}  # client_id -> body, until acknowledged
        self.reconnects = 0
        self.close_codes: list[int | None] = []

    async def open(self) -> None:
        while True:
            try:
                self.socket = await websockets.connect(
                    self.url, additional_headers=self.headers, open_timeout=5
                )
                break
            except (OSError, websockets.InvalidStatus, websockets.InvalidHandshake, TimeoutError):
                await asyncio.sleep(0.5)
        await self.socket.send(json.dumps({"type": "resume", "after": self.last_id}))
        for client_id, body in self.outbox.items():
            await self.socket.send(
                json.dumps({"type": "message", "body": body, "client_id": client_id})
            )

    async def send(self, body: str) -> str:
        client_id = str(uuid4())
        self.outbox[client_id] = body
        with contextlib.suppress(websockets.ConnectionClosed):  # sent again on reconnecting
            await self.socket.send(
                json.dumps({"type": "message", "body": body, "client_id": client_id})
            )
        return client_id

    async def pump(self, until, *, timeout: float, resend_every: float = 3.0) -> None:
        """Read events (reconnecting as needed) until `until()` holds; resend what is not
        acknowledged every `resend_every` seconds, as the browser's acknowledgement timer does."""
        deadline = time.monotonic() + timeout
        next_resend = time.monotonic() + resend_every
        while not until():
            now = time.monotonic()
            if now > deadline:
                return
            if now > next_resend:
                next_resend = now + resend_every
                for client_id, body in list(self.outbox.items()):
                    try:
                        await self.socket.send(
                            json.dumps({"type": "message", "body": body, "client_id": client_id})
                        )
                    except websockets.ConnectionClosed:
                        break
            try:
                raw = await asyncio.wait_for(self.socket.recv(), timeout=0.5)
            except TimeoutError:
                continue
            except websockets.ConnectionClosed as closed:
                self.close_codes.append(closed.rcvd.code if closed.rcvd else None)
                self.reconnects += 1
                await self.open()
                continue
            event = json.loads(raw)
            if event["type"] == "message":
                self.seen[event["id"]] = event
                self.last_id = max(self.last_id, event["id"])
                self.outbox.pop(event.get("client_id") or "", None)

    def bodies(self) -> list[str]:
        return [self.seen[number]["body"] for number in sorted(self.seen)]


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
