"""Routing and SLA-check benchmark: the real Redis broker, one Celery worker process, PostgreSQL.

    .venv/bin/python -m bench.routing_bench [--burst 5000] [--steady-seconds 20] [--rate 10]
        [--backlog 100000] [--rounds 1] [--concurrency 2] [--noops 3000]

One worker process (prefork, `--concurrency`) consumes all four queues for the whole run. Each
round measures, in turn: the no-op task ceiling, a burst, the ceiling again, a steady rate, the
ceiling again (so the ratio to the no-op rate compares figures taken minutes apart, not a
morning and an evening); then the SLA check runs over the open backlog. Printed side by side:

- burst: tickets routed per second (first submission to last routed) and its ratio to the no-op
  task rate beside it; submit to routed of the last ticket routed, of all (p95, max) and of the
  account-security tickets among them (p95, max);
- steady: submit to routed at `--rate` tickets a second, through `ticket_create` (median, p95);
- the SLA check (`tickets.sla.sla_check`, what one beat run does) over `--backlog` open tickets:
  the first run, which marks the fraction at risk and past due, and the next one.

A burst arrives faster than one process can call `ticket_create` (about 35 a second here), so
it is filed as the web tier's many processes would commit it: chunks of `--chunk` tickets, each
one transaction with the tickets, their first messages and creation events, then each ticket's
routing and confirmation-mail tasks sent after commit, as `ticket_create` sends them, from
`--filers` processes at once. A ticket's submission is its `created_at` (before its chunk
commits, so the figures err long).

Filed that way, the burst's rate is the lower of the filing and the routing rates. `--drain`
measures routing's own: the worker stops consuming its queues (Celery's `cancel_consumer`), the
burst is filed, and the worker resumes (`add_consumer`) with the whole backlog waiting, 5,000
routing and 5,000 confirmation-mail tasks; the rate is the burst over the time from the resume to
the last ticket seen routed, and the time until every queued task (the mails too) was taken is
printed beside it. `--profile` samples the worker during the drain (or the burst without it).
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from bench.faq_bench import machine
from bench.server import ROOT, bench_environment, ensure_database, manage

PROBLEM_TYPES = ("account_security", "abnormal_transaction", "topup_withdrawal", "other")
QUEUES = ("security", "transactions", "payments", "default")
BURST_DOMAIN = "burst.example"
BACKLOG_DOMAIN = "backlog.example"
AGENTS_PER_TEAM = 5
AGENT_CAPACITY = 40
WORKER_NAME = "routing-bench@localhost"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=5000, help="tickets in the burst")
    parser.add_argument("--chunk", type=int, default=250, help="tickets committed at once")
    parser.add_argument("--filers", type=int, default=1, help="processes filing the burst")
    parser.add_argument(
        "--drain",
        action="store_true",
        help="also file a second burst while the worker consumes nothing, then let it drain",
    )
    parser.add_argument("--rate", type=float, default=10, help="steady tickets per second")
    parser.add_argument("--steady-seconds", type=float, default=20)
    parser.add_argument("--backlog", type=int, default=100_000, help="open tickets for the check")
    parser.add_argument("--at-risk", type=float, default=0.05, help="fraction newly at risk")
    parser.add_argument("--breached", type=float, default=0.01, help="fraction newly past due")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--noops", type=int, default=3000, help="no-op tasks per ceiling run")
    parser.add_argument("--skip", nargs="*", default=(), choices=("burst", "steady", "sla"))
    parser.add_argument(
        "--profile", metavar="FILE", help="py-spy's raw samples of the worker during the burst"
    )
    args = parser.parse_args()

    env = bench_environment()
    # No mail server on the bench: the mail tasks render and record their mail, nothing leaves.
    env.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    ensure_database(env)
    manage(env, "migrate", "--noinput", "-v0")
    os.environ.update(env)
    import django

    django.setup()
    from wallet_support.celery import app

    _agents_ensure()
    _close_earlier_runs()
    if "sla" not in args.skip:
        _backlog_fill(args.backlog)
    app.control.purge()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--app=wallet_support",
            "worker",
            f"--queues={','.join(QUEUES)}",
            f"--concurrency={args.concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
            "--include=bench.noop_task",
            f"--hostname={WORKER_NAME}",
        ],
        cwd=ROOT,
        env=env,
    )
    noops: list[float] = []
    bursts: list[dict] = []
    drains: list[dict] = []
    steadies: list[dict] = []
    checks: list[dict] = []
    loads: list[float] = []
    try:
        time.sleep(4)
        for _round in range(args.rounds):
            noops.append(_noop_rate(args.noops))
            if "burst" not in args.skip:
                with _profiled(None if args.drain else args.profile, worker.pid):
                    bursts.append(_burst(args.burst, args.chunk, args.filers) | {"noop": noops[-1]})
                loads.append(os.getloadavg()[0])
                noops.append(_noop_rate(args.noops))
                bursts[-1]["noop_after"] = noops[-1]
                _close_earlier_runs()
            if args.drain:
                drains.append(
                    _burst(
                        args.burst,
                        args.chunk,
                        args.filers,
                        drain=True,
                        profile=args.profile,
                        worker_pid=worker.pid,
                    )
                    | {"noop": noops[-1]}
                )
                loads.append(os.getloadavg()[0])
                noops.append(_noop_rate(args.noops))
                drains[-1]["noop_after"] = noops[-1]
            if "steady" not in args.skip:
                steadies.append(_steady(args.rate, args.steady_seconds))
                loads.append(os.getloadavg()[0])
                noops.append(_noop_rate(args.noops))
            if "sla" not in args.skip:
                checks.append(_sla_runs(args.backlog, args.at_risk, args.breached))
                loads.append(os.getloadavg()[0])
            _close_earlier_runs()
    finally:
        worker.terminate()
        worker.wait(60)

    _report(args, noops, bursts, drains, steadies, checks, loads)


@contextmanager
def _profiled(path: str | None, pid: int):
    """py-spy sampling the worker process and its pool while the block runs."""
    if not path:
        yield
        return
    installed = Path(sys.executable).with_name("py-spy")
    command = [
        str(installed) if installed.exists() else "py-spy",
        "record",
        "--subprocesses",
        "--format",
        "raw",
        "--rate",
        "50",
    ]
    spy = subprocess.Popen([*command, "--pid", str(pid), "--output", path])
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its samples on an interrupt
        spy.wait(60)


def _agents_ensure() -> None:
    """AGENTS_PER_TEAM online agents in each team, as many as a busy shift has on the desk."""
    from django.contrib.auth import get_user_model

    from agents.models import AgentProfile, Team, TeamMembership

    for team in Team.objects.order_by("pk"):
        for number in range(AGENTS_PER_TEAM):
            username = f"bench-{team.code}-{number}"
            user, _created = get_user_model().objects.get_or_create(
                username=username, defaults={"is_staff": True, "email": f"{username}@example.com"}
            )
            AgentProfile.objects.update_or_create(
                user=user,
                defaults={
                    "display_name": username,
                    "agent_code": f"B{team.pk:02d}{number:02d}",
                    "availability": AgentProfile.Availability.ONLINE,
                    "capacity": AGENT_CAPACITY,
                },
            )
            TeamMembership.objects.get_or_create(team=team, user=user)


def _close_earlier_runs() -> None:
    """Tickets of earlier bursts closed, so every burst finds the agents with room."""
    from django.utils import timezone

    from tickets.models import Status, Ticket

    now = timezone.now()
    Ticket.objects.filter(customer_email__endswith=f"@{BURST_DOMAIN}").exclude(
        status=Status.CLOSED
    ).update(status=Status.CLOSED, closed_at=now, needs_routing=False)


def _burst(
    count: int,
    chunk: int,
    filers: int,
    *,
    drain: bool = False,
    profile: str | None = None,
    worker_pid: int = 0,
) -> dict:
    from tickets.models import Ticket

    if drain:
        _consuming(False)
    started = time.perf_counter()
    ids = _file_burst(count, chunk, filers)
    filed = time.perf_counter() - started
    resumed = drain_seconds = None
    with _profiled(profile if drain else None, worker_pid):
        if drain:
            _queued_wait(2 * count)  # every routing and mail task is in Redis
            resumed = time.time()
            _consuming(True)
        _wait_routed(ids)
        seen_routed = time.time()
        if drain:
            _drain()
            drain_seconds = time.time() - resumed
    rows = list(
        Ticket.objects.filter(pk__in=ids).values_list("problem_type", "created_at", "routed_at")
    )
    first_submitted = min(created for _type, created, _routed in rows)
    last_routed = max(routed for _type, _created, routed in rows)
    last = max(rows, key=lambda row: row[2])
    latencies = sorted(_ms(routed - created) for _type, created, routed in rows)
    security = sorted(
        _ms(routed - created)
        for problem_type, created, routed in rows
        if problem_type == "account_security"
    )
    figures = {
        "count": count,
        "filed_seconds": filed,
        "rate": count / (last_routed - first_submitted).total_seconds(),
        "last_ms": _ms(last[2] - last[1]),
        "p95_ms": _p95(latencies),
        "max_ms": latencies[-1],
        "security_count": len(security),
        "security_p95_ms": _p95(security),
        "security_max_ms": security[-1],
    }
    if drain:
        security_routed = [
            routed.timestamp() - resumed
            for problem_type, _created, routed in rows
            if problem_type == "account_security"
        ]
        figures |= {
            # Seen routed by the poll: later than the last routed_at (the start of its batch).
            "rate": count / (seen_routed - resumed),
            "routing_seconds": seen_routed - resumed,
            "drain_seconds": drain_seconds,
            "security_last_s": max(security_routed),
        }
    return figures


def _file_burst(count: int, chunk: int, filers: int) -> list[int]:
    """File `count` tickets from `filers` processes started together; their ids."""
    import multiprocessing

    from django.db import connections

    if filers <= 1:
        return _file_part(range(count), chunk)
    connections.close_all()  # each process opens its own
    context = multiprocessing.get_context("fork")
    start = context.Barrier(filers + 1)
    results = context.Queue()
    parts = [range(count)[number::filers] for number in range(filers)]
    processes = [
        context.Process(target=_filer, args=(part, chunk, start, results)) for part in parts
    ]
    for process in processes:
        process.start()
    start.wait()
    ids = []
    for _process in processes:
        ids += results.get(timeout=600)
    for process in processes:
        process.join(60)
    return ids


def _filer(numbers, chunk: int, start, results) -> None:
    start.wait()
    results.put(_file_part(numbers, chunk))


def _file_part(numbers, chunk: int) -> list[int]:
    from django.db import transaction

    from tickets import tasks
    from tickets.models import AuthorKind, Message, Ticket, TicketEvent, new_reference
    from tickets.problem_types import problem_type_facts

    ids: list[int] = []
    for first in range(0, len(numbers), chunk):
        part = numbers[first : first + chunk]
        with transaction.atomic():
            tickets = Ticket.objects.bulk_create(
                Ticket(
                    reference=new_reference(),
                    problem_type=PROBLEM_TYPES[number % len(PROBLEM_TYPES)],
                    channel="web",
                    priority=problem_type_facts(PROBLEM_TYPES[number % 4]).default_priority,
                    subject=f"Burst ticket {number}",
                    customer_email=f"burst{number}@{BURST_DOMAIN}",
                )
                for number in part
            )
            Message.objects.bulk_create(
                Message(
                    ticket=ticket,
                    author_kind=AuthorKind.CUSTOMER,
                    body="A burst ticket with a description long enough to be valid.",
                    channel="web",
                )
                for ticket in tickets
            )
            TicketEvent.objects.bulk_create(
                TicketEvent(ticket=ticket, kind=TicketEvent.Kind.CREATED, new_value=ticket.status)
                for ticket in tickets
            )
        for ticket in tickets:
            tasks.route_ticket.apply_async(
                args=[ticket.pk], queue=problem_type_facts(ticket.problem_type).queue
            )
            tasks.send_ticket_confirmation.delay(ticket.pk)
        ids += [ticket.pk for ticket in tickets]
    return ids


def _consuming(on: bool) -> None:
    """The worker consumes its four queues again, or stops consuming them."""
    from wallet_support.celery import app

    for queue in QUEUES:
        if on:
            app.control.add_consumer(queue, destination=[WORKER_NAME], reply=False)
        else:
            replies = app.control.cancel_consumer(queue, destination=[WORKER_NAME], reply=True)
            if not replies:
                sys.exit(f"the worker did not stop consuming {queue}")


def _queued_wait(count: int) -> None:
    """Until `count` messages wait in the four queues (the filers' sends have all landed)."""
    from wallet_support.celery import app

    deadline = time.monotonic() + 60
    with app.connection_for_write() as connection:
        client = connection.default_channel.client
        while sum(client.llen(queue) for queue in QUEUES) < count:
            if time.monotonic() > deadline:
                sys.exit("the burst's tasks did not reach the queues within 60 s")
            time.sleep(0.05)


def _steady(rate: float, seconds: float) -> dict:
    from tickets.models import Ticket
    from tickets.services import ticket_create

    ids = []
    started = time.perf_counter()
    for number in range(int(rate * seconds)):
        time.sleep(max(0.0, started + number / rate - time.perf_counter()))
        ids.append(
            ticket_create(
                problem_type=PROBLEM_TYPES[number % len(PROBLEM_TYPES)],
                channel="web",
                subject=f"Steady ticket {number}",
                description="A steady ticket with a description long enough to be valid.",
                customer_email=f"steady{number}@{BURST_DOMAIN}",
            ).pk
        )
    _wait_routed(ids)
    rows = Ticket.objects.filter(pk__in=ids).values_list("created_at", "routed_at")
    latencies = sorted(_ms(routed - created) for created, routed in rows)
    return {
        "count": len(ids),
        "median_ms": statistics.median(latencies),
        "p95_ms": _p95(latencies),
        "max_ms": latencies[-1],
    }


def _wait_routed(ids: list[int]) -> None:
    from tickets.models import Ticket

    deadline = time.monotonic() + 600
    while Ticket.objects.filter(pk__in=ids, routed_at__isnull=True).exists():
        if time.monotonic() > deadline:
            sys.exit("routing did not finish within 600 s")
        time.sleep(0.05)


def _backlog_fill(count: int) -> None:
    """`count` open, routed tickets in the teams' queues (made once, reused by later runs)."""
    from django.utils import timezone

    from tickets.models import Status, Ticket, new_reference

    have = Ticket.objects.filter(customer_email__endswith=f"@{BACKLOG_DOMAIN}").count()
    now = timezone.now()
    teams = (1, 2, 3, 4)
    batch = []
    for number in range(have, count):
        batch.append(
            Ticket(
                reference=new_reference(),
                problem_type=PROBLEM_TYPES[number % 4],
                channel="web",
                status=Status.OPEN if number % 3 else Status.NEW,
                priority="normal",
                subject=f"Backlog ticket {number}",
                customer_email=f"backlog{number}@{BACKLOG_DOMAIN}",
                team_id=teams[number % 4],
                needs_routing=False,
                routed_at=now,
            )
        )
        if len(batch) == 10_000:
            Ticket.objects.bulk_create(batch)
            batch = []
    if batch:
        Ticket.objects.bulk_create(batch)


def _backlog_reset(at_risk: float, breached: float) -> int:
    """Every backlog ticket open with its clocks reset: `breached` of them past their
    first-response due time, `at_risk` (those included) past its warning, the rest in time;
    resolution clocks a fifth as often. Returns the open tickets the check looks at."""
    from django.db import connection
    from django.utils import timezone

    from tickets.models import OPEN_STATUSES, Ticket

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM tickets_ticketevent WHERE ticket_id IN "
            "(SELECT id FROM tickets_ticket WHERE customer_email LIKE %s)",
            [f"%@{BACKLOG_DOMAIN}"],
        )
        # A fraction of the tickets by id: id % 10000 below fraction * 10000.
        cursor.execute(
            """
            UPDATE tickets_ticket SET
              status = CASE WHEN id %% 3 = 0 THEN 'new' ELSE 'open' END,
              priority = 'normal', escalated_at = NULL, first_responded_at = NULL,
              first_response_at_risk_at = NULL, first_response_breached_at = NULL,
              resolution_at_risk_at = NULL, resolution_breached_at = NULL,
              resolution_paused_at = NULL,
              first_response_warn_at = CASE WHEN id %% 10000 < %(risk)s
                THEN %(now)s - interval '10 minutes' ELSE %(now)s + interval '2 hours' END,
              first_response_due = CASE WHEN id %% 10000 < %(breach)s
                THEN %(now)s - interval '1 minute' ELSE %(now)s + interval '3 hours' END,
              resolution_warn_at = CASE WHEN (id / 7) %% 10000 < %(risk)s / 5
                THEN %(now)s - interval '10 minutes' ELSE %(now)s + interval '20 hours' END,
              resolution_due = CASE WHEN (id / 7) %% 10000 < %(breach)s / 5
                THEN %(now)s - interval '1 minute' ELSE %(now)s + interval '30 hours' END
            WHERE customer_email LIKE %(domain)s
            """,
            {
                "risk": int(at_risk * 10000),
                "breach": int(breached * 10000),
                "now": now,
                "domain": f"%@{BACKLOG_DOMAIN}",
            },
        )
        cursor.execute("ANALYZE tickets_ticket")
    return Ticket.objects.filter(status__in=OPEN_STATUSES).count()


