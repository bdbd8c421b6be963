"""The channel layer's direct path to this process's own channels (common/channel_layer.py), on a
real Redis: two layer objects stand for two server processes."""

import asyncio
import threading
from uuid import uuid4

import pytest
from asgiref.sync import async_to_sync
from redis.asyncio import Redis

from common.channel_layer import LocalFirstRedisChannelLayer


def layer(redis_url: str) -> LocalFirstRedisChannelLayer:
    return LocalFirstRedisChannelLayer(hosts=[redis_url], prefix=f"test-{uuid4().hex[:8]}")


async def receive_soon(channel_layer, channel: str) -> dict:
    return await asyncio.wait_for(channel_layer.receive(channel), timeout=5)


def test_group_send_to_own_channel_never_writes_its_queue_in_redis(redis_url, monkeypatch):
    scripts: list[str] = []
    original_eval = Redis.eval

    def recording_eval(self, script, *args, **kwargs):
        scripts.append(script)
        return original_eval(self, script, *args, **kwargs)

    async def scenario():
        here = layer(redis_url)
        channel = await here.new_channel()
        await here.group_add("chat.one", channel)
        receiving = asyncio.ensure_future(receive_soon(here, channel))
        await asyncio.sleep(0.05)  # the receive loop is waiting, as a consumer's is
        monkeypatch.setattr(Redis, "eval", recording_eval)

        await here.group_send("chat.one", {"type": "chat.message", "payload": {"id": 1}})
        received = await receiving
        monkeypatch.undo()
        await here.flush()
        return received

    received = async_to_sync(scenario)()

    assert received == {"type": "chat.message", "payload": {"id": 1}}
    # channels-redis writes a group event into each member's process queue with this script
    assert not [script for script in scripts if "ZADD" in script]


def test_group_send_reaches_own_and_other_process_members_once_each(redis_url):
    async def scenario():
        prefix = f"test-{uuid4().hex[:8]}"
        here = LocalFirstRedisChannelLayer(hosts=[redis_url], prefix=prefix)
        there = LocalFirstRedisChannelLayer(hosts=[redis_url], prefix=prefix)
        mine, theirs = await here.new_channel(), await there.new_channel()
        await here.group_add("chat.two", mine)
        await there.group_add("chat.two", theirs)
        got_mine = asyncio.ensure_future(receive_soon(here, mine))
        got_theirs = asyncio.ensure_future(receive_soon(there, theirs))
        await asyncio.sleep(0.05)

        for number in (1, 2):
            await here.group_send("chat.two", {"type": "chat.message", "n": number})
        first = await asyncio.gather(got_mine, got_theirs)
        second = await asyncio.gather(receive_soon(here, mine), receive_soon(there, theirs))
        # nothing more for either: each got each event once
        extra = await asyncio.gather(
            asyncio.wait_for(here.receive(mine), 0.3),
            asyncio.wait_for(there.receive(theirs), 0.3),
            return_exceptions=True,
        )
        await here.flush()
        return first, second, extra

    first, second, extra = async_to_sync(scenario)()

    assert [event["n"] for event in first] == [1, 1]
    assert [event["n"] for event in second] == [2, 2]
    assert all(isinstance(result, asyncio.TimeoutError) for result in extra)


def test_each_own_member_gets_a_copy_of_the_event(redis_url):
    async def scenario():
        here = layer(redis_url)
        one, two = await here.new_channel(), await here.new_channel()
        for channel in (one, two):
            await here.group_add("chat.three", channel)
        receiving = [asyncio.ensure_future(receive_soon(here, c)) for c in (one, two)]
        await asyncio.sleep(0.05)
        await here.group_send("chat.three", {"type": "chat.message", "payload": {"id": 3}})
        first, second = await asyncio.gather(*receiving)
        await here.flush()
        return first, second

    first, second = async_to_sync(scenario)()

    first["payload"]["id"] = "changed by one consumer"
    assert second["payload"] == {"id": 3}


def test_group_send_from_another_threads_loop_goes_through_redis(redis_url):
    here = layer(redis_url)
    received: list[dict] = []
    ready = threading.Event()

    async def consumer(channel: str) -> None:
        receiving = asyncio.ensure_future(receive_soon(here, channel))
        await asyncio.sleep(0.05)
        ready.set()
        received.append(await receiving)

    channel = async_to_sync(here.new_channel)()
    async_to_sync(here.group_add)("chat.four", channel)
    thread = threading.Thread(target=lambda: asyncio.run(consumer(channel)))
    thread.start()
    assert ready.wait(5)

    # given a consumer receiving on its own loop; when a sync caller (a Celery task, a view)
    # sends from a loop of its own in this thread
    async_to_sync(here.group_send)("chat.four", {"type": "chat.message", "n": 4})
    thread.join(10)

    assert received == [{"type": "chat.message", "n": 4}]


@pytest.fixture(autouse=True)
def _no_database():
    """These tests use Redis only."""
