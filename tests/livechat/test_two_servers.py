"""Two ASGI server processes sharing Redis: a customer on one, an agent on the other, messages
crossing both ways (runs in CI; skips on a laptop without PostgreSQL and Redis)."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from uuid import uuid4

import pytest
import websockets
from django.conf import settings

from tests.livechat.conftest import make_conversation, staff_cookie, visitor_cookie
from tests.tickets.test_celery_integration import worker_database_url

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server on port {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"server on port {port} did not start")


@pytest.fixture
def two_servers(postgres, redis_url):
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "wallet_support.settings",
        "DEBUG": "0",
    }
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "wallet_support.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_for_port(port, process)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)


async def next_of(connection, kind: str) -> dict:
    while True:
        event = json.loads(await asyncio.wait_for(connection.recv(), timeout=10))
        if event["type"] == kind:
            return event


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_messages_cross_two_server_processes(two_servers, agent):
    conversation = make_conversation()
    customer_cookie = visitor_cookie("visitor-1").decode()
    agent_cookie = staff_cookie(agent).decode()
    path = f"/ws/chat/{conversation.public_id}/"
    first, second = two_servers

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
