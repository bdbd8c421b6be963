"""Live-chat load benchmark against a production-like server (uvicorn, channels-redis, PostgreSQL).

    .venv/bin/python -m bench.chat_bench --connections 1000 --pairs 50 --rate 200 --seconds 20

Opens `--connections` WebSockets in all: `--pairs` conversations each with a customer and an
agent socket exchanging messages at `--rate` messages a second in total, and the rest idle
customer sockets. Reports messages per second, the round trip from send to the other side's
receipt (median, p99), the server's memory per open connection, and messages lost (must be 0).
"""

import argparse
import asyncio
import gc
import json
import os
import resource
import statistics
import time
from uuid import uuid4

from bench.faq_bench import machine
from bench.server import bench_environment, ensure_database, manage, production_server

# Sockets opened at once; a server drops handshakes beyond its listen backlog.
CONNECT_BATCH = 50
WINDOW_SECONDS = 5
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


async def run_load(port: int, plan: dict, rate: float, seconds: float, server_pid: int) -> dict:
    import websockets

    origin = f"http://127.0.0.1:{port}"
    cookie_name = plan["cookie_name"]

    async def connect(conversation: str, session: str):
        return await websockets.connect(
            f"ws://127.0.0.1:{port}/ws/chat/{conversation}/",
            additional_headers={"Cookie": f"{cookie_name}={session}", "Origin": origin},
            max_queue=None,
            open_timeout=60,
            ping_interval=None,
        )

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
    pairs = []
    for conversation, session in plan["active"]:
        customer = await connect(conversation, session)
        agent = await connect(conversation, plan["staff_session"])
        pairs.append((customer, agent))
    for customer, agent in pairs:
        await customer.recv()  # status
        await agent.recv()
    after = rss_kib(server_pid)
    open_connections = len(idle_sockets) + 2 * len(pairs)

    sent: dict[str, float] = {}
    round_trips: list[float] = []
    timeline: list[tuple[float, float]] = []  # (seconds into the run when sent, round trip ms)
    received: set[str] = set()

    async def agent_reader(agent) -> None:
        try:
            async for raw in agent:
                event = json.loads(raw)
                client_id = event.get("client_id")
                if (
                    event.get("type") == "message"
                    and client_id in sent
                    and client_id not in received
                ):
                    received.add(client_id)
                    round_trip = (time.perf_counter() - sent[client_id]) * 1000
                    round_trips.append(round_trip)
                    timeline.append((sent[client_id] - started, round_trip))
        except websockets.ConnectionClosed:
            pass

    async def customer_drain(customer) -> None:
        try:
            async for _ in customer:
                pass
        except websockets.ConnectionClosed:
            pass

    readers = [asyncio.create_task(agent_reader(agent)) for _, agent in pairs]
    drains = [asyncio.create_task(customer_drain(customer)) for customer, _ in pairs]
    # The load generator's own full collections over 10,000 sockets would stall its clock
    # reading; what is measured is the server.
    gc.collect()
    gc.freeze()
    print("load starting", flush=True)
    interval = 1 / rate
    started = time.perf_counter()
    count = 0
    while time.perf_counter() - started < seconds:
        customer, _ = pairs[count % len(pairs)]
        client_id = str(uuid4())
        sent[client_id] = time.perf_counter()
        await customer.send(
            json.dumps({"type": "message", "body": f"load {count}", "client_id": client_id})
        )
        count += 1
        await asyncio.sleep(max(0.0, started + count * interval - time.perf_counter()))
    elapsed = time.perf_counter() - started
    deadline = time.perf_counter() + 15
    while len(received) < len(sent) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    for task in readers + drains:
        task.cancel()
    for socket in idle_sockets + [s for pair in pairs for s in pair]:
        await socket.close()
    round_trips.sort()
    windows = {}
    for at, round_trip in timeline:
        windows.setdefault(int(at // WINDOW_SECONDS), []).append(round_trip)
    return {
        "windows": [
            (index * WINDOW_SECONDS, statistics.median(trips), percentile(trips, 0.99))
            for index, trips in sorted(windows.items())
        ],
        "open_connections": open_connections,
        "idle_open_seconds": idle_seconds,
        "memory_per_connection_kib": (after - before) / max(open_connections, 1),
        "sent": len(sent),
        "received": len(received),
        "rate": len(sent) / elapsed,
        "median_ms": statistics.median(round_trips) if round_trips else float("nan"),
        "p99_ms": percentile(round_trips, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    env = bench_environment()
    os.environ.update(env)
    import django

    django.setup()
    from livechat.limits import RATE_LIMIT_MESSAGES, RATE_LIMIT_SECONDS

    if args.rate / args.pairs > RATE_LIMIT_MESSAGES / RATE_LIMIT_SECONDS * 0.9:
        parser.error(
            f"{args.rate:g} messages/s over {args.pairs} pairs exceeds the per-connection limit "
            f"({RATE_LIMIT_MESSAGES} in {RATE_LIMIT_SECONDS:g} s): use more --pairs"
        )
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    ensure_database(env)
    manage(env, "migrate", "--noinput", "-v0")
    plan = prepare(args.pairs, max(0, args.connections - 2 * args.pairs))
    log_path = os.environ.get("CHAT_BENCH_SERVER_LOG", os.devnull)
    with production_server(env, log_path=log_path, server=args.server, workers=args.workers) as (
        port,
        server,
    ):
        result = asyncio.run(run_load(port, plan, args.rate, args.seconds, server.pid))
    print(f"machine: {machine()}")
    processes = f"{args.workers} process{'es' if args.workers > 1 else ''}"
    print(f"server: {args.server}, {processes}, channels-redis, PostgreSQL; client on this machine")
    print(
        f"open connections: {result['open_connections']} "
        f"(idle ones opened in {result['idle_open_seconds']:.1f} s)"
    )
    print(f"memory per open connection: {result['memory_per_connection_kib']:.1f} KiB (server RSS)")
    print(
        f"messages: {result['sent']} sent at {result['rate']:.0f}/s, "
        f"{result['received']} received, lost {result['sent'] - result['received']}"
    )
    print(f"round trip: median {result['median_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms")
    for start, median, p99 in result["windows"]:
        print(f"  from {start:>3d} s: median {median:.1f} ms, p99 {p99:.1f} ms")


if __name__ == "__main__":
    main()
