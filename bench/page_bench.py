"""Page benchmark (issue 19): wrk over a bare view and each public page, on the production
servers, the previous all-ASGI server, a plain WSGI server and the django-helpdesk peer, with
the servers interleaved round by round.

    .venv/bin/python -m bench.page_bench [--seconds 10] [--rounds 2] [--no-peer] [--no-asgi]
        [--baseline /path/to/an/earlier/checkout]

Needs wrk (`apt-get install wrk`) and, for the peer, /work/shared/peers/django-helpdesk set up
(`setup.sh`). Our servers serve bench.settings (the production settings plus /bench/hello) on
PostgreSQL and Redis: `<DATABASE_URL>_b56` with the 56 shipped articles and `<DATABASE_URL>_b10k`
with filler up to 10,000 (bench/faq_bench.py's loader), each with a Redis db of its own
(REDIS_URL's db + 1 and + 2). Every server runs 2 processes, as in production on 2 cores:

- `pages`: the production pages server (wallet_support/serve.py `http_command`, gunicorn gthread);
- `asgi`: the previous production server, everything through uvicorn (serve.py `command`);
- `wsgi`: the same app's bare view under gunicorn with 2 sync workers, the WSGI reference;
- `peer`: django-helpdesk under gunicorn, 2 sync workers, SQLite (its run.sh);
- `before 10k` (with `--baseline DIR`): the pages server running the code checked out in DIR (an
  earlier commit), with the 10,000 articles: what a change gained, measured in the same run.

Each round goes page by page, every server in turn, with the bare view measured first and last
(its figure is the mean). wrk opens its 16 connections without cookies: an anonymous visitor's
first page, which is what the page cache serves (common/page_cache.py). The "(returning)" rows
send a fixed csrftoken cookie, as a visitor's second page does (still cached: no session).

gunicorn's workers share one listening socket and each keeps the keep-alive connections it
accepted, so wrk's 16 connections split unevenly between the two processes, and differently at
each measurement (14:2 as often as 8:8); the busier process then bounds the rate on its one
core. Each measurement of our gunicorn servers notes the split (connections per worker, read
from `ss` a second in), so a ratio moved by it can be told from one moved by the page. The
machine is shared: each round measures every server once, and the ratios within a round are
what to read.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.faq_bench import FILL_SCRIPT, machine
from bench.server import (
    ROOT,
    bench_environment,
    ensure_database,
    free_port,
    manage,
)

PEER = Path("/work/shared/peers/django-helpdesk")
PEER_URL = "http://127.0.0.1:8101"
ARTICLE = "/faq/account-security/stolen-account-first-minutes/"
OUR_PAGES = {
    "bare view": "/bench/hello",
    "article": ARTICLE,
    "category": "/faq/account-security/",
    "index": "/faq/",
    "security": "/security/",
    "home": "/",
    "contact form": "/contact/?type=account_security",
}
ASGI_PAGES = ["bare view", "article", "index", "home", "contact form"]
PEER_PAGES = {
    "bare view": "/hello/",
    "article": "/kb/getting-started/?kbitem=1",
    "category": "/kb/getting-started/",
    "index": "/kb/",
    "home": "/",
    "contact form": "/tickets/submit/",
}
CACHED = ["article", "category", "index", "security"]
# A returning visitor's second page: their CSRF cookie (no session, so still the cached page).
RETURNING_COOKIE = "csrftoken=pageBenchReturningVisitor0123456"  # 32 letters
RETURNING = {"article (returning)": "article", "contact form (returning)": "contact form"}
OUR_PAGES.update({name: OUR_PAGES[page] for name, page in RETURNING.items()})
BEFORE_PAGES = ["bare view", "article", "contact form", *RETURNING]


@dataclass
class Measured:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    split: str = ""  # wrk's connections per server process, busiest first ("9:7")


def wrk(url: str, seconds: float, *, cookie: str = "", split_of: int | None = None) -> Measured:
    """One wrk run; `split_of` (the server's port): note how the connections split between its
    processes, a second into the run."""
    command = ["wrk", "-t2", "-c16", f"-d{seconds:g}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    split = ""
    if split_of is not None:
        time.sleep(min(1.0, seconds / 2))
        split = connection_split(split_of)
    output, _ = process.communicate()
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command, output)
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", output)[1])
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return Measured(rate, _latency(output, "50%"), _latency(output, "99%"), errors, split)


def connection_split(port: int) -> str:
    """The established connections to `port` per owning process, busiest first."""
    listing = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    owners = Counter(re.findall(r"pid=(\d+)", listing))
    return ":".join(str(count) for _, count in owners.most_common())


def _latency(output: str, percentile: str) -> float:
    found = re.search(rf"{percentile}\s+([0-9.]+)(us|ms|s)\b", output)
    if not found:
        return float("nan")
    value, unit = float(found[1]), found[2]
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def warm(base: str, paths) -> None:
    for path in paths:
        for _ in range(20):
            with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310
                response.read()


def prepare(env: dict[str, str], articles: int) -> None:
    ensure_database(env)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", FILL_SCRIPT.format(articles=articles)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def dataset_environment(suffix: str, redis_db_offset: int) -> dict[str, str]:
    env = bench_environment()
    base_redis, _, db = env["REDIS_URL"].rpartition("/")
    env["DATABASE_URL"] = f"{env['DATABASE_URL']}_{suffix}"
    env["REDIS_URL"] = f"{base_redis}/{int(db or 0) + redis_db_offset}"
    env["PYTHONPATH"] = str(ROOT)
    return env


def server_arguments(kind: str, port: int) -> tuple[list[str], dict[str, str]]:
    from wallet_support import serve

    if kind in ("pages", "pages reuse-port"):
        arguments = serve.http_command(host="127.0.0.1", port=port, workers=2)
        if kind == "pages reuse-port":  # a socket per worker: the kernel spreads connections
            arguments.append("--reuse-port")
        return arguments, serve.http_environment({})
    if kind == "asgi":
        arguments = serve.command(host="127.0.0.1", port=port, workers=2)
        arguments[arguments.index(serve.ASGI_APPLICATION)] = "bench.asgi:application"
        return [*arguments, "--no-access-log"], {}
    if kind == "wsgi":  # the plain reference: gunicorn's default sync workers
        return [
            sys.executable,
            "-m",
            "gunicorn",
            serve.WSGI_APPLICATION,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--no-control-socket",
        ], {}
    raise ValueError(kind)


@contextmanager
def our_server(kind: str, env: dict[str, str], log: Path, root: Path = ROOT):
    """A server of ours on a free port, running the code in `root` (the base URL and port)."""
    port = free_port()
    arguments, extra = server_arguments(kind, port)
    if root != ROOT:  # an earlier checkout: its code, and no bytecode written into it
        extra = {**extra, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            arguments,
            cwd=root,
            env={**env, **extra},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/bench/hello", timeout=2).read()  # noqa: S310
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{kind} did not start; see {log}") from None
                time.sleep(0.3)
        yield base, port
    finally:
        # Only this server's own process group: its master and workers.
        os.killpg(process.pid, 15)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


@contextmanager
def peer_server():
    # The peer's own environment: none of ours (PYTHONPATH, DJANGO_SETTINGS_MODULE) may reach it.
    clean = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    run = subprocess.run(
        ["bash", str(PEER / "run.sh")], capture_output=True, text=True, check=True, env=clean
    )
    started = "already running" not in run.stdout
    try:
        yield PEER_URL
    finally:
        if started:
            subprocess.run(["bash", str(PEER / "stop.sh")], check=False, env=clean)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--no-asgi", action="store_true", help="without the all-uvicorn server")
    parser.add_argument(
        "--baseline", type=Path, help="a checkout of earlier code: `before 10k` runs it"
    )
    parser.add_argument("--no-prepare", action="store_true", help="the databases are loaded")
    parser.add_argument(
        "--reuse-port-trial",
        action="store_true",
        help="only the 10k pages server, with one shared socket and with --reuse-port",
    )
    args = parser.parse_args()
    # A stop (kill, a job runner's timeout) still stops every server this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if args.reuse_port_trial:
        reuse_port_trial(args)
        return

    small = dataset_environment("b56", 1)
    large = dataset_environment("b10k", 2)
    if not args.no_prepare:
        prepare(small, 56)
        prepare(large, 10_000)
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / "page-bench"  # noqa: S108
    logs.mkdir(exist_ok=True)
    # (label, base url, {page: path}, port whose connection split is noted or None)
    targets: list[tuple[str, str, dict[str, str], int | None]] = []
    servers = [
        ("pages 56", "pages", small, OUR_PAGES, ROOT),
        ("pages 10k", "pages", large, OUR_PAGES, ROOT),
    ]
    if args.baseline:
        before = dataset_environment("b10k", 3)
        pages = {name: OUR_PAGES[name] for name in BEFORE_PAGES}
        servers.append(("before 10k", "pages", before, pages, args.baseline.resolve()))
    if not args.no_asgi:
        pages = {name: OUR_PAGES[name] for name in ASGI_PAGES}
        servers.append(("asgi 10k", "asgi", large, pages, ROOT))
    servers.append(("wsgi", "wsgi", small, {"bare view": OUR_PAGES["bare view"]}, ROOT))
    with ExitStack() as stack:
        for label, kind, env, pages, root in servers:
            base, port = stack.enter_context(our_server(kind, env, logs / f"{label}.log", root))
            targets.append((label, base, pages, port if kind == "pages" else None))
        if not args.no_peer:
            targets.append(("peer", stack.enter_context(peer_server()), PEER_PAGES, None))
        results: dict[tuple[str, str], list[Measured]] = {}
        loads: list[str] = []
        # Page by page, every server in turn; the bare view first and again last, its figure
        # the mean of the two, so a change of the machine's load within a round is shared.
        order = [*OUR_PAGES, "bare view"]
        for round_number in range(1, args.rounds + 1):
            loads.append(load_average())
            for _label, base, pages, _port in targets:
                warm(base, pages.values())
            for name in order:
                for label, base, pages, port in targets:
                    if name not in pages:
                        continue
                    cookie = RETURNING_COOKIE if name in RETURNING else ""
                    measured = wrk(base + pages[name], args.seconds, cookie=cookie, split_of=port)
                    results.setdefault((label, name), []).append(measured)
                    print(
                        f"round {round_number} {label:10} {name:24} {measured.rate:8.0f} req/s "
                        f"p50 {measured.p50_ms:6.1f} ms p99 {measured.p99_ms:6.1f} ms "
                        f"errors {measured.errors} split {measured.split or '-'}",
                        flush=True,
                    )
            loads[-1] += f" → {load_average()}"
        for key, measured in results.items():
            if key[1] == "bare view":  # two a round: their mean
                results[key] = [
                    Measured(
                        rate=(first.rate + second.rate) / 2,
                        p50_ms=(first.p50_ms + second.p50_ms) / 2,
                        p99_ms=max(first.p99_ms, second.p99_ms),
                        errors=first.errors + second.errors,
                        split=f"{first.split} & {second.split}",
                    )
                    for first, second in zip(measured[::2], measured[1::2], strict=True)
                ]
    report(results, loads, args)


def reuse_port_trial(args) -> None:
    """The pages server as shipped against the same with `--reuse-port` (10,000 articles),
    interleaved page by page: does spreading wrk's connections over both workers steady the
    ratios to the bare view?"""
    large = dataset_environment("b10k", 2)
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / "page-bench"  # noqa: S108
    logs.mkdir(exist_ok=True)
    pages = {name: OUR_PAGES[name] for name in ["bare view", *CACHED, "home", "contact form"]}
    with ExitStack() as stack:
        targets = []
        for label in ("pages", "pages reuse-port"):
            base, port = stack.enter_context(our_server(label, large, logs / f"{label}.log"))
            targets.append((label, base, port))
        for round_number in range(1, args.rounds + 1):
            load = load_average()
            for _label, base, _port in targets:
                warm(base, pages.values())
            rates: dict[tuple[str, str], list[float]] = {}
            for name in [*pages, "bare view"]:
                for label, base, port in targets:
                    measured = wrk(base + pages[name], args.seconds, split_of=port)
                    rates.setdefault((label, name), []).append(measured.rate)
                    print(
                        f"round {round_number} {label:16} {name:13} {measured.rate:8.0f} req/s "
                        f"split {measured.split}",
                        flush=True,
                    )
            print(f"round {round_number} load average {load} → {load_average()}")
            for label, _base, _port in targets:
                bare = sum(rates[(label, "bare view")]) / 2
                ratios = ", ".join(
                    f"{name} {rates[(label, name)][0] / bare:.2f}"
                    for name in pages
                    if name != "bare view"
                )
                print(f"round {round_number} {label}: bare {bare:.0f} req/s; x bare: {ratios}")


def report(results: dict, loads: list[str], args) -> None:
    rounds = len(loads)
    print()
    print(f"machine: {machine()}; shared with other sessions and a CI run")
    print(f"wrk -t2 -c16 -d{args.seconds:g}s --latency, {rounds} rounds, servers interleaved")
    for number, load in enumerate(loads, 1):
        print(f"round {number} load average (1, 5, 15 min) before → after: {load}")
    print()
    for number in range(rounds):

        def found(label: str, name: str, number: int = number) -> Measured | None:
            measured = results.get((label, name))
            return measured[number] if measured else None

        def rate(label: str, name: str) -> float | None:
            measured = found(label, name)
            return measured.rate if measured else None

        def split(label: str, name: str) -> str:
            measured = found(label, name)
            return measured.split if measured and measured.split else "-"

        print(f"round {number + 1}")
        print(
            "| page | pages 56 | pages 10k | x bare (56 / 10k) | split (56 / 10k) | before 10k "
            "| x bare before | asgi 10k | peer | pages / peer |"
        )
        print("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
        bare_small, bare_large = rate("pages 56", "bare view"), rate("pages 10k", "bare view")
        bare_before = rate("before 10k", "bare view")
        for name in OUR_PAGES:
            small, large = rate("pages 56", name), rate("pages 10k", name)
            before, asgi = rate("before 10k", name), rate("asgi 10k", name)
            peer = rate("peer", RETURNING.get(name, name))
            print(
                f"| {name} | {small:.0f} | {large:.0f} | {small / bare_small:.2f} / "
                f"{large / bare_large:.2f} | {split('pages 56', name)} / "
                f"{split('pages 10k', name)} | {_fmt(before)} ({split('before 10k', name)}) | "
                f"{_ratio(before, bare_before)} | "
                f"{_fmt(asgi)} | {_fmt(peer)} | {_ratio(min(small, large), peer)} |"
            )
        wsgi = rate("wsgi", "bare view")
        print(
            f"bare view, pages server / plain WSGI (gunicorn sync): "
            f"{bare_small:.0f} / {wsgi:.0f} = {bare_small / wsgi:.2f}; "
            f"asgi / plain WSGI: {_ratio(rate('asgi 10k', 'bare view'), wsgi)}"
        )
        print()


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _ratio(value: float | None, reference: float | None) -> str:
    return "-" if value is None or not reference else f"{value / reference:.2f}"


if __name__ == "__main__":
    main()
