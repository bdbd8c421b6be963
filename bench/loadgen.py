"""A small keep-alive HTTP/1.1 load generator (asyncio streams), bounded in time and count."""

import asyncio
import statistics
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    path: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


async def _read_response(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("server closed the connection")
    status = int(status_line.split()[1])
    length = 0
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _worker(host, port, request: bytes, deadline, max_requests, result: LoadResult):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline and result.requests < max_requests:
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status = await _read_response(reader)
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.requests += 1
            if status >= 400:
                result.errors += 1
    finally:
        writer.close()


async def run_load(
    host: str, port: int, path: str, *, seconds: float, connections: int, max_requests: int = 10**6
) -> LoadResult:
    """Hit one path from `connections` keep-alive connections for `seconds`."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Language: zh-hans\r\n"
        "Connection: keep-alive\r\n\r\n"
    ).encode()
    result = LoadResult(path, 0, 0, 0.0, [])
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_worker(host, port, request, deadline, max_requests, result) for _ in range(connections))
    )
    result.seconds = time.perf_counter() - started
    return result
