"""Live-chat helpers: sessions and communicators on the real ASGI app."""

from importlib import import_module
from uuid import uuid4

from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from livechat.consumers import VISITOR_SESSION_KEY
from tests.support.auth import login_with_second_factor

ORIGIN = (b"origin", b"http://testserver")
# The Host a browser sends: the origin check compares the Origin with it, port and all.
HOST = (b"host", b"testserver")


def run(coroutine_function):
    """Run an async scenario from a plain (sync) test."""
    return async_to_sync(coroutine_function)()


def visitor_cookie(visitor_key: str) -> bytes:
    """A session holding the visitor's key, as the chat start view leaves it."""
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session[VISITOR_SESSION_KEY] = visitor_key
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


def staff_cookie(user) -> bytes:
    client = Client()
    login_with_second_factor(client, user)
    session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
    return f"{settings.SESSION_COOKIE_NAME}={session_id}".encode()


# What a test waits for an answer it expects. Channels' default (1 s) is shorter than a first
# database connection takes on a loaded two-core CI machine; a consumer that never answers still
# fails the test, only later. Waits for silence pass their own short timeouts.
EXPECTED_WITHIN = 10


class Communicator(WebsocketCommunicator):
    async def connect(self, timeout=EXPECTED_WITHIN):
        return await super().connect(timeout)

    async def receive_from(self, timeout=EXPECTED_WITHIN):
        return await super().receive_from(timeout)

    async def receive_json_from(self, timeout=EXPECTED_WITHIN):
        return await super().receive_json_from(timeout)

    async def receive_output(self, timeout=EXPECTED_WITHIN):
        return await super().receive_output(timeout)


def communicator(path: str, cookie: bytes | None = None, origin=ORIGIN) -> WebsocketCommunicator:
    from wallet_support.asgi import application

    headers = [HOST]
    if origin:
        headers.append(origin)
    if cookie:
        headers.append((b"cookie", cookie))
    return Communicator(application, path, headers=headers)


def new_client_id() -> str:
    return str(uuid4())
