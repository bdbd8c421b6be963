"""The chat sockets' origin check, exact about scheme, host and port.

Channels' `AllowedHostsOriginValidator` compares an Origin's host name with `ALLOWED_HOSTS` and
ignores its scheme and port, so a page served by anything else on the desk's host (another
port, plain HTTP beside HTTPS) could open a customer's or an agent's socket with their cookie.
Here an Origin is accepted only when it is exactly one of:

* the origin of the handshake itself: its scheme (wss or, behind a TLS proxy that Django
  trusts through SECURE_PROXY_SSL_HEADER, https), and the host and port of its Host header,
  which must be one of ALLOWED_HOSTS;
* the origin of SUPPORT_SITE_URL, the desk's public address;
* an entry of CSRF_TRUSTED_ORIGINS (whole origins; wildcards are not taken here).

No Origin (or "null", or more than one) is refused: browsers always send one.
"""

from urllib.parse import urlsplit

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def normal_origin(value: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin such as "https://support.example:8443"; None unless it
    is one: a scheme of the web, a host, no path, query, user or password."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def _header(scope: dict, name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in scope.get("headers", []) if key == name]


def _handshake_secure(scope: dict) -> bool:
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header:
        name, expected = proxy_header
        header = name.removeprefix("HTTP_").lower().replace("_", "-").encode()
        values = _header(scope, header)
        return bool(values) and values[0].split(",")[0].strip() == expected
    return False


def handshake_origin(scope: dict) -> tuple[str, str, int] | None:
    """The origin a page of this very host and port has, when the Host is one of ours."""
    hosts = _header(scope, b"host")
    if len(hosts) != 1:
        return None
    domain, _port = split_domain_port(hosts[0])
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    if not domain or not validate_host(domain, allowed):
        return None
    scheme = "https" if _handshake_secure(scope) else "http"
    return normal_origin(f"{scheme}://{hosts[0]}")


def allowed_origins(scope: dict) -> set[tuple[str, str, int]]:
    listed = [settings.SUPPORT_SITE_URL, *settings.CSRF_TRUSTED_ORIGINS]
    origins = {origin for value in listed if (origin := normal_origin(value))}
    if own := handshake_origin(scope):
        origins.add(own)
    return origins


def origin_allowed(scope: dict) -> bool:
    origins = _header(scope, b"origin")
    if len(origins) != 1:
        return False
    origin = normal_origin(origins[0])
    return origin is not None and origin in allowed_origins(scope)


class ExactOriginValidator(OriginValidator):
    """Channels' origin validator with the exact rule above, in front of every socket."""

    def __init__(self, application) -> None:
        super().__init__(application, allowed_origins=[])

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("ExactOriginValidator is for WebSocket connections only")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
