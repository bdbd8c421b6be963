"""Three Redis servers (a primary and two replicas) and three Sentinels of a test's own, for the
failover test (tests/wallet_support/test_sentinel_failover.py). Sentinel is redis-server in its
sentinel mode, so the one binary serves both. Every process keeps nothing on disk but the
sentinels' own config files, which Sentinel rewrites as it learns."""

import os
import signal
import subprocess
import time
from pathlib import Path

import redis

from tests.support.processes import REDIS_SERVER, free_port, wait_for
from tests.support.services import service_unavailable

MASTER_NAME = "ws-ha"
# A primary silent for this long is down in a sentinel's eyes; two of three agreeing starts the
# election. Production keeps Sentinel's defaults or a few seconds (docs/high-availability.md).
DOWN_AFTER_MILLISECONDS = 1000
FAILOVER_TIMEOUT_MILLISECONDS = 5000


class SentinelCluster:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.redis_ports = [free_port() for _ in range(3)]
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.processes: dict[int, subprocess.Popen] = {}

    @property
    def sentinels_setting(self) -> str:
        """REDIS_SENTINELS for the site's processes."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def _dir(self, port: int) -> list[str]:
        return ["--dir", str(self.directory / f"redis-{port}")]

    def _spawn(self, port: int, arguments: list[str]) -> None:
        self.processes[port] = subprocess.Popen(
            [REDIS_SERVER, *arguments],
            stdout=(self.directory / f"redis-{port}.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self) -> None:
        if REDIS_SERVER is None:
            service_unavailable("needs the redis-server binary (Debian's redis-server package)")
        primary, *replicas = self.redis_ports
        common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        for port in self.redis_ports:
            # A replica keeps the copy it syncs in its directory: this test's, not the cwd.
            (self.directory / f"redis-{port}").mkdir()
        self._spawn(primary, ["--port", str(primary), *common, *self._dir(primary)])
        for port in replicas:
            self._spawn(
                port,
                [
                    "--port",
                    str(port),
                    *common,
                    *self._dir(port),
                    "--replicaof",
                    "127.0.0.1",
                    str(primary),
                ],
            )
        for port in self.redis_ports:
            wait_for(lambda port=port: self._answers(port), timeout=10, what=f"redis {port}")
        wait_for(
            lambda: self.client(primary).info("replication")["connected_slaves"] == 2,
            timeout=15,
            what="both replicas to follow the primary",
        )
        for port in self.sentinel_ports:
            config = self.directory / f"sentinel-{port}.conf"
            config.write_text(
                f"port {port}\n"
                "bind 127.0.0.1\n"
                f"dir {self.directory}\n"
                f"sentinel monitor {MASTER_NAME} 127.0.0.1 {primary} 2\n"
                f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MILLISECONDS}\n"
                f"sentinel failover-timeout {MASTER_NAME} {FAILOVER_TIMEOUT_MILLISECONDS}\n"
                f"sentinel parallel-syncs {MASTER_NAME} 2\n"
            )
            self._spawn(port, [str(config), "--sentinel"])
        for port in self.sentinel_ports:
            wait_for(lambda port=port: self._answers(port), timeout=10, what=f"sentinel {port}")
        # Sentinels find each other and the replicas through hello messages every 2 s; an
        # election needs the quorum to know of each other first.
        wait_for(self._sentinels_know_everyone, timeout=30, what="the sentinels to meet")

    def _answers(self, port: int) -> bool:
        try:
            return self.client(port).ping()
        except redis.RedisError:
            return False

    def _sentinels_know_everyone(self) -> bool:
        try:
            states = [
                self.client(port).sentinel_master(MASTER_NAME) for port in self.sentinel_ports
            ]
        except redis.RedisError:
            return False
        return all(
            int(state["num-other-sentinels"]) == 2 and int(state["num-slaves"]) == 2
            for state in states
        )

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1)

    def primary_port(self) -> int | None:
        """The primary's port as a majority of the sentinels name it."""
        named = []
        for port in self.sentinel_ports:
            try:
                address = self.client(port).sentinel_get_master_addr_by_name(MASTER_NAME)
            except redis.RedisError:
                continue
            if address:
                named.append(int(address[1]))
        for candidate in set(named):
            if named.count(candidate) >= 2:
                return candidate
        return None

    def kill(self, port: int) -> None:
        """SIGKILL: the server ends at once, nothing flushed, no goodbye to its clients."""
        process = self.processes[port]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def wait_for_failover(self, old_primary: int, *, timeout: float = 30) -> int:
        """The new primary, once the sentinels agree on it and it accepts writes."""
        started = time.monotonic()

        def promoted() -> bool:
            port = self.primary_port()
            if port is None or port == old_primary:
                return False
            try:
                return self.client(port).info("replication")["role"] == "master"
            except redis.RedisError:
                return False

        wait_for(promoted, timeout=timeout, what="the sentinels to promote a replica")
        self.failover_seconds = time.monotonic() - started
        return self.primary_port()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
