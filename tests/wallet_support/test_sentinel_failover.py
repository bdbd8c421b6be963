"""Redis behind Sentinel, and its primary killed mid-chat (issue 21): three redis-server
processes (a primary, two replicas) and three Sentinels of the test's own, a production server
process (wallet_support/serve.py) and a real Celery worker, both given only REDIS_SENTINELS. The
primary gets SIGKILL in the middle of a conversation; the sentinels promote a replica within a
few seconds. Then the chat must carry messages both ways again, none lost, none doubled, the
cache must take reads and writes on the new primary, and a task that the web process sends
through the broker must run on the worker. Runs in CI; skips on a laptop without the services."""

import asyncio
import secrets

import pytest
from django.conf import settings

from livechat import services
from mail.models import SentMail
from tests.support.celery import worker_database_url
from tests.support.chat import staff_cookie, visitor_cookie
from tests.support.chat_client import ChatClient
from tests.support.factories import make_agent, make_conversation
from tests.support.processes import (
    CeleryWorker,
    healthy,
    request,
    serving,
    site_env,
    task_runs,
    wait_for,
)
from tests.support.sentinel import MASTER_NAME, SentinelCluster
from tickets.models import Message


@pytest.fixture
def cluster(tmp_path):
    cluster = SentinelCluster(tmp_path)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def site_on_sentinel(postgres, cluster, tmp_path):
    """The web server and a worker, on Redis through the sentinels only (no REDIS_URL)."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = site_env(
        DATABASE_URL=worker_database_url(),
        REDIS_SENTINELS=cluster.sentinels_setting,
        REDIS_SENTINEL_MASTER=MASTER_NAME,
        SECURE_SSL_REDIRECT="0",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    env.pop("REDIS_URL", None)
    with serving(env, stderr=tmp_path / "server.log") as (port, _process):
        worker = CeleryWorker(env, name="sentinel", log=tmp_path / "worker.log")
        worker.start()
        try:
            yield port, worker, mail_dir
        finally:
            worker.stop()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sentinel_failover_mid_chat_loses_and_doubles_nothing(site_on_sentinel, cluster):
    port, worker, mail_dir = site_on_sentinel
    agent = make_agent("transactions", console=True)
    conversation = make_conversation()
    services.conversation_accept(public_id=str(conversation.public_id), agent=agent)
    path = f"/ws/chat/{conversation.public_id}/"
    customer_cookie = visitor_cookie("visitor-1").decode()
    agent_cookie = staff_cookie(agent).decode()
    wait_for(lambda: healthy(port), timeout=30, what="the site's health check on Sentinel")
    old_primary = cluster.primary_port()
    assert old_primary == cluster.redis_ports[0]

    async def scenario():
        customer = ChatClient(port, path, customer_cookie)
        helper = ChatClient(port, path, agent_cookie)
        await customer.open()
        await helper.open()
        await customer.send("Before the failover")
        await helper.pump(lambda: "Before the failover" in helper.bodies(), timeout=15)
        assert "Before the failover" in helper.bodies()

        cluster.kill(old_primary)
        # During the election: the customer writes, the agent answers.
        await customer.send("During the failover")
        await helper.send("Answer during the failover")
        new_primary = await asyncio.to_thread(cluster.wait_for_failover, old_primary)
        await customer.send("After the failover")
        await helper.send("Answer after the failover")

        def customer_has_all() -> bool:
            return not customer.outbox and {
                "Answer during the failover",
                "Answer after the failover",
            } <= set(customer.bodies())

        def helper_has_all() -> bool:
            return not helper.outbox and {"During the failover", "After the failover"} <= set(
                helper.bodies()
            )

        await asyncio.gather(
            customer.pump(customer_has_all, timeout=40), helper.pump(helper_has_all, timeout=40)
        )
        # Live on the new primary: a message now crosses without any reconnect.
        reconnects = (customer.reconnects, helper.reconnects)
        await helper.send("Live again")
        await customer.send("Live here too")
        await asyncio.gather(
            customer.pump(
                lambda: "Live again" in customer.bodies() and not customer.outbox, timeout=10
            ),
            helper.pump(
                lambda: "Live here too" in helper.bodies() and not helper.outbox, timeout=10
            ),
        )
        await customer.socket.close()
        await helper.socket.close()
        return customer, helper, reconnects, new_primary

    customer, helper, reconnects, new_primary = asyncio.run(scenario())
    everything = [
        "Before the failover",
        "During the failover",
        "Answer during the failover",
        "After the failover",
        "Answer after the failover",
        "Live again",
        "Live here too",
    ]
    for client in (customer, helper):
        assert not client.outbox
        bodies = client.bodies()
        assert set(everything) <= set(bodies), bodies
        assert len(bodies) == len(set(bodies)), bodies  # nothing shown twice
    assert (customer.reconnects, helper.reconnects) == reconnects  # the last two came live
    for body in everything:
        assert Message.objects.filter(ticket=conversation.ticket, body=body).count() == 1, body

    # The cache (health check: a write read back) and the broker answer on the new primary.
    answers = []
    try:
        wait_for(lambda: healthy(port, answers), timeout=30, what="the health check")
    except pytest.fail.Exception:
        pytest.fail(f"/healthz still failing after the failover: {answers[-3:]}")

    # A task the web process sends through the broker after the failover runs on the worker;
    # its rate limits are counted in the cache, on the new primary.
    csrf = secrets.token_hex(16)
    status, _body = request(
        port,
        "POST",
        f"/chat/{conversation.public_id}/transcript/",
        body=f"csrfmiddlewaretoken={csrf}",
        headers={
            "Cookie": f"{customer_cookie}; {settings.CSRF_COOKIE_NAME}={csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert status == 302
    wait_for(
        lambda: task_runs(worker.log, "livechat.tasks.send_transcript"),
        timeout=60,
        what="the worker to run the transcript task",
    )
    [(task_id, outcome)] = task_runs(worker.log, "livechat.tasks.send_transcript")
    assert outcome == "succeeded"
    mails = [path.read_text() for path in mail_dir.iterdir()]
    assert len(mails) == 1
    assert "Answer after the failover" in mails[0]
    assert SentMail.objects.filter(task_id__startswith=task_id, sent_at__isnull=False).count() == 1
    counted = cluster.client(new_primary).keys("*rl:chat_transcript*")
    assert counted, "the transcript's rate limit was not counted on the new primary"
    print(f"failover took {cluster.failover_seconds:.1f} s")
