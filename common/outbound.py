"""Outbound HTTP with the limits a server process needs when it calls someone else's server
(the wallet's webhook receivers, the chain providers): every socket opened through a vetting
`connect`, and the whole exchange cut off after a deadline, not only each socket operation."""

import contextlib
import http.client
import socket
import threading
import urllib.request
from collections.abc import Callable

# (host, port), timeout, source address -> a connected socket: socket.create_connection's shape.
Connect = Callable[..., socket.socket]


def _guarded(
    base: type[http.client.HTTPConnection], connect: Connect, opened: Callable | None = None
) -> type:
    """`base` that opens its socket through `connect` (which vets the resolved address and
    connects to that very address, so a second DNS answer cannot differ from the vetted one),
    and hands the open socket (TLS-wrapped for https) to `opened`."""

    class Guarded(base):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = connect

        def connect(self) -> None:
            super().connect()
            if opened is not None:
                opened(self.sock)

    return Guarded


class GuardedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, connect: Connect, opened: Callable | None = None) -> None:
        super().__init__()
        self._connect = connect
        self._opened = opened

    def http_open(self, req: urllib.request.Request):
        return self.do_open(_guarded(http.client.HTTPConnection, self._connect, self._opened), req)


class GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, connect: Connect, opened: Callable | None = None) -> None:
        super().__init__()
        self._connect = connect
        self._opened = opened

    def https_open(self, req: urllib.request.Request):
        return self.do_open(
            _guarded(http.client.HTTPSConnection, self._connect, self._opened),
            req,
            context=self._context,
        )


@contextlib.contextmanager
def opener_within(
    seconds: float,
    *,
    connect: Connect | None = None,
    handlers: list[urllib.request.BaseHandler] | tuple = (),
):
    """A urllib opener whose sockets are all shut `seconds` after entry, and the event telling
    whether that happened. A request's own timeout bounds each socket operation only, so a server
    answering a byte at a time would hold the caller for as long as it likes."""
    opened: list[socket.socket] = []
    expired = threading.Event()

    def shut(sock: socket.socket) -> None:
        # OSError: closed already, the request ended.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def keep(sock: socket.socket) -> None:
        opened.append(sock)
        if expired.is_set():
            shut(sock)

    def expire() -> None:
        expired.set()
        for sock in opened:
            shut(sock)

    opens = connect or socket.create_connection
    opener = urllib.request.build_opener(
        *handlers, GuardedHTTPHandler(opens, keep), GuardedHTTPSHandler(opens, keep)
    )
    watchdog = threading.Timer(seconds, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield opener, expired
    finally:
        watchdog.cancel()
