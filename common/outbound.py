"""Outbound HTTP with the limits a server process needs when it calls someone else's server
(the wallet's webhook receivers, the chain providers): every socket opened through a vetting
`connect`, and the whole exchange cut off after a deadline, not only each socket operation."""

import contextlib
import http.client
import socket
import threading
import time
import urllib.request
from collections.abc import Callable

# (host, port), timeout, source address -> a connected socket: socket.create_connection's shape.
Connect = Callable[..., socket.socket]


_deadline = threading.local()


def connect_first(
    infos: list[tuple], *, timeout: float | None, source_address: tuple[str, int] | None = None
) -> socket.socket:
    """A socket connected to the first of `infos` (getaddrinfo's rows) that answers, as
    socket.create_connection does, but within the deadline of `opener_within` when one runs in
    this thread: each attempt gets what is left of it, so a name resolving to many silent
    addresses cannot hold the caller for their number times the time-out."""
    deadline = getattr(_deadline, "at", None)
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:
        wait = timeout
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the deadline passed while connecting")
            wait = left if timeout is None else min(timeout, left)
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(wait)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        sock.settimeout(timeout)
        return sock
    raise error or OSError("no address to connect to")


def connect_resolved(
    address: tuple[str, int],
    timeout: float | None = None,
    source_address: tuple[str, int] | None = None,
) -> socket.socket:
    """socket.create_connection within the deadline (connect_first)."""
    host, port = address
    return connect_first(
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM),
        timeout=timeout,
        source_address=source_address,
    )


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
    answering a byte at a time would hold the caller for as long as it likes. `connect` (default
    connect_resolved) should connect through connect_first, which keeps to the same deadline."""
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

    opens = connect or connect_resolved
    opener = urllib.request.build_opener(
        *handlers, GuardedHTTPHandler(opens, keep), GuardedHTTPSHandler(opens, keep)
    )
    outer = getattr(_deadline, "at", None)
    _deadline.at = time.monotonic() + seconds
    watchdog = threading.Timer(seconds, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield opener, expired
    finally:
        watchdog.cancel()
        _deadline.at = outer
