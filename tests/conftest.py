"""Shared fixtures: real-service requirements, per-worker service isolation, users."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from tests.support.broadcasts import broadcast_capturer
from tests.support.factories import VALID_BTC_TXID
from tests.support.services import redis_reachable, service_unavailable, worker_redis_url
from tickets.models import Channel, ProblemType
from tickets.services import ticket_create


def pytest_collection_modifyitems(items):
    """Every transactional test must restore the migrated rows (content types, permissions) it
    flushes: one that lets the flush recreate them under new ids breaks the serialized rollback
    of every transactional test that runs after it on the same worker."""
    unserialized = [
        item.nodeid
        for item in items
        if (marker := item.get_closest_marker("django_db"))
        and marker.kwargs.get("transaction")
        and not marker.kwargs.get("serialized_rollback")
    ]
    if unserialized:
        raise pytest.UsageError(
            "add serialized_rollback=True to these transactional tests: " + ", ".join(unserialized)
        )


@pytest.fixture(scope="session")
def worker_id(request) -> str:
    """The xdist worker's id (gw0, gw1...), or "master" when the tests run in one process."""
    return getattr(request.config, "workerinput", {}).get("workerid", "master")


@pytest.fixture(scope="session", autouse=True)
def _no_sentinel_redis():
    """The tests isolate themselves in a database of REDIS_URL's server per worker; behind
    REDIS_SENTINELS they would write into the desk's own Redis (the failover test gives the
    sentinels of its own to the processes it starts)."""
    if django_settings.REDIS_SENTINELS:
        pytest.exit("unset REDIS_SENTINELS to run the tests (they use REDIS_URL)", returncode=4)


@pytest.fixture(scope="session", autouse=True)
def _celery_broker_of_this_worker(worker_id):
    """Tasks sent and queues purged by the tests go to this worker's Redis db, never to the one
    REDIS_URL names (set before the first connection, which Celery's pool then keeps)."""
    if django_settings.REDIS_URL:
        from wallet_support.celery import app as celery_app

        celery_app.conf.broker_url = worker_redis_url(django_settings.REDIS_URL, worker_id)


@pytest.fixture(autouse=True)
def _isolated_services(settings, worker_id, _celery_broker_of_this_worker):
    """Give each test worker its own Redis database, and serve static files without a manifest.
    The test client speaks plain HTTP: production's HTTPS redirect is tested on its own."""
    settings.SECURE_SSL_REDIRECT = False
    # Each page asks the cache for the state: a test changes it and looks at once.
    settings.PAGE_CACHE_STATE_MS = 0
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if django_settings.REDIS_URL:
        url = worker_redis_url(django_settings.REDIS_URL, worker_id)
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
        layer = settings.CHANNEL_LAYERS["default"]
        hosts = [{**layer["CONFIG"]["hosts"][0], "address": url}]
        settings.CHANNEL_LAYERS = {
            "default": {**layer, "CONFIG": {**layer["CONFIG"], "hosts": hosts}}
        }


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """Each test starts with no language active, as a new request does: a test whose code
    activated one on this thread (a consumer's database call runs on the main thread) must not
    make the next test read Chinese names."""
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache(_isolated_services):
    """Each test starts with an empty cache: one test's rate-limit counts (every test client
    posts from 127.0.0.1) and cached values never reach the next."""
    from django.core.cache import cache

    from common.cache import cache_outages_forget
    from common.page_cache import page_cache_forget_process
    from faq.ranking import ranking_index_forget
    from faq.selectors import search_synonyms_forget_process
    from faq.services import article_views_forget_process
    from security.ratelimit import forget_batched_counts

    cache_outages_forget()
    cache.clear()
    forget_batched_counts()
    page_cache_forget_process()
    article_views_forget_process()
    ranking_index_forget()
    search_synonyms_forget_process()


@pytest.fixture(autouse=True)
def _private_files_and_eager_tasks(settings, tmp_path, monkeypatch):
    """Uploads go to a temporary folder; Celery tasks run in the test unless a test starts a
    real worker (it sets task_always_eager back to False itself)."""
    from wallet_support.celery import app as celery_app

    settings.MEDIA_ROOT = str(tmp_path / "media")
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


@pytest.fixture
def postgres(db):
    """The test needs PostgreSQL (DATABASE_URL=postgres://...)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        service_unavailable("needs PostgreSQL: set DATABASE_URL=postgres://...")
    return connection


@pytest.fixture
def redis_url(worker_id):
    """A reachable Redis server for this worker (REDIS_URL=redis://...)."""
    url = django_settings.REDIS_URL
    if not url:
        service_unavailable("needs Redis: set REDIS_URL=redis://...")
    if not redis_reachable(url):
        service_unavailable(f"needs Redis, but nothing answers at {urlsplit(url).netloc}")
    return worker_redis_url(url, worker_id)


@pytest.fixture
def own_redis():
    """A redis-server of the test's own, which it may stop, freeze or restart (empty)."""
    from tests.support.processes import RedisProcess

    server = RedisProcess()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def capture_broadcasts(django_capture_on_commit_callbacks):
    """`with capture_broadcasts() as sent:` records each `(group, event)` the block publishes
    through common.realtime.publish once it commits, instead of sending it: `sent.events`,
    `sent.of_type("chat.message")`, `sent.to(group)` (tests/support/broadcasts.py)."""
    return broadcast_capturer(django_capture_on_commit_callbacks)


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(
        username="agent-fixture", password="a-long-test-password", is_staff=True
    )


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        username="admin-fixture", email="admin@example.com", password="a-long-test-password"
    )


@pytest.fixture
def ticket(db):
    """A customer's ticket about a Bitcoin transfer, filed on the web form."""
    return ticket_create(
        problem_type=ProblemType.ABNORMAL_TRANSACTION,
        channel=Channel.WEB,
        subject="Transfer not received",
        description="I sent 150 BTC units yesterday and they have not arrived at the exchange.",
        customer_email="li.wei@example.com",
        customer_name="Li Wei",
        transaction_hash=VALID_BTC_TXID,
        transaction_network="bitcoin",
    )


# The chain's providers (tests/support/chain.py): real protocol servers on loopback.
@pytest.fixture(scope="module")
def eth_node():
    """An Ethereum chain in this process, served over JSON-RPC on loopback."""
    import importlib.util

    from tests.support.chain import EthereumNode

    if importlib.util.find_spec("eth_tester") is None:
        service_unavailable('needs eth-tester: pip install "eth-tester[py-evm]"')

    node = EthereumNode()
    yield node
    node.close()


@pytest.fixture
def ethereum(eth_node, settings):
    """The desk's Ethereum provider is the test chain; no other network is configured."""
    settings.CHAIN_PROVIDERS = {"ethereum": eth_node.url}
    settings.CHAIN_PROVIDER_TIMEOUT_SECONDS = 2
    eth_node.requests.clear()
    return eth_node


@pytest.fixture
def recorded():
    """Recorded Esplora and TRON answers (tests/chain/data/) served on loopback."""
    from tests.support.chain import RecordedServer

    server = RecordedServer()
    yield server
    server.close()


@pytest.fixture
def silent():
    """A provider that accepts connections and never answers."""
    from tests.support.chain import SilentServer

    server = SilentServer()
    yield server
    server.close()
