"""What the transaction status costs the pages that show it (issue 23), and what a dead provider
costs them: the customer's ticket page with the feature off (the baseline) and on, the contact
form's check answered from the cache, and the same with every provider silent.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python -m bench.chain_bench

One process, Django's test client (no server), a test database of its own; the Ethereum provider
is an in-process chain (tests/support/chain.py), so lookup times are not a remote node's.
"""

import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("SECRET_KEY", "chain-bench-only")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

REQUESTS = int(os.environ.get("CHAIN_BENCH_REQUESTS", "300"))


def timed(function, repeat: int = REQUESTS) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append((time.perf_counter() - started) * 1000)
    runs.sort()
    return statistics.median(runs), runs[int(len(runs) * 0.95) - 1]


def main() -> None:
    from faq.services import help_centre_load
    from tests.support.chain import EthereumNode, SilentServer
    from tickets.links import ticket_token
    from tickets.models import Channel, ProblemType
    from tickets.services import ticket_create
    from wallet_support.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    setup_test_environment()
    # The test client speaks plain HTTP to "testserver", static files without a manifest.
    override_settings(
        SECURE_SSL_REDIRECT=False,
        ALLOWED_HOSTS=["testserver"],
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()
    settings.DATABASES["default"]["NAME"] += "_bench"
    old_name = connection.creation.create_test_db(verbosity=0)
    node, silent = EthereumNode(), SilentServer()
    try:
        help_centre_load()
        with override_settings(CHAIN_PROVIDERS={"ethereum": node.url}):
            tx_hash = node.send_ether(to=node.accounts[1], wei=10**18)
            ticket = ticket_create(
                problem_type=ProblemType.ABNORMAL_TRANSACTION,
                channel=Channel.WEB,
                subject="My ETH did not arrive",
                description="I sent ETH to the exchange an hour ago and it is not credited.",
                customer_email="li.wei@example.com",
                evidence={"network": "ethereum", "transaction_hash": tx_hash},
                transaction_hash=tx_hash,
                transaction_network="ethereum",
            )
        client = Client()
        page = f"/tickets/{ticket_token(ticket)}/"
        body = {"network": "ethereum", "hash": tx_hash}

        def get_page():
            assert client.get(page).status_code == 200

        def check():
            response = client.post("/chain/status/", body, content_type="application/json")
            assert response.status_code == 200

        def health():
            assert client.get("/healthz").status_code == 200

        figures = {}
        get_page()
        with override_settings(CHAIN_PROVIDERS={}):
            figures["ticket page, feature off (baseline)"] = timed(get_page)
        with override_settings(CHAIN_PROVIDERS={"ethereum": node.url}):
            figures["ticket page, feature on"] = timed(get_page)
            check()
            figures["/chain/status/ from the cache"] = timed(check)
            figures["/healthz (baseline)"] = timed(health)

            def lookup():
                cache.clear()
                from chain.services import observation_fetch

                observation_fetch(network="ethereum", tx_hash=tx_hash)

            figures["lookup of a mined transfer, in-process chain (4 JSON-RPC calls)"] = timed(
                lookup, 50
            )
        with override_settings(
            CHAIN_PROVIDERS={"ethereum": silent.url}, CHAIN_PROVIDER_TIMEOUT_SECONDS=5
        ):
            cache.clear()
            started = time.perf_counter()
            client.post("/chain/status/", body, content_type="application/json")
            figures["first check with the provider silent (eager: waits the time-out)"] = (
                (time.perf_counter() - started) * 1000,
                0.0,
            )
            figures["ticket page, provider silent"] = timed(get_page)
            figures["/chain/status/, provider silent and resting"] = timed(check)
        print(f"load average before: {os.getloadavg()}")
        for name, (median, p95) in figures.items():
            print(f"| {name} | {median:.2f} | {p95:.2f} |")
        print(f"load average after: {os.getloadavg()}")
    finally:
        node.close()
        silent.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
