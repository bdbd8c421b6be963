"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 that checks each request's
signature the way docs/api.md tells a receiver to, and answers as the test says: accept (204),
fail (503), hang past the sender's timeout, or be down altogether (connection refused)."""

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from webhooks.signing import EVENT_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify

ACCEPT = "accept"
FAIL = "fail"
HANG = "hang"


@dataclass
class Received:
    """One request as the receiver saw it, and what it answered (None: it hung up late)."""

    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    answered: int | None = None
    mode: str = ACCEPT
    at: float = field(default_factory=time.monotonic)

    @property
    def key(self) -> str:
        return self.headers.get(IDEMPOTENCY_HEADER, "")

    @property
    def event(self) -> str:
        return self.headers.get(EVENT_HEADER, "")

    @property
    def payload(self) -> dict:
        return json.loads(self.body)

    @property
    def accepted(self) -> bool:
        return self.answered is not None and 200 <= self.answered < 300


class WebhookReceiver:
    """Start it, point a subscription at `url`, switch `mode` to make it fail; `stop()` makes
    the port refuse connections, `start()` again listens on the same port."""

    def __init__(self, secret: str, *, hang_seconds: float = 3.0) -> None:
        self.secret = secret
        self.mode = ACCEPT
        self.hang_seconds = hang_seconds
        self.accept_delay = 0.0  # seconds an acceptance takes (within the sender's timeout)
        self.received: list[Received] = []
        self.port = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/desk"

    def start(self) -> "WebhookReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                record = Received(
                    path=self.path,
                    headers=dict(self.headers.items()),
                    body=body,
                    signature_ok=verify(
                        receiver.secret,
                        self.headers.get(SIGNATURE_HEADER, ""),
                        body,
                        now=int(time.time()),
                    ),
                )
                with receiver._lock:
                    receiver.received.append(record)
                    mode = record.mode = receiver.mode
                if mode == HANG:
                    receiver._released.wait(receiver.hang_seconds)
                    status = 503
                elif not record.signature_ok:
                    status = 401
                elif mode == FAIL:
                    status = 503
                else:
                    time.sleep(receiver.accept_delay)
                    status = 204
                # Recorded before the answer leaves, so a sender that read it finds it here.
                record.answered = status
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0" if status == 204 else "11")
                    self.end_headers()
                    if status != 204:
                        self.wfile.write(b"unavailable")
                except OSError:
                    record.answered = None  # the sender had given up and closed the connection

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listening socket: connections to the port are refused until start()."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def close(self) -> None:
        self._released.set()
        self.stop()

    def accepted(self) -> list[Received]:
        with self._lock:
            return [record for record in self.received if record.accepted]

    def accepted_keys(self) -> Counter:
        return Counter(record.key for record in self.accepted())

    def after_acceptance(self) -> list[Received]:
        """Requests that came for an event after the receiver had accepted it: must be none."""
        with self._lock:
            first = {}
            for record in self.received:
                if record.accepted and record.key not in first:
                    first[record.key] = record.at
            return [r for r in self.received if r.key in first and r.at > first[r.key]]