def _sla_runs(backlog: int, at_risk: float, breached: float) -> dict:
    from tickets import sla

    open_tickets = _backlog_reset(at_risk, breached)
    started = time.perf_counter()
    report = sla.sla_check()
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = sla.sla_check()
    second = time.perf_counter() - started
    return {
        "open": open_tickets,
        "first_seconds": first,
        "at_risk": len(report.at_risk),
        "breached": len(report.breached),
        "escalated": len(report.escalated),
        "second_seconds": second,
        "second_marks": len(again.at_risk) + len(again.breached),
    }


def _drain() -> None:
    """Wait until the worker has taken every task queued so far (the bursts' mail tasks too)."""
    from django.core.cache import cache

    from bench.noop_task import noop_done

    keys = {queue: f"bench:drained:{queue}" for queue in QUEUES}
    cache.delete_many(list(keys.values()))
    for queue, key in keys.items():
        noop_done.apply_async(args=[key], queue=queue)
    deadline = time.monotonic() + 600
    while len(cache.get_many(list(keys.values()))) < len(keys):
        if time.monotonic() > deadline:
            sys.exit("the queues did not drain within 600 s")
        time.sleep(0.05)


def _noop_rate(count: int) -> float:
    from django.core.cache import cache

    from bench.noop_task import noop, noop_done

    _drain()
    cache.delete("bench:noop-done")
    started = time.time()
    for _ in range(count):
        noop.apply_async(queue="default")
    noop_done.apply_async(queue="default")
    deadline = time.monotonic() + 300
    while (done := cache.get("bench:noop-done")) is None:
        if time.monotonic() > deadline:
            sys.exit("no-op tasks did not finish within 300 s")
        time.sleep(0.02)
    return count / (done - started)


