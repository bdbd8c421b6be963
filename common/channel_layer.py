"""The channel layer: channels-redis, with a group's members in this process reached directly.

channels-redis's `group_send` reads the group from Redis, then writes the event into every
member process's queue in Redis; each process then takes its events out again one at a time
through a single receive loop (a clean-up script, BZPOPMIN, a backup ZADD and, after it, a
ZPOPMIN: four round trips per event, one event after another). A live-chat message reaches
two sockets (the sender's acknowledgement and the other side), so a process delivering 200
messages a second made some 2,000 Redis round trips in a row on its event loop for them, and
everything behind them waited (docs/benchmarks.md).

Here, a member whose channel belongs to this process (its name carries this layer's client
prefix) gets the event straight into the buffer its receive() reads, without a round trip. For
that, this process's queue in Redis is drained by one reader task into the channels' buffers,
and every consumer waits on its own buffer: in channels-redis one of the consumers does the
reading, and while it waited in Redis an event put straight into its buffer would wait with it.
Members elsewhere get it through Redis as before, so several server processes still reach each
other's sockets. The group is read in one pipelined round trip instead of two. Only the loop
that receives takes the direct path: asyncio queues are not thread-safe, so a send from another
loop (a thread's `async_to_sync`) goes through Redis as channels-redis sends it.

A direct event must not overtake one already on its way to this process through Redis (a
`send()`, another loop's or process's group_send): while this process's queue or its backup
holds anything, or the reader holds an event it has popped, group_send goes through Redis too.
"""

import asyncio
import collections
import contextvars
import logging
import time

from channels_redis.core import RedisChannelLayer

logger = logging.getLogger(__name__)

# The same script channels-redis 4.3 runs per connection in group_send.
_GROUP_SEND_LUA = """
    local over_capacity = 0
    local current_time = ARGV[#ARGV - 1]
    local expiry = ARGV[#ARGV]
    for i=1,#KEYS do
        if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + #KEYS]) then
            redis.call('ZADD', KEYS[i], current_time, ARGV[i])
            redis.call('EXPIRE', KEYS[i], expiry)
        else
            over_capacity = over_capacity + 1
        end
    end
    return over_capacity
"""


# The script channels-redis 4.3 runs before each blocking read: events a cancelled read left in
# the backup queue go back to the front of the queue.
_RESTORE_BACKUP_LUA = """
    local backed_up = redis.call('ZRANGE', ARGV[2], 0, -1, 'WITHSCORES')
    for i = #backed_up, 1, -2 do
        redis.call('ZADD', ARGV[1], backed_up[i], backed_up[i - 1])
    end
    redis.call('DEL', ARGV[2])
"""

# True in a reader task (each runs in a context of its own).
_IN_READER = contextvars.ContextVar("in_channel_layer_reader", default=False)

# A reader with nobody receiving is stopped after this long (a consumer between two events is
# not receiving for a moment; stopping and restarting the reader for each would cost more).
READER_IDLE_SECONDS = 1.0


class _ReaderFailed:
    """Put in the waiting consumers' buffers when the reader fails (Redis gone): each of them
    raises the error, as the consumer doing the reading did in channels-redis, and its socket
    closes so the client reconnects (livechat.consumers)."""

    def __init__(self, error: Exception) -> None:
        self.error = error


class _IdleStop(Exception):
    """Ends a reader that nobody has received from for READER_IDLE_SECONDS."""


