"""Help-centre benchmark: request rates of an article page, a search and a bare view, side by side.

    .venv/bin/python -m bench.faq_bench [--seconds 10] [--connections 16] [--articles 10000]

Serves the site as in production (wallet_support/serve.py, DEBUG off, PostgreSQL and Redis from
DATABASE_URL and REDIS_URL, defaulting to local servers and a `wallet_support_bench` database),
loads the help centre plus filler articles up to --articles, then measures each URL in turn on the
same server: once with search results kept in the shared cache (the default), once with none kept
(FAQ_SEARCH_RESULTS_SECONDS=0, every search ranked afresh).
"""

import argparse
import asyncio
import os
import platform
import subprocess
import sys
from urllib.parse import quote

from bench.loadgen import run_load
from bench.server import ROOT, bench_environment, ensure_database, manage, production_server

FILL_SCRIPT = """
from faq.models import Article, Category
from faq.services import help_centre_load
help_centre_load()
wanted = {articles}
category, _ = Category.objects.get_or_create(
    slug="bench-filler", defaults={{"title_en": "Filler", "title_zh_hans": "填充"}}
)
existing = Article.objects.count()
for number in range(existing, wanted):
    Article(
        category=category, slug=f"bench-filler-{{number}}", status="published", order=number,
        title_en=f"Network fee note {{number}}", title_zh_hans=f"网络手续费说明{{number}}",
        summary_en="How network fees and confirmations work.",
        summary_zh_hans="网络手续费与确认数。",
        body_en="Network fees and confirmation times vary with congestion. " * 20,
        body_zh_hans="网络拥堵时手续费和确认时间会变化。" * 20,
    ).save()
from django.db import connection
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE faq_article")
print(Article.objects.count(), "articles")
"""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--single-seconds", type=float, default=5.0)
    args = parser.parse_args()

    env = bench_environment()
    ensure_database(env)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", FILL_SCRIPT.format(articles=args.articles)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    paths = {
        "hello (bare view)": "/bench/hello",
        "article page": "/faq/account-security/stolen-account-first-minutes/",
        "search 提现": "/faq/search/?q=" + quote("提现"),
        "search withdrawl (typo)": "/faq/search/?q=withdrawl",
    }
    # Server time of one search at a time (issue 18): the searches customers were measured with,
    # a whole contact-form sentence, and words every filler article holds.
    single = {
        "article page": paths["article page"],
        "提现": "/faq/search/?q=" + quote("提现"),
        "账户被盗怎么办": "/faq/search/?q=" + quote("账户被盗怎么办"),
        "withdrawal": "/faq/search/?q=withdrawal",
        "withdrawl": "/faq/search/?q=withdrawl",
        "客服让我提供助记词": "/faq/search/?q=" + quote("客服让我提供助记词"),
        "sentence (zh)": "/faq/search/?q="
        + quote("充值没到账 我从交易所充了200 USDT到钱包，交易所显示已完成，但是钱包余额一直没变"),
        "network fee (every filler)": "/faq/search/?q=network+fee",
        "网络手续费 (every filler)": "/faq/search/?q=" + quote("网络手续费"),
    }
    print(f"machine: {machine()}")
    print(f"server: uvicorn, 1 process, DEBUG off, {env['DATABASE_URL'].split('@')[-1]}")
    print(f"load: {args.connections} keep-alive connections, {args.seconds:.0f} s per URL")
    # Kept: a search's results kept in the shared cache (the default); cold: none kept
    # (FAQ_SEARCH_RESULTS_SECONDS=0), so every request ranks, loads and highlights afresh.
    for mode, keep in (("kept", None), ("cold", "0")):
        server_env = dict(env)
        if keep is not None:
            server_env["FAQ_SEARCH_RESULTS_SECONDS"] = keep
        print(f"\n== {mode} results; load average {load_average()} ==")
        with production_server(server_env) as (port, _server):
            for path in paths.values():  # warm up caches, connections and the search index
                asyncio.run(run_load("127.0.0.1", port, path, seconds=1, connections=2))
            results = {
                name: asyncio.run(
                    run_load(
                        "127.0.0.1", port, path, seconds=args.seconds, connections=args.connections
                    )
                )
                for name, path in paths.items()
            }
            one_client = {
                name: asyncio.run(
                    run_load("127.0.0.1", port, path, seconds=args.single_seconds, connections=1)
                )
                for name, path in single.items()
            }
        hello = results["hello (bare view)"].rate
        print(f"{'URL':28} {'req/s':>9} {'ratio':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        for name, result in results.items():
            print(
                f"{name:28} {result.rate:9.1f} {result.rate / hello:7.2f} "
                f"{result.median_ms:8.1f} {result.percentile(0.99):8.1f} {result.errors:7d}"
            )
        article = results["article page"].rate
        print(f"search 提现 / article page: {results['search 提现'].rate / article:.2f}")
        typo = results["search withdrawl (typo)"].rate
        print(f"search withdrawl / article page: {typo / article:.2f}")
        print(f"one client, {args.single_seconds:.0f} s per URL (time per request, loopback):")
        print(f"{'URL':28} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
        for name, result in one_client.items():
            print(
                f"{name:28} {result.requests:9d} {result.median_ms:8.1f} "
                f"{result.percentile(0.95):8.1f} {result.errors:7d}"
            )
        print(f"load average after: {load_average()}")


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
