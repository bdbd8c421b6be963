"""The consumers' database threads: off asgiref's one thread-sensitive thread, each keeping its
connection and skipping needless health checks; a conversation's posts stay ordered."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from django.db import connections

from agents.models import Team
from common import realtime
from livechat import db, services
from livechat.db import chat_db
from tests.support.factories import make_conversation
from tickets.models import Message


def count_teams() -> int:
    return Team.objects.count()


def thread_connection():
    """The calling thread's connection wrapper (after a query, so it is open)."""
    Team.objects.exists()
    return threading.current_thread().name, connections["default"]


def in_server_loop(coroutine_function):
    """Run as under the ASGI server: an event loop of its own, with no sync caller above it
    (`async_to_sync` would send the calls back to the calling thread)."""
    outcome = {}

    def loop_thread():
        try:
            outcome["result"] = asyncio.run(coroutine_function())
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=loop_thread)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def call(function):
    async def once():
        return await chat_db(function)()

    return in_server_loop(once)


@pytest.fixture
def one_thread(monkeypatch):
    """A pool of one thread, so consecutive calls land on the same connection."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chat-db")
    monkeypatch.setattr(db, "_executor", executor)
    yield executor
    db.close_thread_connections()
    executor.shutdown()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_calls_run_on_the_chat_threads_not_the_thread_sensitive_one(one_thread):
    name, _ = call(thread_connection)
    assert name.startswith("chat-db")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_under_async_to_sync_calls_go_back_to_the_calling_thread():
    name, _ = async_to_sync(chat_db(thread_connection))()
    assert name == threading.current_thread().name


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_that_just_answered_is_reused_without_a_health_check(postgres, one_thread):
    _, wrapper = call(thread_connection)
    first = wrapper.connection
    checks = []
    real_is_usable = wrapper.is_usable
    wrapper.is_usable = lambda: checks.append(1) or real_is_usable()
    for _ in range(3):
        call(count_teams)

    assert wrapper.connection is first  # kept between calls, not reopened
    assert checks == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_idle_for_a_while_is_checked_again(postgres, one_thread):
    _, wrapper = call(thread_connection)
    checks = []
    real_is_usable = wrapper.is_usable
    wrapper.is_usable = lambda: checks.append(1) or real_is_usable()
    wrapper.chat_answered_at -= 60
    call(count_teams)

    assert checks == [1]


def test_the_pool_has_one_thread_on_sqlite_and_several_on_postgresql(settings):
    vendor = connections["default"].vendor
    settings.CHAT_DATABASE_THREADS = None
    assert db.database_threads() == (4 if vendor == "postgresql" else 1)
    settings.CHAT_DATABASE_THREADS = 3
    assert db.database_threads() == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_posts_from_several_threads_keep_the_prev_chain_gapless(postgres, monkeypatch):
    """Posts to one conversation from every chat thread at once: each broadcast names the
    message before it, read under the row lock, with none skipped or repeated."""
    conversation = make_conversation()
    opening = Message.objects.get(ticket=conversation.ticket)
    broadcasts = []
    threads = set()
    monkeypatch.setattr(realtime, "publish", lambda group, event: broadcasts.append(event))

    def post(number: int) -> None:
        threads.add(threading.current_thread().name)
        services.chat_message_post(
            conversation=conversation, sender="customer", body=f"m{number}", client_id=None
        )

    async def burst():
        await asyncio.gather(*(chat_db(post)(number) for number in range(40)))

    try:
        in_server_loop(burst)
    finally:
        db.close_thread_connections()

    chain = {event["payload"]["id"]: event["payload"]["prev"] for event in broadcasts}
    ids = sorted(chain)
    assert len(ids) == 40
    assert [chain[message_id] for message_id in ids] == [opening.pk, *ids[:-1]]
    assert len(threads) > 1
    assert db.pending() == 0