class LocalFirstRedisChannelLayer(RedisChannelLayer):
    """RedisChannelLayer whose group events to this process's own channels skip Redis."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._reader: asyncio.Task | None = None
        # Set by the idle timer: the reader ends after its current read instead of being
        # cancelled in it (a cancelled BZPOPMIN can lose the event Redis has just popped).
        self._reader_stop_requested = False
        self._process_channel: str | None = None
        self._reader_holds_event = False
        # Buffers of channels nobody receives any more (a socket closed with events left or
        # still coming) are dropped once unread for `expiry`, as Redis drops such events.
        self._receiving: collections.Counter[str] = collections.Counter()
        self._unread_since: dict[str, float] = {}
        self._next_sweep = 0.0

    async def receive(self, channel):
        if "!" not in channel:
            return await super().receive(channel)
        self.require_valid_channel_name(channel)  # raises TypeError for an invalid name
        process_channel = self.non_local_name(channel)
        if not process_channel.endswith(self.client_prefix + "!"):
            raise ValueError("Wrong client prefix")
        loop = asyncio.get_running_loop()
        if self.receive_event_loop is not loop:
            if self.receive_count:
                raise RuntimeError(
                    "Two event loops are trying to receive() on one channel layer at once!"
                )
            self.receive_event_loop = loop
        self.receive_count += 1
        reader = self._reader
        if reader is None or reader.done() or reader.get_loop() is not loop:
            self._process_channel = process_channel
            self._reader = loop.create_task(self._read_into_buffers(process_channel))
        self._reader_stop_requested = False
        queue = self.receive_buffer[channel]
        self._receiving[channel] += 1
        try:
            message = await queue.get()
        finally:
            self.receive_count -= 1
            self._receiving[channel] -= 1
            if not self._receiving[channel]:
                del self._receiving[channel]
            if queue.empty() and self.receive_buffer.get(channel) is queue:
                del self.receive_buffer[channel]
                self._unread_since.pop(channel, None)
            else:
                self._unread_since[channel] = time.monotonic()
            self._drop_unread_buffers()
            if self.receive_count == 0:
                loop.call_later(READER_IDLE_SECONDS, self._stop_idle_reader, loop)
        if isinstance(message, _ReaderFailed):
            raise message.error
        return message

    async def _read_into_buffers(self, process_channel: str) -> None:
        """This process's events from Redis, each into its channel's buffer (or channels')."""
        _IN_READER.set(True)
        self._reader_holds_event = False
        try:
            while True:
                target, message = await self.receive_single(process_channel)
                for channel in target if isinstance(target, list) else [target]:
                    self.receive_buffer[channel].put_nowait(message)
                self._reader_holds_event = False
        except _IdleStop:
            return
        except Exception as error:
            # The next receive() starts another reader.
            failed = _ReaderFailed(error)
            for queue in list(self.receive_buffer.values()):
                queue.put_nowait(failed)

    def _drop_unread_buffers(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + min(self.expiry, 10)
        for channel in list(self.receive_buffer):
            if channel in self._receiving:
                continue
            since = self._unread_since.setdefault(channel, now)
            if now - since >= self.expiry:
                del self.receive_buffer[channel]
                del self._unread_since[channel]

    def _stop_idle_reader(self, loop) -> None:
        reader = self._reader
        if self.receive_count == 0 and reader is not None and reader.get_loop() is loop:
            # Not cancelled: between Redis popping an event and the backup copy channels-redis
            # writes after it, a cancelled reader loses it. The reader ends when its read
            # comes back empty (within brpop_timeout), unless a receive() wants it again.
            self._reader_stop_requested = True
            if self.receive_event_loop is loop:
                self.receive_event_loop = None

    async def _brpop_with_clean(self, index, channel, timeout):
        if not _IN_READER.get():
            return await super()._brpop_with_clean(index, channel, timeout)
        # channels-redis 4.3's, but saying while the reader holds an event Redis no longer
        # has in the queue or its backup, so that no direct event overtakes it (group_send).
        connection = self.connection(index)
        backup_queue = self._backup_channel_name(channel)
        await connection.eval(_RESTORE_BACKUP_LUA, 0, channel, backup_queue)
        result = await connection.bzpopmin(channel, timeout=timeout)
        if result is not None:
            self._reader_holds_event = True
            _, member, timestamp = result
            await connection.zadd(backup_queue, {member: float(timestamp)})
        else:
            member = None
        # A reader also ends when a receive() on another loop has started one of its own.
        superseded = asyncio.current_task() is not self._reader
        if member is None and (self._reader_stop_requested or superseded):
            raise _IdleStop
        return member

    def is_local(self, channel: str) -> bool:
        return "!" in channel and self.non_local_name(channel).endswith(self.client_prefix + "!")

    async def group_send(self, group, message):
        self.require_valid_group_name(group)  # raises TypeError for an invalid name
        key = self._group_key(group)
        index = self.consistent_hash(group)
        connection = self.connection(index)
        process_channel = self._process_channel
        direct = self.receive_event_loop is asyncio.get_running_loop() and process_channel
        # Events already on their way to this process through Redis (a send(), another loop's
        # or process's group_send, or one sent while nobody received) must not be overtaken:
        # while any wait in this process's queue, local members get this one through it too.
        pending_keys = []
        if direct:
            process_key = self.prefix + process_channel
            pending_keys = [process_key, self._backup_channel_name(process_key)]
        same_connection = bool(pending_keys) and self.consistent_hash(process_channel) == index
        async with connection.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(key, min=0, max=int(time.time()) - self.group_expiry)
            pipe.zrange(key, 0, -1)
            if same_connection:
                pipe.exists(*pending_keys)  # an empty sorted set does not exist
            _removed, members, *pending = await pipe.execute()
        if pending_keys and not same_connection:
            process_connection = self.connection(self.consistent_hash(process_channel))
            pending = [await process_connection.exists(*pending_keys)]
        channel_names = [member.decode("utf8") for member in members]
        if direct and not any(pending) and not self._reader_holds_event:
            local = [n for n in channel_names if self.non_local_name(n) == process_channel]
        else:
            local = []
        if local:
            # Each member gets its own copy, as one deserialized from Redis would be.
            serialized = self.serialize(message)
            for channel in local:
                self.receive_buffer[channel].put_nowait(self.deserialize(serialized))
            local_names = set(local)
            channel_names = [name for name in channel_names if name not in local_names]
        if channel_names:
            await self._send_through_redis(group, channel_names, message)

    async def _send_through_redis(self, group: str, channel_names: list[str], message) -> None:
        """channels-redis 4.3's group_send from the point the members are known."""
        (
            connection_to_channel_keys,
            channel_keys_to_message,
            channel_keys_to_capacity,
        ) = self._map_channel_keys_to_connection(channel_names, message)
        for connection_index, channel_redis_keys in connection_to_channel_keys.items():
            connection = self.connection(connection_index)
            pipe = connection.pipeline()
            for key in channel_redis_keys:
                pipe.zremrangebyscore(key, min=0, max=int(time.time()) - int(self.expiry))
            await pipe.execute()
            args = [channel_keys_to_message[key] for key in channel_redis_keys]
            args += [channel_keys_to_capacity[key] for key in channel_redis_keys]
            args += [time.time(), self.expiry]
            over_capacity = await connection.eval(
                _GROUP_SEND_LUA, len(channel_redis_keys), *channel_redis_keys, *args
            )
            if over_capacity > 0:
                logger.info(
                    "%s of %s channels over capacity in group %s",
                    over_capacity,
                    len(channel_names),
                    group,
                )
