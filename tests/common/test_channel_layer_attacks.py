"""Attacks on the channel layer's direct path (common/channel_layer.py), on a real Redis: the
reader lagging or stopped while events are in Redis, and the idle timer firing mid-read."""

import asyncio
from uuid import uuid4

import pytest
from asgiref.sync import async_to_sync
from redis.asyncio import Redis

from common import channel_layer as channel_layer_module
from common.channel_layer import LocalFirstRedisChannelLayer


def layer(redis_url: str) -> LocalFirstRedisChannelLayer:
    return LocalFirstRedisChannelLayer(hosts=[redis_url], prefix=f"test-{uuid4().hex[:8]}")


def test_send_then_group_send_to_own_channel_arrive_in_order(redis_url, monkeypatch):
    original = Redis.bzpopmin

    async def lagging_bzpopmin(self, *args, **kwargs):
        # a loaded event loop: the reader gets to Redis a little after the events were written
        await asyncio.sleep(0.2)
        return await original(self, *args, **kwargs)

    async def scenario():
        here = layer(redis_url)
        mine = await here.new_channel()
        await here.group_add("chat.order", mine)
        first = asyncio.ensure_future(here.receive(mine))
        await asyncio.sleep(0.05)

        # given an event on its way through Redis (a direct send, or one from another
        # process or loop); when a later group event takes the direct path
        await here.send(mine, {"type": "chat.message", "n": 1})
        await here.group_send("chat.order", {"type": "chat.message", "n": 2})
        received = [await asyncio.wait_for(first, 5)]
        received.append(await asyncio.wait_for(here.receive(mine), 5))
        await here.flush()
        return received

    monkeypatch.setattr(Redis, "bzpopmin", lagging_bzpopmin)
    received = async_to_sync(scenario)()

    assert [event["n"] for event in received] == [1, 2]


def test_group_send_does_not_overtake_an_event_the_reader_has_popped(redis_url, monkeypatch):
    original = Redis.zadd

    async def slow_backup_zadd(self, name, *args, **kwargs):
        if str(name).endswith(("$inflight", "$inflight'")):
            # the reader has the event from Redis and is writing its backup copy
            await asyncio.sleep(0.2)
        return await original(self, name, *args, **kwargs)

    async def scenario():
        here = layer(redis_url)
        mine = await here.new_channel()
        await here.group_add("chat.popped", mine)
        first = asyncio.ensure_future(here.receive(mine))
        await asyncio.sleep(0.05)
        await here.send(mine, {"type": "chat.message", "n": 1})
        await asyncio.sleep(0.05)  # popped: in neither the queue nor its backup in Redis
        await here.group_send("chat.popped", {"type": "chat.message", "n": 2})
        received = [await asyncio.wait_for(first, 5)]
        received.append(await asyncio.wait_for(here.receive(mine), 5))
        await here.flush()
        return received

    monkeypatch.setattr(Redis, "zadd", slow_backup_zadd)
    received = async_to_sync(scenario)()

    assert [event["n"] for event in received] == [1, 2]


def test_idle_stop_while_the_reader_holds_a_popped_event_loses_nothing(redis_url, monkeypatch):
    original = Redis.bzpopmin

    async def slow_reply_bzpopmin(self, *args, **kwargs):
        result = await original(self, *args, **kwargs)
        if result is not None:
            # Redis has popped the event; its reply is still on its way to the reader
            await asyncio.sleep(0.5)
        return result

    monkeypatch.setattr(channel_layer_module, "READER_IDLE_SECONDS", 0.2)
    monkeypatch.setattr(Redis, "bzpopmin", slow_reply_bzpopmin)

    async def scenario():
        here = layer(redis_url)
        mine = await here.new_channel()
        # a consumer that received, then went to handle something: nobody receives for a while
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(here.receive(mine), 0.05)
        await here.send(mine, {"type": "chat.message", "n": 1})  # popped before the idle stop
        await asyncio.sleep(0.8)
        received = await asyncio.wait_for(here.receive(mine), 5)
        extra = await asyncio.gather(
            asyncio.wait_for(here.receive(mine), 0.5), return_exceptions=True
        )
        await here.flush()
        return received, extra

    received, extra = async_to_sync(scenario)()

    assert received == {"type": "chat.message", "n": 1}
    assert isinstance(extra[0], asyncio.TimeoutError)  # and once only


def test_buffer_of_a_channel_nobody_receives_any_more_is_dropped_after_expiry(redis_url):
    async def scenario():
        here = LocalFirstRedisChannelLayer(
            hosts=[redis_url], prefix=f"test-{uuid4().hex[:8]}", expiry=1
        )
        alive, gone = await here.new_channel(), await here.new_channel()
        for channel in (alive, gone):
            await here.group_add("chat.leak", channel)
        listening = asyncio.ensure_future(here.receive(alive))
        await asyncio.sleep(0.05)
        # given a socket that closed with events still coming to it (a group_send that read
        # the group just before its group_discard, or events it never got to read)
        await here.group_send("chat.leak", {"type": "chat.message", "n": 1})
        await asyncio.wait_for(listening, 5)
        await here.group_discard("chat.leak", gone)
        left_behind = gone in here.receive_buffer
        # when the process goes on receiving for others beyond the layer's expiry
        for number in range(2, 5):
            await asyncio.sleep(0.6)
            await here.group_send("chat.leak", {"type": "chat.message", "n": number})
            await asyncio.wait_for(here.receive(alive), 5)
        await here.flush()
        return left_behind, gone in here.receive_buffer

    left_behind, still_there = async_to_sync(scenario)()

    assert left_behind  # the scenario did leave a buffer
    assert not still_there  # then: dropped, as Redis drops an event nobody read in `expiry`


@pytest.fixture(autouse=True)
def _no_database():
    """These tests use Redis only."""


def test_redis_killed_under_a_waiting_receive_raises_then_works_after_restart(own_redis):
    async def scenario():
        here = LocalFirstRedisChannelLayer(hosts=[own_redis.url], prefix="test-kill")
        mine = await here.new_channel()
        await here.group_add("chat.kill", mine)
        waiting = asyncio.ensure_future(here.receive(mine))
        await asyncio.sleep(0.1)

        own_redis.stop()
        # a socket must close (livechat turns the error into 1012), never hang
        failure = await asyncio.gather(asyncio.wait_for(waiting, 5), return_exceptions=True)
        own_redis.start()
        await here.group_add("chat.kill", mine)  # the restarted Redis is empty
        receiving = asyncio.ensure_future(here.receive(mine))
        await asyncio.sleep(0.1)
        await here.group_send("chat.kill", {"type": "chat.message", "n": 1})
        after = await asyncio.wait_for(receiving, 5)
        await here.flush()
        return failure[0], after

    failure, after = async_to_sync(scenario)()

    assert isinstance(failure, Exception)
    assert not isinstance(failure, asyncio.TimeoutError)
    assert after == {"type": "chat.message", "n": 1}
