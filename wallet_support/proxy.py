"""The client's address behind the TLS proxy, for the WSGI server.

Uvicorn (`--proxy-headers`) takes the client's address from X-Forwarded-For when the request
comes from an address in FORWARDED_ALLOW_IPS; gunicorn reads that variable too, but only for the
scheme (X-Forwarded-Proto), and leaves REMOTE_ADDR the proxy's. The rate limits and the logs count
visitors by REMOTE_ADDR, so behind a proxy every visitor would share one allowance. This does
what uvicorn does: from a trusted peer, the rightmost forwarded address that is not itself a
trusted proxy (with `*`, the leftmost: every hop is trusted, the proxy overwrites the header).
"""

import os


def trusted_proxies(value: str | None = None) -> frozenset[str]:
    value = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1") if value is None else value
    return frozenset(part.strip() for part in value.split(",") if part.strip())


class ForwardedClient:
    """WSGI middleware: REMOTE_ADDR from X-Forwarded-For when the peer is a trusted proxy."""

    def __init__(self, application, *, trusted: frozenset[str] | None = None) -> None:
        self.application = application
        self.trusted = trusted_proxies() if trusted is None else trusted

    def __call__(self, environ, start_response):
        forwarded = environ.get("HTTP_X_FORWARDED_FOR")
        peer = environ.get("REMOTE_ADDR", "")
        if forwarded and ("*" in self.trusted or peer in self.trusted):
            hosts = [host.strip() for host in forwarded.split(",") if host.strip()]
            client = self._client(hosts)
            if client:
                environ["REMOTE_ADDR"] = client
        return self.application(environ, start_response)

    def _client(self, hosts: list[str]) -> str | None:
        if not hosts:
            return None
        if "*" in self.trusted:
            return hosts[0]
        for host in reversed(hosts):
            if host not in self.trusted:
                return host
        return hosts[0]
