"""Live-chat load benchmark against a production-like server (uvicorn, channels-redis, PostgreSQL).

    .venv/bin/python -m bench.chat_bench --connections 1000 --pairs 150 --rate 200 --seconds 30

Runs the chat and then a bare relay (bench/relay.py) on the same kind of server with the same
plan (`--server both`, the default), so every figure has the relay's beside it. Opens
`--connections` WebSockets in all: `--pairs` conversations each with a customer socket sending
and an agent socket receiving, at `--rate` messages a second in total, and the rest idle customer
sockets. Reports the round trip from first send to the agent's receipt (median, p99),
acknowledged, refused (and resent), late, unacknowledged, undelivered and duplicated messages,
and the server's memory per idle socket. `--capacity RATE ...` finds the sustained capacity.
See docs/benchmarks.md.
"""

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import resource
import signal
import statistics
import time
from uuid import uuid4

from bench.faq_bench import machine
from bench.server import bench_environment, ensure_database, manage, production_server

# Sockets opened at once; a server drops handshakes beyond its listen backlog.
CONNECT_BATCH = 50
WINDOW_SECONDS = 5
IDLE_SAMPLE_SECONDS = 10
BENCH_SUBJECT = "Benchmark chat"


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[int(fraction * (len(ordered) - 1))]


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (the worker processes of a multi-process server)."""
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            for child in children.read().split():
                pids += process_tree(int(child))
    except FileNotFoundError:
        pass
    return pids


def rss_kib(pid: int) -> int:
    """Resident memory of the server, its worker processes included."""
    total = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) the server and its workers have used so far. Per message, it
    is the figure least moved by other load on a shared machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def prepare(pairs: int, idle: int) -> dict:
    """Conversations, a staff session and visitor sessions, written straight to the database."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from livechat.models import Conversation
    from tickets.models import Ticket, new_reference

    # Earlier runs' chats would otherwise stay in the queue and make every run slower than the last.
    Conversation.objects.filter(ticket__subject=BENCH_SUBJECT).exclude(
        status=Conversation.Status.CLOSED
    ).update(status=Conversation.Status.CLOSED)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-agent", defaults={"is_staff": True}
    )
    # An admin sees every team's chats; the session passed the second factor, as agents' must.
    user.is_staff = user.is_superuser = True
    user.save()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    staff_session = client.cookies[settings.SESSION_COOKIE_NAME].value
    store = import_module(settings.SESSION_ENGINE).SessionStore

    def conversation(visitor: str) -> str:
        ticket = Ticket.objects.create(
            reference=new_reference(),
            problem_type="other",
            channel="chat",
            subject=BENCH_SUBJECT,
            customer_email="bench@example.com",
            needs_routing=False,
        )
        return str(
            Conversation.objects.create(
                ticket=ticket, visitor_key=visitor, visitor_name="Bench", problem_type="other"
            ).public_id
        )

    def visitor_session(visitor: str) -> str:
        session = store()
        session["chat_visitor"] = visitor
        session.save()
        return session.session_key

    active = []
    for _ in range(pairs):
        visitor = f"bench-{uuid4().hex}"
        active.append((conversation(visitor), visitor_session(visitor)))
    idle_visitor = f"bench-idle-{uuid4().hex}"
    idle_conversation = conversation(idle_visitor)
    idle_session = visitor_session(idle_visitor)
    return {
        "active": active,
        "idle": (idle_conversation, idle_session),
        "staff_session": staff_session,
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "idle_count": idle,
    }


class Pair:
    """A conversation's customer socket (which sends) and agent socket (which receives)."""

    def __init__(self, index: int, conversation: str, session: str) -> None:
        self.index = index
        self.conversation = conversation
        self.session = session
        self.customer = None
        self.agent = None
        self.unacknowledged: dict[str, dict] = {}  # client_id -> frame, until acknowledged


