"""The pages server's client address behind the TLS proxy (wallet_support/proxy.py), as
uvicorn's --proxy-headers gives it to the sockets server."""

from wallet_support.proxy import ForwardedClient, trusted_proxies


def client_of(trusted: str, peer: str, forwarded: str | None) -> str:
    seen = {}

    def application(environ, start_response):
        seen["address"] = environ["REMOTE_ADDR"]
        return []

    environ = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    ForwardedClient(application, trusted=trusted_proxies(trusted))(environ, None)
    return seen["address"]


def test_a_trusted_proxy_names_the_client():
    assert client_of("127.0.0.1", "127.0.0.1", "203.0.113.7") == "203.0.113.7"
    assert client_of("*", "172.18.0.1", "203.0.113.7") == "203.0.113.7"


def test_an_untrusted_peer_cannot_choose_its_address():
    assert client_of("127.0.0.1", "198.51.100.9", "203.0.113.7") == "198.51.100.9"


def test_a_forged_first_hop_behind_a_trusted_proxy_is_not_believed():
    # The client sent "10.0.0.1" itself; the proxy appended the address it saw.
    assert client_of("127.0.0.1", "127.0.0.1", "10.0.0.1, 203.0.113.7") == "203.0.113.7"


def test_an_empty_or_missing_header_keeps_the_peer():
    assert client_of("*", "127.0.0.1", None) == "127.0.0.1"
    assert client_of("*", "127.0.0.1", " , ") == "127.0.0.1"
