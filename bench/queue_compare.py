"""The agents' queue of two checkouts side by side, request by request, on one filled database.

    .venv/bin/python -m bench.queue_compare --baseline /path/to/old/checkout [--requests 30]

bench.queue_bench measures one checkout; on a shared machine its figures drift with the load
from one run to the next. This serves the baseline checkout and this one at the same time (two
uvicorn processes, DEBUG off, each with its own collected static files and Redis database, both
on the database bench.fill_tickets filled), logs in to both as the same superuser and agent, and
requests each URL of queue_bench from the two servers in turn, alternating which goes first, so
both see the same load. Per URL: each side's median and p95, the ratio of the medians (this one
over the baseline) and each side's SQL statements for one render, counted in a process of that
checkout (bench.queue_bench.page_statements, which both have).

The database is migrated by this checkout only: the baseline must read a schema at least as new
as its own (an older checkout ignores the tables and columns it does not know).
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.faq_bench import machine
from bench.fill_tickets import QUEUE_DATABASE_URL
from bench.queue_bench import (
    HttpClient,
    UrlResult,
    bench_urls,
    bench_users_ensure,
    describe,
    second_factor_code,
    table_estimates,
)
from bench.server import ROOT, bench_environment, ensure_database, free_port, server_command

# One render per URL in a process of the checkout: its own code counts its own statements.
COUNT_STATEMENTS = """
import json, os, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from bench.queue_bench import page_statements
wanted = json.loads(sys.stdin.read())
users = get_user_model().objects.in_bulk(field_name="username")
print(json.dumps({
    username: [page_statements(users[username], path, wanted["language"])[0] for path in paths]
    for username, paths in wanted["paths"].items()
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, type=Path, help="the checkout to compare to")
    parser.add_argument("--database-url", default=QUEUE_DATABASE_URL)
    parser.add_argument(
        "--redis-url", default="", help="Redis server; the sides use its db 1 and 2 (default: env)"
    )
    parser.add_argument("--requests", type=int, default=30, help="timed requests per URL and side")
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--language", default="zh-hans")
    parser.add_argument("--url", action="append", default=[], metavar="NAME=PATH")
    args = parser.parse_args()

    sides = {"baseline": args.baseline.resolve(), "this": ROOT}
    envs = {name: side_environment(name, tree, args) for name, tree in sides.items()}
    ensure_database(envs["this"])
    for name, tree in sides.items():
        if name == "this":
            manage(tree, envs[name], "migrate", "--noinput", "-v0")
        manage(tree, envs[name], "collectstatic", "--noinput", "-v0")
    os.environ.update(envs["this"])
    import django

    django.setup()

    tickets, messages = table_estimates()
    if tickets < 1:
        sys.exit(f"no tickets in {args.database_url}: run `python -m bench.fill_tickets` first")
    users = bench_users_ensure()
    urls = bench_urls(agent=users[1][0])
    urls += [tuple(extra.partition("=")[::2]) for extra in args.url]

    results: dict[tuple[str, str], list[UrlResult]] = {}
    log_dir = Path(tempfile.gettempdir())
    with ExitStack() as stack:
        ports = {
            name: stack.enter_context(
                serve(tree, envs[name], log_dir / f"queue-compare-{name}.log")
            )
            for name, tree in sides.items()
        }
        for user, password in users:
            clients = {}
            for name, port in ports.items():
                wait_for_a_fresh_code()  # each authenticator code is accepted once
                client = HttpClient(port, language=args.language)
                if not client.login(user.get_username(), password, second_factor_code(user)):
                    sys.exit(f"login as {user.get_username()} on {name} failed: see {log_dir}")
                clients[name] = client
            for client in clients.values():
                # Idle while the other side logged in: past the server's keep-alive. Reopened on
                # the next request.
                client.close()
            for url_name, path in urls:
                measured = alternate(clients, url_name, path, args.requests, args.warmups)
                for name, result in measured.items():
                    results.setdefault((user.get_username(), name), []).append(result)
            for client in clients.values():
                client.close()

    paths = {user.get_username(): [path for _name, path in urls] for user, _ in users}
    counts = {
        name: statements(tree, envs[name], paths, args.language) for name, tree in sides.items()
    }
    print(f"machine: {machine()}; load average at the end {os.getloadavg()}")
    print(f"baseline {describe_tree(sides['baseline'])}; this {describe_tree(ROOT)}")
    print(
        f"both served by uvicorn, 1 process each, DEBUG off, on "
        f"{args.database_url.rsplit('@', 1)[-1]}; {args.requests} requests per URL and side "
        f"after {args.warmups} warm-ups, alternating; about {tickets:,} tickets, {messages:,} "
        "messages"
    )
    for user, _password in users:
        username = user.get_username()
        print()
        print(f"as {describe(user)}")
        print(
            f"  {'URL':22} {'base ms':>8} {'this ms':>8} {'ratio':>6} "
            f"{'base p95':>9} {'this p95':>9} {'base q':>7} {'this q':>7}"
        )
        rows = zip(
            results[(username, "baseline")],
            results[(username, "this")],
            counts["baseline"][username],
            counts["this"][username],
            strict=True,
        )
        for old, new, old_queries, new_queries in rows:
            ratio = new.median_ms / old.median_ms if old.latencies_ms else float("nan")
            print(
                f"  {old.name:22} {old.median_ms:8.1f} {new.median_ms:8.1f} {ratio:6.2f} "
                f"{old.p95_ms:9.1f} {new.p95_ms:9.1f} {old_queries!s:>7} {new_queries!s:>7}"
                + ("" if old.status == new.status == 200 else f"  status {old.status}/{new.status}")
            )


def side_environment(name: str, tree: Path, args) -> dict[str, str]:
    env = bench_environment()
    env["DATABASE_URL"] = args.database_url
    redis = (args.redis_url or env["REDIS_URL"]).rsplit("/", 1)[0]
    env["REDIS_URL"] = f"{redis}/{1 if name == 'baseline' else 2}"
    env["STATIC_ROOT"] = str(Path(tempfile.gettempdir()) / f"queue-compare-static-{name}")
    env["PYTHONPATH"] = str(tree)
    return env


def manage(tree: Path, env: dict[str, str], *arguments: str) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=tree, env=env, check=True)


@contextmanager
def serve(tree: Path, env: dict[str, str], log_path: Path):
    """A production server of `tree`; yields its port."""
    port = free_port()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            server_command("uvicorn", port, 1),
            cwd=tree,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server of {tree} did not start: {log_path}") from None
                time.sleep(0.2)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)


