"""A WebSocket's session and user (security.socket_sessions): the same user as a page gets, read
without the cache, and a session whose password hash is stale ended everywhere."""

from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedSession
from django.core.cache import cache, caches

from tests.security.test_sessions_and_audit import verified_client
from tests.support.chat import communicator, run
from tests.support.factories import make_agent

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def session_key_of(cookie: bytes) -> str:
    return cookie.decode().split("=", 1)[1]


def agent_socket_opens(cookie: bytes) -> bool:
    async def scenario():
        socket = communicator("/ws/agent/", cookie)
        connected, _ = await socket.connect()
        if connected:
            assert (await socket.receive_json_from())["type"] == "queue"
            await socket.disconnect()
        return connected

    return run(scenario)


def test_a_socket_opens_with_the_sessions_user_without_asking_the_cache():
    _, cookie = verified_client(make_agent("transactions"))
    cache.clear()  # the cached copy gone: a socket reads the session where it is kept

    def refuse(*args, **kwargs):
        raise AssertionError("a socket asked the cache for the session")

    with mock.patch.object(type(caches["default"]), "get", refuse):
        assert agent_socket_opens(cookie)


def test_a_session_whose_password_changed_opens_no_socket_and_ends_for_pages_too():
    agent = make_agent("transactions")
    client, cookie = verified_client(agent)
    key = session_key_of(cookie)
    # The password changes elsewhere (the hash in the session no longer matches); the session
    # itself is still in the cache and the database.
    agent.set_password("a new and long password 7")
    agent.save(update_fields=["password"])
    assert CachedSession(key).exists(key)

    assert not agent_socket_opens(cookie)
    assert not CachedSession(key).exists(key)
    assert cache.get(CachedSession.cache_key_prefix + key) is None
    assert client.get("/admin/").status_code == 302  # to the log-in page


def test_a_session_signed_with_a_fallback_key_still_opens_the_socket(settings):
    _, cookie = verified_client(make_agent("transactions"))
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-rotated-secret-key-for-this-test-only-0123456789"
    assert agent_socket_opens(cookie)


def test_a_socket_without_a_session_cookie_is_anonymous():
    assert not agent_socket_opens(b"")
    assert not agent_socket_opens(f"{settings.SESSION_COOKIE_NAME}=not-a-session".encode())


def test_a_logged_in_page_still_works_after_its_socket_opened():
    client, cookie = verified_client(make_agent("transactions"))
    assert agent_socket_opens(cookie)
    assert client.get("/admin/").status_code == 200
