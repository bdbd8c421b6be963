"""Events published from sync code: sent on the calling loop, in order, without blocking."""

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from common import realtime as broadcast


def test_from_a_loops_sync_call_events_are_sent_by_the_loop_in_publish_order(monkeypatch):
    layer = get_channel_layer()
    sending_threads = []
    original_group_send = layer.group_send
    # Sends wait until the writer has returned: a publish that waited for its send would hang.
    writer_returned = asyncio.Event()

    async def recording_group_send(group, event):
        sending_threads.append(threading.current_thread())
        await writer_returned.wait()
        await original_group_send(group, event)

    monkeypatch.setattr(layer, "group_send", recording_group_send)

    def write_and_publish() -> threading.Thread:
        for number in range(30):
            broadcast.publish("tests.outbox", {"type": "tests.event", "number": number})
        return threading.current_thread()

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add("tests.outbox", channel)
        loop_thread = threading.current_thread()
        try:
            writer_thread = await asyncio.wait_for(sync_to_async(write_and_publish)(), 5)
        finally:
            writer_returned.set()
        numbers = [(await layer.receive(channel))["number"] for _ in range(30)]
        await layer.group_discard("tests.outbox", channel)
        return loop_thread, writer_thread, numbers

    loop_thread, writer_thread, numbers = async_to_sync(scenario)()

    assert writer_thread is not loop_thread
    assert numbers == list(range(30))
    assert set(sending_threads) == {loop_thread}


def test_a_group_whose_send_is_slow_does_not_hold_up_other_groups(monkeypatch):
    layer = get_channel_layer()
    original_group_send = layer.group_send
    slow_released = asyncio.Event()

    async def slow_for_one_group(group, event):
        if group == "tests.slow":
            await slow_released.wait()
        await original_group_send(group, event)

    monkeypatch.setattr(layer, "group_send", slow_for_one_group)

    def publish_both() -> None:
        for number in range(3):
            broadcast.publish("tests.slow", {"type": "tests.event", "number": number})
            broadcast.publish("tests.fast", {"type": "tests.event", "number": number})

    async def scenario():
        slow, fast = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("tests.slow", slow)
        await layer.group_add("tests.fast", fast)
        await sync_to_async(publish_both)()
        # The slow group's first send is still waiting, yet the other group's all arrive.
        fast_numbers = [
            (await asyncio.wait_for(layer.receive(fast), 5))["number"] for _ in range(3)
        ]
        slow_released.set()
        slow_numbers = [
            (await asyncio.wait_for(layer.receive(slow), 5))["number"] for _ in range(3)
        ]
        # Once a group's events are sent its sender ends; a later event starts another.
        await sync_to_async(broadcast.publish)("tests.fast", {"type": "tests.event", "number": 9})
        later = (await asyncio.wait_for(layer.receive(fast), 5))["number"]
        await layer.group_discard("tests.slow", slow)
        await layer.group_discard("tests.fast", fast)
        return fast_numbers, slow_numbers, later

    fast_numbers, slow_numbers, later = async_to_sync(scenario)()

    assert fast_numbers == [0, 1, 2]
    assert slow_numbers == [0, 1, 2]
    assert later == 9


def test_without_a_calling_loop_the_event_is_sent_before_publish_returns():
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("tests.direct", channel)

    broadcast.publish("tests.direct", {"type": "tests.event", "number": 7})

    async def first_event():
        return await layer.receive(channel)

    assert async_to_sync(first_event)()["number"] == 7
    async_to_sync(layer.group_discard)("tests.direct", channel)


@pytest.mark.django_db
def test_capture_broadcasts_records_only_what_commits_and_only_once_it_commits(
    capture_broadcasts,
):
    with capture_broadcasts() as sent:
        with transaction.atomic():
            transaction.on_commit(
                lambda: broadcast.publish("tests.kept", {"type": "tests.event", "number": 1})
            )
        try:
            with transaction.atomic():
                transaction.on_commit(
                    lambda: broadcast.publish("tests.dropped", {"type": "tests.event"})
                )
                raise RuntimeError("roll the savepoint back")
        except RuntimeError:
            pass
        before_the_commit = list(sent.events)

    assert before_the_commit == []
    assert sent.events == [("tests.kept", {"type": "tests.event", "number": 1})]
    assert sent.of_type("tests.event") == sent.events
    assert sent.of_type("chat.message") == []
    assert sent.to("tests.dropped") == []


@pytest.mark.django_db
def test_capture_broadcasts_sees_modules_that_import_publish_by_name(capture_broadcasts):
    from security import sockets

    with capture_broadcasts() as sent:
        sockets.sockets_close_for_user(7)
        sockets.sockets_close_for_session("a-session-key")

    assert sent.events == [
        ("security.user.7", {"type": "security.revoke"}),
        (sockets.session_sockets_group("a-session-key"), {"type": "security.revoke"}),
    ]
    assert "a-session-key" not in sent.events[1][0]