def wait_for_a_fresh_code(step: int = 30) -> None:
    """Sleep into the next authenticator time step (with a second's margin)."""
    time.sleep(step - time.time() % step + 1)


def alternate(clients, name: str, path: str, requests: int, warmups: int) -> dict[str, UrlResult]:
    """Warm-ups on each side, then `requests` timed GETs each, the first side changing each time."""
    order = list(clients)
    results = {side: UrlResult(name, path) for side in order}
    for number in range(warmups + requests):
        for side in order if number % 2 == 0 else reversed(order):
            started = time.perf_counter()
            status, headers, _content = clients[side].request("GET", path)
            elapsed = (time.perf_counter() - started) * 1000
            results[side].status, results[side].location = status, headers.get("location", "")
            if number >= warmups:
                results[side].latencies_ms.append(elapsed)
    return results


def statements(tree: Path, env: dict[str, str], paths, language: str) -> dict[str, list]:
    found = subprocess.run(
        [sys.executable, "-c", COUNT_STATEMENTS],
        cwd=tree,
        env=env,
        input=json.dumps({"paths": paths, "language": language}),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(found.stdout.strip().splitlines()[-1])


def describe_tree(tree: Path) -> str:
    commit = subprocess.run(
        ["git", "log", "-1", "--format=%h %s"], cwd=tree, capture_output=True, text=True
    ).stdout.strip()
    return f"{tree} ({commit[:70]})"


if __name__ == "__main__":
    main()