async def run_load(
    port: int,
    plan: dict,
    rate: float,
    seconds: float,
    server_pid: int,
    *,
    relay: bool = False,
    budget_ms: float = 50.0,
) -> dict:
    """One run against the chat (`/ws/chat/`) or the bare relay (`/ws/relay/`).

    The customer socket's own message coming back (its client_id in a `message` event) is its
    acknowledgement: the server stored it. An `error` with a `retry_after` (overloaded, rate
    limited) is a refusal: the frame is sent again, same client_id, after that many seconds. A
    customer socket that closes is reopened and sends again everything not acknowledged. The
    agent side records each client_id's first delivery (the round trip from the first send) and
    any second delivery under another message id (a duplicate: must be 0).
    """
    import websockets

    origin = f"http://127.0.0.1:{port}"
    cookie_name = plan["cookie_name"]
    prefix = "/ws/relay/" if relay else "/ws/chat/"

    async def connect(conversation: str, session: str):
        return await websockets.connect(
            f"ws://127.0.0.1:{port}{prefix}{conversation}/",
            additional_headers={"Cookie": f"{cookie_name}={session}", "Origin": origin},
            max_queue=None,
            open_timeout=120,
            ping_interval=None,
        )

    # The active pairs open first: they load every module and cache a socket needs, so the
    # memory measured over the idle sockets after them is what each further socket costs.
    pairs = [
        Pair(index, conversation, session)
        for index, (conversation, session) in enumerate(plan["active"])
    ]
    for pair in pairs:
        pair.customer = await connect(pair.conversation, pair.session)
        pair.agent = await connect(pair.conversation, plan["staff_session"])
    for pair in pairs:
        await pair.customer.recv()  # status
        await pair.agent.recv()
    tracing = bool(os.environ.get("BENCH_TRACEMALLOC"))
    if tracing:  # a tracemalloc snapshot before and after the idle sockets (bench/asgi.py)
        os.kill(server_pid, signal.SIGUSR1)
        await asyncio.sleep(3)
    before = rss_kib(server_pid)
    idle_sockets = []
    idle_conversation, idle_session = plan["idle"]
    started_idle = time.perf_counter()
    for batch_start in range(0, plan["idle_count"], CONNECT_BATCH):
        batch = min(CONNECT_BATCH, plan["idle_count"] - batch_start)
        idle_sockets += await asyncio.gather(
            *(connect(idle_conversation, idle_session) for _ in range(batch))
        )
    # A socket is open once the server has sent its first status event, not at the handshake.
    await asyncio.gather(*(socket.recv() for socket in idle_sockets))
    idle_seconds = time.perf_counter() - started_idle
    after = rss_kib(server_pid)
    if tracing:
        os.kill(server_pid, signal.SIGUSR1)
        await asyncio.sleep(10)
    open_connections = len(idle_sockets) + 2 * len(pairs)
    # What the open sockets cost with nothing said: pings, layer receive loops, timers.
    idle_cpu_before = cpu_seconds(server_pid)
    await asyncio.sleep(IDLE_SAMPLE_SECONDS)
    idle_cores = (cpu_seconds(server_pid) - idle_cpu_before) / IDLE_SAMPLE_SECONDS

    first_sent: dict[str, float] = {}
    acknowledged: dict[str, float] = {}  # client_id -> ms from first send to acknowledgement
    delivered: dict[str, object] = {}  # client_id -> message id first delivered to the agent
    round_trips: list[float] = []
    timeline: list[tuple[float, float]] = []  # (seconds into the run when sent, round trip ms)
    counts = {"refused": 0, "duplicates": 0, "redelivered": 0, "reconnects": 0, "errors": 0}
    refusal_codes: dict[str, int] = {}
    resends: set[asyncio.Task] = set()
    attempts: dict[str, int] = {}  # client_id -> refusals so far
    running = True

    async def agent_reader(pair: Pair) -> None:
        last_id = 0
        while True:
            try:
                async for raw in pair.agent:
                    event = json.loads(raw)
                    client_id = event.get("client_id")
                    if event.get("type") != "message" or client_id not in first_sent:
                        continue
                    if isinstance(event.get("id"), int):
                        last_id = max(last_id, event["id"])
                    if client_id in delivered:
                        if delivered[client_id] != event.get("id"):
                            counts["duplicates"] += 1
                        else:
                            counts["redelivered"] += 1
                        continue
                    delivered[client_id] = event.get("id")
                    round_trip = (time.perf_counter() - first_sent[client_id]) * 1000
                    round_trips.append(round_trip)
                    timeline.append((first_sent[client_id] - started, round_trip))
                return
            except websockets.ConnectionClosed:
                if not running:
                    return
                counts["reconnects"] += 1
                pair.agent = await connect(pair.conversation, plan["staff_session"])
                if not relay:  # what it missed meanwhile
                    await pair.agent.send(json.dumps({"type": "resume", "after": last_id}))

    async def send_frame(pair: Pair, frame: dict) -> None:
        # A closed socket: the customer reader reconnects and sends it again.
        with contextlib.suppress(websockets.ConnectionClosed):
            await pair.customer.send(json.dumps(frame))

    async def resend_later(pair: Pair, client_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        frame = pair.unacknowledged.get(client_id)
        if frame is not None:
            await send_frame(pair, frame)

    async def customer_reader(pair: Pair) -> None:
        while True:
            try:
                async for raw in pair.customer:
                    event = json.loads(raw)
                    kind = event.get("type")
                    client_id = event.get("client_id")
                    if kind == "message" and client_id in pair.unacknowledged:
                        del pair.unacknowledged[client_id]
                        acknowledged[client_id] = (
                            time.perf_counter() - first_sent[client_id]
                        ) * 1000
                    elif kind == "error":
                        code = event.get("code", "?")
                        refusal_codes[code] = refusal_codes.get(code, 0) + 1
                        if event.get("retry_after") is None:
                            counts["errors"] += 1
                            continue
                        counts["refused"] += 1
                        # An overloaded refusal names its client_id; another (a rate limit)
                        # does not, and then the oldest unacknowledged frame goes again.
                        refused = event.get("client_id") or next(iter(pair.unacknowledged), None)
                        if refused is not None:
                            # Backing off: retry_after, doubled on each refusal of the same
                            # message up to 16 times it, with jitter, so refused messages do
                            # not all come back in the same second.
                            attempts[refused] = attempts.get(refused, 0) + 1
                            delay = float(event["retry_after"]) * min(
                                16, 2 ** (attempts[refused] - 1)
                            )
                            task = asyncio.create_task(
                                resend_later(pair, refused, delay * random.uniform(0.5, 1.5))  # noqa: S311
                            )
                            resends.add(task)
                            task.add_done_callback(resends.discard)
                return
            except websockets.ConnectionClosed:
                if not running:
                    return
                counts["reconnects"] += 1
                pair.customer = await connect(pair.conversation, pair.session)
                for frame in list(pair.unacknowledged.values()):
                    await send_frame(pair, frame)

    readers = [asyncio.create_task(agent_reader(pair)) for pair in pairs]
    readers += [asyncio.create_task(customer_reader(pair)) for pair in pairs]
    # The load generator's own full collections over 10,000 sockets would stall its clock
    # reading; what is measured is the server.
    gc.collect()
    gc.freeze()
    print("load starting", flush=True)
    cpu_before = cpu_seconds(server_pid)
    interval = 1 / rate
    started = time.perf_counter()
    count = 0
    while time.perf_counter() - started < seconds:
        pair = pairs[count % len(pairs)]
        client_id = str(uuid4())
        frame = {"type": "message", "body": f"load {count}", "client_id": client_id}
        first_sent[client_id] = time.perf_counter()
        pair.unacknowledged[client_id] = frame
        await send_frame(pair, frame)
        count += 1
        await asyncio.sleep(max(0.0, started + count * interval - time.perf_counter()))
    elapsed = time.perf_counter() - started
    deadline = time.perf_counter() + 15
    while (
        len(acknowledged) < len(first_sent) or len(delivered) < len(first_sent)
    ) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # a late duplicate would arrive now
    cpu_used = cpu_seconds(server_pid) - cpu_before
    running = False
    for task in [*readers, *resends]:
        task.cancel()
    for socket in idle_sockets + [s for pair in pairs for s in (pair.customer, pair.agent)]:
        await socket.close()
    round_trips.sort()
    windows = {}
    for at, round_trip in timeline:
        windows.setdefault(int(at // WINDOW_SECONDS), []).append(round_trip)
    acknowledgements = list(acknowledged.values())
    return {
        "server": "relay" if relay else "chat",
        "windows": [
            (index * WINDOW_SECONDS, statistics.median(trips), percentile(trips, 0.99))
            for index, trips in sorted(windows.items())
        ],
        "open_connections": open_connections,
        "idle_open_seconds": idle_seconds,
        "memory_per_connection_kib": (after - before) / max(len(idle_sockets), 1),
        "idle_cores": idle_cores,
        "sent": len(first_sent),
        "delivered": len(delivered),
        "acknowledged": len(acknowledged),
        "unacknowledged": len(first_sent) - len(acknowledged),
        "undelivered": len(first_sent) - len(delivered),
        "late": sum(1 for trip in round_trips if trip > budget_ms),
        "budget_ms": budget_ms,
        "ack_p99_ms": percentile(acknowledgements, 0.99),
        **counts,
        "refusal_codes": refusal_codes,
        "rate": len(first_sent) / elapsed,
        "cpu_ms_per_message": 1000 * cpu_used / max(len(acknowledged), 1),
        "cpu_cores": cpu_used / elapsed,
        "median_ms": statistics.median(round_trips) if round_trips else float("nan"),
        "p99_ms": percentile(round_trips, 0.99),
    }


def report(result: dict, *, windows: bool = True) -> None:
    name = result["server"]
    print(
        f"[{name}] open connections: {result['open_connections']} "
        f"(idle ones opened in {result['idle_open_seconds']:.1f} s); "
        f"memory per open connection: {result['memory_per_connection_kib']:.1f} KiB (server RSS)"
    )
    print(
        f"[{name}] messages: {result['sent']} sent at {result['rate']:.0f}/s, "
        f"{result['acknowledged']} acknowledged, {result['delivered']} delivered; "
        f"unacknowledged {result['unacknowledged']}, undelivered {result['undelivered']}, "
        f"late (> {result['budget_ms']:g} ms) {result['late']}, "
        f"refusals {result['refused']} {result['refusal_codes'] or ''}, "
        f"duplicates {result['duplicates']}, reconnects {result['reconnects']}"
    )
    print(
        f"[{name}] round trip: median {result['median_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
        f"acknowledgement p99 {result['ack_p99_ms']:.1f} ms"
    )
    print(
        f"[{name}] server CPU: {result['cpu_ms_per_message']:.2f} ms per acknowledged message "
        f"({result['cpu_cores']:.2f} cores while sending, {result['idle_cores']:.3f} with all "
        f"sockets idle before)"
    )
    if windows:
        for start, median, p99 in result["windows"]:
            print(f"[{name}]   from {start:>3d} s: median {median:.1f} ms, p99 {p99:.1f} ms")


def load_average() -> str:
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def one_run(env: dict, plan: dict, args, server: str, rate: float) -> dict:
    log_path = os.environ.get("CHAT_BENCH_SERVER_LOG", os.devnull)
    relay = server == "relay"
    process_kind = "uvicorn" if relay else server
    load_before = load_average()
    with production_server(env, log_path=log_path, server=process_kind, workers=args.workers) as (
        port,
        process,
    ):
        result = asyncio.run(
            run_load(
                port, plan, rate, args.seconds, process.pid, relay=relay, budget_ms=args.budget_ms
            )
        )
    result["load"] = f"{load_before} -> {load_average()}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--server",
        choices=["uvicorn", "daphne", "relay", "both"],
        default="both",
        help="the chat on uvicorn or daphne, the bare relay on uvicorn, or both uvicorn servers "
        "in alternating rounds (the default: every chat figure next to the relay's)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds of each server")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--budget-ms", type=float, default=50.0, help="a round trip over this counts as late"
    )
    parser.add_argument(
        "--capacity",
        type=float,
        nargs="*",
        metavar="RATE",
        help="instead of one rate: these rates in turn per server, stopping at the first whose "
        "p99 exceeds 100 ms or leaves a message unacknowledged (sustained capacity)",
    )
    args = parser.parse_args()
    env = bench_environment()
    os.environ.update(env)
    import django

    django.setup()
    from livechat.limits import RATE_LIMIT_MESSAGES, RATE_LIMIT_SECONDS

    highest = max([args.rate, *(args.capacity or [])])
    if highest / args.pairs > RATE_LIMIT_MESSAGES / RATE_LIMIT_SECONDS * 0.9:
        parser.error(
            f"{highest:g} messages/s over {args.pairs} pairs exceeds the per-connection limit "
            f"({RATE_LIMIT_MESSAGES} in {RATE_LIMIT_SECONDS:g} s): use more --pairs"
        )
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    ensure_database(env)
    manage(env, "migrate", "--noinput", "-v0")
    servers = ["uvicorn", "relay"] if args.server == "both" else [args.server]
    print(f"machine: {machine()}; load average before: {load_average()}")
    processes = f"{args.workers} process{'es' if args.workers > 1 else ''}"
    print(f"server: {processes}, channels-redis, PostgreSQL; client on this machine")
    idle = max(0, args.connections - 2 * args.pairs)
    if args.capacity:
        for server in servers:
            for rate in args.capacity:
                plan = prepare(args.pairs, idle)
                result = one_run(env, plan, args, server, rate)
                report(result, windows=False)
                print(f"[{result['server']}] load average: {result['load']}", flush=True)
                if result["p99_ms"] > 100 or result["unacknowledged"] or result["undelivered"]:
                    print(f"[{result['server']}] capacity: below {rate:g}/s", flush=True)
                    break
        return
    results = []
    for round_number in range(args.rounds):
        for server in servers:
            plan = prepare(args.pairs, idle)
            result = one_run(env, plan, args, server, args.rate)
            print(f"round {round_number + 1}, load average {result['load']}")
            report(result)
            results.append(result)
    chat = [r for r in results if r["server"] == "chat"]
    relay = [r for r in results if r["server"] == "relay"]
    for ours, bare in zip(chat, relay, strict=False):
        print(
            f"ratio chat/relay: p99 {ours['p99_ms'] / bare['p99_ms']:.2f}, median "
            f"{ours['median_ms'] / bare['median_ms']:.2f}, memory per socket "
            f"{ours['memory_per_connection_kib'] / max(bare['memory_per_connection_kib'], 0.1):.2f}"
            f", CPU per message {ours['cpu_ms_per_message'] / bare['cpu_ms_per_message']:.2f}"
        )


if __name__ == "__main__":
    main()
