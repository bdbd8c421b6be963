"""PostgreSQL behind PgBouncer in transaction pooling mode (issue 21, docs/high-availability.md):
a pgbouncer of the test's own, with two server connections for every client, in front of the
real PostgreSQL; a production server process (wallet_support/serve.py) on it with
DATABASE_POOLER=pgbouncer-transaction. Pages, the metrics' bounded queries (SET LOCAL), tickets
filed through the contact form and chat messages both ways, side by side, must all work with each
transaction on whichever server connection is free. Runs in CI; skips without the binary."""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode
from uuid import uuid4

import psycopg2
import psycopg2.extras
import pytest
from django.conf import settings
from django.db import connection

from livechat import services
from tests.support.chat import staff_cookie, visitor_cookie
from tests.support.chat_client import ChatClient
from tests.support.factories import contact_data, make_agent, make_conversation
from tests.support.processes import (
    ROOT,
    free_port,
    healthy,
    request,
    serving,
    site_env,
    wait_for,
    wait_for_port,
)
from tests.support.services import service_unavailable
from tickets.models import Message, Ticket

PGBOUNCER = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
POOL_SIZE = 2
METRICS_TOKEN = "pgbouncer-test-metrics-token-" + "m" * 20


@pytest.fixture
def pgbouncer(postgres):
    """A pgbouncer on a free port in transaction mode; its admin console as `pgbouncer`."""
    if PGBOUNCER is None:
        service_unavailable("needs the pgbouncer binary (Debian's pgbouncer package)")
    db = connection.settings_dict
    # pgbouncer refuses to run as root: it then runs as the postgres user, who must read all.
    directory = Path(tempfile.mkdtemp(prefix="ws-pgbouncer-"))
    directory.chmod(0o777)
    port = free_port()
    password = f" password={db['PASSWORD']}" if db["PASSWORD"] else ""
    config = directory / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} "
        f"user={db['USER']}{password}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = any\n"
        f"admin_users = {db['USER']}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {POOL_SIZE}\n"
        "max_client_conn = 500\n"
        # SHOW STATS is refreshed once a period (60 s by default).
        "stats_period = 1\n"
        f"logfile = {directory / 'pgbouncer.log'}\n"
        f"pidfile = {directory / 'pgbouncer.pid'}\n"
    )
    config.chmod(0o644)
    user = ["-u", "postgres"] if os.geteuid() == 0 else []
    process = subprocess.Popen(
        [PGBOUNCER, *user, str(config)],
        stdout=subprocess.DEVNULL,
        stderr=(directory / "stderr.log").open("wb"),
    )
    try:
        wait_for_port(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


def admin_console(port: int, command: str) -> list[dict]:
    db = connection.settings_dict
    console = psycopg2.connect(
        host="127.0.0.1", port=port, dbname="pgbouncer", user=db["USER"], connect_timeout=5
    )
    console.autocommit = True  # the console takes no transactions
    try:
        with console.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            cursor.execute(command)
            return cursor.fetchall()
    finally:
        console.close()


@pytest.fixture
def site_on_pgbouncer(pgbouncer, redis_url, tmp_path):
    db_name = connection.settings_dict["NAME"]
    user = connection.settings_dict["USER"]
    env = site_env(
        DATABASE_URL=f"postgres://{user}@127.0.0.1:{pgbouncer}/{db_name}",
        DATABASE_POOLER="pgbouncer-transaction",
        REDIS_URL=redis_url,
        SECURE_SSL_REDIRECT="0",
        METRICS_TOKEN=METRICS_TOKEN,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    # DEBUG off serves the collected files' manifest, as in production.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    with serving(env, stderr=tmp_path / "server.log") as (port, _process):
        yield port


def file_ticket(port: int, problem_type: str) -> int:
    csrf = uuid4().hex
    data = contact_data(problem_type, submission_key=str(uuid4()), csrfmiddlewaretoken=csrf)
    status, _body = request(
        port,
        "POST",
        f"/contact/?type={problem_type}",
        body=urlencode(data),
        headers={
            "Cookie": f"{settings.CSRF_COOKIE_NAME}={csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    return status


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pgbouncer_transaction_pooling_serves_pages_tickets_and_chat(site_on_pgbouncer, pgbouncer):
    port = site_on_pgbouncer
    wait_for(lambda: healthy(port), timeout=30, what="the site's health check through pgbouncer")
    agent = make_agent("transactions", console=True)
    conversation = make_conversation()
    services.conversation_accept(public_id=str(conversation.public_id), agent=agent)
    path = f"/ws/chat/{conversation.public_id}/"
    customer_cookie = visitor_cookie("visitor-1").decode()
    agent_cookie = staff_cookie(agent).decode()
    tickets_before = Ticket.objects.count()
    problem_types = ["account_security", "abnormal_transaction", "topup_withdrawal", "other"]

    def pages_and_tickets() -> tuple[list[int], list[int], int]:
        with ThreadPoolExecutor(max_workers=8) as pool:
            pages = list(
                pool.map(lambda page: request(port, "GET", page)[0], ["/", "/contact/"] * 8)
            )
            filed = list(pool.map(lambda kind: file_ticket(port, kind), problem_types))
            metrics = request(
                port, "GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )[0]
        return pages, filed, metrics

    async def chat() -> tuple[ChatClient, ChatClient]:
        customer = ChatClient(port, path, customer_cookie)
        helper = ChatClient(port, path, agent_cookie)
        await customer.open()
        await helper.open()
        for number in range(10):
            await customer.send(f"Customer line {number}")
            await helper.send(f"Agent line {number}")

        def has_all(client: ChatClient, author: str) -> bool:
            wanted = {f"{author} line {number}" for number in range(10)}
            return not client.outbox and wanted <= set(client.bodies())

        await asyncio.gather(
            customer.pump(lambda: has_all(customer, "Agent"), timeout=40),
            helper.pump(lambda: has_all(helper, "Customer"), timeout=40),
        )
        await customer.socket.close()
        await helper.socket.close()
        return customer, helper

    async def everything():
        return await asyncio.gather(asyncio.to_thread(pages_and_tickets), chat())

    (pages, filed, metrics), (customer, helper) = asyncio.run(everything())

    assert pages == [200] * 16
    assert filed == [302] * len(problem_types)
    assert metrics == 200
    assert Ticket.objects.count() == tickets_before + len(problem_types)
    for client, author in ((customer, "Agent"), (helper, "Customer")):
        bodies = client.bodies()
        assert {f"{author} line {number}" for number in range(10)} <= set(bodies), bodies
        assert len(bodies) == len(set(bodies)), bodies
    for author in ("Customer", "Agent"):
        for number in range(10):
            body = f"{author} line {number}"
            assert Message.objects.filter(ticket=conversation.ticket, body=body).count() == 1
    # All of it went through pgbouncer, on at most POOL_SIZE server connections.
    db_name = connection.settings_dict["NAME"]
    [pool] = [row for row in admin_console(pgbouncer, "SHOW POOLS") if row["database"] == db_name]
    assert pool["pool_mode"] == "transaction"
    servers = sum(pool[column] for column in ("sv_active", "sv_idle", "sv_used", "sv_tested"))
    assert 1 <= servers <= POOL_SIZE
    [stats] = [row for row in admin_console(pgbouncer, "SHOW STATS") if row["database"] == db_name]
    assert stats["total_xact_count"] > 50
