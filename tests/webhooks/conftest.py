import pytest

from tests.support.factories import WEBHOOK_SECRET
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture(autouse=True)
def _receivers_on_this_machine(settings, monkeypatch):
    """The receivers are local HTTP servers: allowed here, and reached without any proxy."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOKS_REQUIRE_HTTPS = False
    settings.WEBHOOKS_TIMEOUT_SECONDS = 1
    for name in (
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1 that checks signatures with the test secret."""
    server = WebhookReceiver(WEBHOOK_SECRET).start()
    yield server
    server.close()
