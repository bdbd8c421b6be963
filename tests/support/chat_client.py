"""A chat client as static/js/chat.js is, in brief, for tests against a real server process."""

import asyncio
import contextlib
import json
import time
from uuid import uuid4

import websockets


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
        await self.connect()
        # A socket lost again at once is found by the next read, which reopens it.
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.socket.send(json.dumps({"type": "resume", "after": self.last_id}))
            for client_id, body in list(self.outbox.items()):
                await self.socket.send(
                    json.dumps({"type": "message", "body": body, "client_id": client_id})
                )

    async def connect(self) -> None:
        while True:
            try:
                self.socket = await websockets.connect(
                    self.url, additional_headers=self.headers, open_timeout=5
                )
                break
            except (OSError, websockets.InvalidStatus, websockets.InvalidHandshake, TimeoutError):
                await asyncio.sleep(0.5)

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


class SequentialChatClient(ChatClient):
    """chat.js's outbox as it is: one message in flight at a time, the next once the first is
    acknowledged (its stored copy came back), so a conversation keeps each writer's order. The
    message in flight goes again after reconnecting, after ACK_TIMEOUT without an answer, and
    after `retry_after` when refused as `rate_limited` or `overloaded`."""

    ACK_TIMEOUT = 10.0  # static/js/chat.js ACK_TIMEOUT_MS
    RETRY_CODES = ("rate_limited", "overloaded")

    def __init__(self, port: int, path: str, cookie: str) -> None:
        super().__init__(port, path, cookie)
        self.head_sent_at: float | None = None
        self.retry_at = 0.0
        self.errors: list[str] = []

    def head(self) -> str | None:
        return next(iter(self.outbox), None)

    async def flush(self) -> None:
        client_id = self.head()
        if client_id is None or self.head_sent_at is not None or time.monotonic() < self.retry_at:
            return
        self.head_sent_at = time.monotonic()
        frame = {"type": "message", "body": self.outbox[client_id], "client_id": client_id}
        with contextlib.suppress(websockets.ConnectionClosed):  # sent again on reconnecting
            await self.socket.send(json.dumps(frame))

    async def open(self) -> None:
        await self.connect()
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.socket.send(json.dumps({"type": "resume", "after": self.last_id}))
        self.head_sent_at = None
        await self.flush()

    async def send(self, body: str) -> str:
        client_id = str(uuid4())
        self.outbox[client_id] = body
        await self.flush()
        return client_id

    async def pump(self, until, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not until():
            now = time.monotonic()
            if now > deadline:
                return
            if self.head_sent_at is not None and now - self.head_sent_at > self.ACK_TIMEOUT:
                self.head_sent_at = None
            await self.flush()
            try:
                raw = await asyncio.wait_for(self.socket.recv(), timeout=0.2)
            except TimeoutError:
                continue
            except websockets.ConnectionClosed as closed:
                self.close_codes.append(closed.rcvd.code if closed.rcvd else None)
                self.reconnects += 1
                await self.open()
                continue
            event = json.loads(raw)
            client_id = event.get("client_id")
            if event["type"] == "message":
                self.seen[event["id"]] = event
                self.last_id = max(self.last_id, event["id"])
                if client_id in self.outbox:
                    if client_id == self.head():
                        self.head_sent_at = None
                        self.retry_at = 0.0
                    del self.outbox[client_id]
                    await self.flush()
            elif event["type"] == "error":
                self.errors.append(event["code"])
                if event["code"] in self.RETRY_CODES and client_id == self.head():
                    self.head_sent_at = None
                    self.retry_at = time.monotonic() + float(event.get("retry_after") or 2)