def _ms(delta: timedelta) -> float:
    return delta.total_seconds() * 1000


def _p95(values: list[float]) -> float:
    return values[int(0.95 * (len(values) - 1))]


def _report(args, noops, bursts, drains, steadies, checks, loads) -> None:
    print(
        f"machine: {machine()}, load average during the run {', '.join(f'{x:.2f}' for x in loads)}"
    )
    print(f"broker: Redis, 1 worker process, concurrency {args.concurrency}, all four queues")
    print(f"no-op task ceiling, each measurement in turn: {', '.join(f'{x:.0f}/s' for x in noops)}")
    print()
    print("| figure | target | " + " | ".join(f"round {n + 1}" for n in range(args.rounds)) + " |")
    print("| --- | --- |" + " ---: |" * args.rounds)

    def row(label: str, target: str, values: list[str]) -> None:
        print(f"| {label} | {target} | " + " | ".join(values) + " |")

    if bursts:
        row("no-op tasks/s before the burst", "", [f"{b['noop']:.0f}" for b in bursts])
        row(
            f"burst of {args.burst} from {args.filers} filer(s): routed/s (first submit to last)",
            ">= 300",
            [f"{b['rate']:.0f}" for b in bursts],
        )
        row(
            "burst rate / no-op rate",
            ">= 30%",
            [
                f"{b['rate'] / b['noop']:.0%} ({b['rate'] / b['noop_after']:.0%} after)"
                for b in bursts
            ],
        )
        row(
            "burst filed in (its filing rate)",
            "",
            [
                f"{b['filed_seconds']:.1f} s ({b['count'] / b['filed_seconds']:.0f}/s)"
                for b in bursts
            ],
        )
        row(
            "last routed: submit to routed",
            "<= 20 s",
            [f"{b['last_ms'] / 1000:.1f} s" for b in bursts],
        )
        row(
            "all: submit to routed p95 / max",
            "<= 20 s",
            [f"{b['p95_ms'] / 1000:.1f} / {b['max_ms'] / 1000:.1f} s" for b in bursts],
        )
        row(
            "account security: p95 / max",
            "<= 2 s",
            [
                f"{b['security_p95_ms']:.0f} / {b['security_max_ms']:.0f} ms "
                f"({b['security_count']} tickets)"
                for b in bursts
            ],
        )
    if drains:
        row("no-op tasks/s before the drain", "", [f"{d['noop']:.0f}" for d in drains])
        row(
            f"drain of {args.burst} queued: routed/s (resume to last seen routed)",
            ">= 300",
            [f"{d['rate']:.0f} ({d['routing_seconds']:.1f} s)" for d in drains],
        )
        row(
            "drain rate / no-op rate",
            ">= 30%",
            [
                f"{d['rate'] / d['noop']:.0%} ({d['rate'] / d['noop_after']:.0%} after)"
                for d in drains
            ],
        )
        row(
            "drain: every task taken (mails too), from the resume",
            "",
            [f"{d['drain_seconds']:.1f} s" for d in drains],
        )
        row(
            "drain: last account-security routed, from the resume",
            "",
            [f"{d['security_last_s'] * 1000:.0f} ms" for d in drains],
        )
    if steadies:
        row(
            f"steady {args.rate:g}/s: median / p95 / max",
            "p95 <= 20 ms",
            [f"{s['median_ms']:.0f} / {s['p95_ms']:.0f} / {s['max_ms']:.0f} ms" for s in steadies],
        )
    if checks:
        row(
            "SLA check, first run: seconds",
            "<= 5 s",
            [
                f"{c['first_seconds']:.2f} s over {c['open']} open ({c['at_risk']} at risk, "
                f"{c['breached']} breached, {c['escalated']} escalated)"
                for c in checks
            ],
        )
        row(
            "SLA check, next run: seconds",
            "<= 5 s",
            [f"{c['second_seconds']:.2f} s ({c['second_marks']} marks)" for c in checks],
        )


if __name__ == "__main__":
    main()
