"""The sockets' origin check is exact about scheme, host and port (security.socket_origin): a
page on the desk's own host but another port, or over plain HTTP beside HTTPS, cannot open a
customer's or an agent's socket with their cookie."""

import pytest

from security.socket_origin import normal_origin, origin_allowed
from tests.support.chat import Communicator, run, visitor_cookie
from tests.support.factories import make_conversation


def scope(origin: str | None, host: str | None = "testserver", scheme: str = "ws", **headers):
    pairs = []
    if host is not None:
        pairs.append((b"host", host.encode()))
    if origin is not None:
        pairs.append((b"origin", origin.encode()))
    pairs += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": pairs}


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        pytest.param("http://testserver", "testserver", "ws", id="same"),
        pytest.param("http://testserver:80", "testserver", "ws", id="default-port-written"),
        pytest.param("https://testserver", "testserver", "wss", id="secure"),
        pytest.param("http://testserver:8000", "testserver:8000", "ws", id="own-port"),
        pytest.param("HTTP://TestServer", "testserver", "ws", id="case"),
    ],
)
def test_the_pages_own_origin_is_accepted(origin, host, scheme):
    assert origin_allowed(scope(origin, host, scheme))


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        pytest.param("http://testserver:8080", "testserver", "ws", id="other-port"),
        pytest.param("http://testserver:8080", "testserver:8000", "ws", id="other-port-of-two"),
        pytest.param("http://testserver", "testserver", "wss", id="http-page-on-https-socket"),
        pytest.param("https://testserver", "testserver", "ws", id="https-page-on-http-socket"),
        pytest.param("http://testserver.evil.example", "testserver", "ws", id="suffix"),
        pytest.param("http://evil.example", "evil.example", "ws", id="host-not-allowed"),
        pytest.param("http://testserver/path", "testserver", "ws", id="with-path"),
        pytest.param("http://user@testserver", "testserver", "ws", id="with-user"),
        pytest.param("null", "testserver", "ws", id="null"),
        pytest.param("file://testserver", "testserver", "ws", id="file"),
        pytest.param("http://testserver\u200b", "testserver", "ws", id="invisible-character"),
        pytest.param(None, "testserver", "ws", id="no-origin"),
        pytest.param("http://testserver", None, "ws", id="no-host"),
    ],
)
def test_any_other_origin_is_refused(origin, host, scheme):
    assert not origin_allowed(scope(origin, host, scheme))


def test_two_origin_headers_are_refused():
    given = scope("http://testserver")
    given["headers"].append((b"origin", b"http://evil.example"))

    assert not origin_allowed(given)


def test_behind_a_tls_proxy_the_forwarded_scheme_counts_only_when_django_trusts_it(settings):
    proxied = scope("https://testserver", x_forwarded_proto="https")
    assert not origin_allowed(proxied)

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert origin_allowed(proxied)
    assert not origin_allowed(scope("http://testserver", x_forwarded_proto="https"))


def test_the_public_address_and_trusted_origins_are_accepted_exactly(settings):
    settings.SUPPORT_SITE_URL = "https://support.wallet.example"
    settings.CSRF_TRUSTED_ORIGINS = ["https://help.wallet.example:8443"]

    assert origin_allowed(scope("https://support.wallet.example", host="internal"))
    assert origin_allowed(scope("https://help.wallet.example:8443", host="internal"))
    assert not origin_allowed(scope("https://help.wallet.example", host="internal"))
    assert not origin_allowed(scope("http://support.wallet.example", host="internal"))


def test_normal_origin_fills_in_the_default_port():
    assert normal_origin("https://Example.COM") == ("https", "example.com", 443)
    assert normal_origin("http://[::1]:8000") == ("http", "::1", 8000)
    assert normal_origin("http://example.com:99999") is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_page_on_another_port_cannot_open_a_customers_chat_socket():
    from wallet_support.asgi import application

    conversation = make_conversation("visitor-1")
    cookie = visitor_cookie("visitor-1")
    path = f"/ws/chat/{conversation.public_id}/"

    async def scenario():
        for origin, expected in [(b"http://testserver:8080", False), (b"http://testserver", True)]:
            headers = [(b"host", b"testserver"), (b"origin", origin), (b"cookie", cookie)]
            socket = Communicator(application, path, headers=headers)
            connected, _ = await socket.connect()
            assert connected is expected, origin
            if connected:
                await socket.disconnect()

    run(scenario)
