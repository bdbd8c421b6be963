"""Routing benchmark: file N tickets through the real Redis broker and Celery workers.

    .venv/bin/python -m bench.routing_bench [--tickets 500] [--concurrency 2]

Reports routed tickets per second and the time from submit (the ticket's commit) to routed
(median, p95; the account-security tickets' maximum), with one worker process consuming every
queue, and the rate of a no-op task on the same worker as the ceiling (`--tickets 5000` for
the incident burst).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

from bench.faq_bench import machine
from bench.server import ROOT, bench_environment, ensure_database, manage

PROBLEM_TYPES = ("account_security", "abnormal_transaction", "topup_withdrawal", "other")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--noops", type=int, default=5000, help="no-op tasks for the ceiling")
    parser.add_argument(
        "--rate", type=float, default=0, help="tickets filed per second (0: as fast as possible)"
    )
    args = parser.parse_args()

    env = bench_environment()
    ensure_database(env)
    manage(env, "migrate", "--noinput", "-v0")
    os.environ.update(env)
    import django

    django.setup()
    from django.db.models import Max, Min

    from tickets.models import Ticket
    from tickets.services import ticket_create
    from wallet_support.celery import app

    app.control.purge()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--app=wallet_support",
            "worker",
            "--queues=security,transactions,payments,default",
            f"--concurrency={args.concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
            "--include=bench.noop_task",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(3)
        started = time.perf_counter()
        ids = []
        for number in range(args.tickets):
            if args.rate:
                time.sleep(max(0.0, started + number / args.rate - time.perf_counter()))
            ids.append(
                ticket_create(
                    problem_type=PROBLEM_TYPES[number % len(PROBLEM_TYPES)],
                    channel="web",
                    subject=f"Benchmark ticket {number}",
                    description="A benchmark ticket with a description long enough to be valid.",
                    customer_email=f"bench{number}@example.com",
                ).pk
            )
        filed = time.perf_counter() - started
        deadline = time.monotonic() + 300
        while Ticket.objects.filter(pk__in=ids, routed_at__isnull=True).exists():
            if time.monotonic() > deadline:
                sys.exit("routing did not finish within 300 s")
            time.sleep(0.2)
        noop_rate = _noop_rate(args.noops)
    finally:
        worker.terminate()
        worker.wait(30)

    rows = Ticket.objects.filter(pk__in=ids).values_list("created_at", "routed_at")
    latencies = sorted((routed - created).total_seconds() * 1000 for created, routed in rows)
    span = Ticket.objects.filter(pk__in=ids).aggregate(
        first=Min("created_at"), last=Max("routed_at")
    )
    seconds = (span["last"] - span["first"]).total_seconds()
    security = sorted(
        (routed - created).total_seconds() * 1000
        for created, routed in rows.filter(problem_type="account_security")
    )
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.2f}")
    print(f"broker: Redis, 1 worker process, concurrency {args.concurrency}, all four queues")
    pace = f"at {args.rate:g}/s" if args.rate else "as fast as one process can"
    print(f"tickets filed: {args.tickets} in {filed:.1f} s ({pace})")
    print(f"routed per second (first submit to last routed): {args.tickets / seconds:.1f}")
    print(
        f"submit to routed: median {statistics.median(latencies):.0f} ms, "
        f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.0f} ms, max {latencies[-1]:.0f} ms"
    )
    if security:
        print(
            f"account security: {len(security)} tickets, submit to routed max {security[-1]:.0f} ms"
        )
    print(f"no-op task ceiling (same worker, sending included): {noop_rate:.0f} per second")


def _noop_rate(count: int) -> float:
    from django.core.cache import cache

    from bench.noop_task import noop, noop_done

    cache.delete("bench:noop-done")
    started = time.time()
    for _ in range(count):
        noop.apply_async(queue="default")
    noop_done.apply_async(queue="default")
    deadline = time.monotonic() + 120
    while (done := cache.get("bench:noop-done")) is None:
        if time.monotonic() > deadline:
            sys.exit("no-op tasks did not finish within 120 s")
        time.sleep(0.05)
    return count / (done - started)


if __name__ == "__main__":
    main()
