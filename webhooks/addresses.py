"""Where a subscription may point: never into the desk's own network (SSRF).

A receiver's URL is checked when it is saved (scheme, host, every address its name resolves to)
and again at every delivery, on the address the socket then connects to: a name that resolved
to a public address when saved and to 127.0.0.1 now (DNS rebinding) is refused at connect time.
WEBHOOKS_ALLOW_PRIVATE_TARGETS lifts the address rule (tests, a receiver on the private network);
WEBHOOKS_REQUIRE_HTTPS (on unless DEBUG) refuses plain http.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from common.outbound import connect_first
from webhooks.signing import TargetRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_refusal(address: IPAddress) -> str:
    """Why the desk must not connect to `address` ("" when it is a public address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv6Address):
        # 6to4 (2002::/16) and Teredo carry an IPv4 address that a host with such a tunnel
        # reaches: 2002:7f00:1:: is 127.0.0.1, which Python's is_global lets through.
        if address.sixtofour is not None:
            return address_refusal(address.sixtofour)
        if address.teredo is not None:
            return address_refusal(address.teredo[1]) or address_refusal(address.teredo[0])
        if address.is_site_local:
            return "private"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "reserved"
    if address.is_private or not address.is_global:
        return "private"
    return ""


def _resolved(host: str, port: int) -> list[tuple[int, int, int, tuple]]:
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"{host} does not resolve") from exc


def _checked(host: str, port: int) -> list[tuple[int, int, int, tuple]]:
    """The resolved addresses of host, each one vetted (unless private targets are allowed)."""
    infos = _resolved(host, port)
    if not settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        for *_rest, sockaddr in infos:
            refusal = address_refusal(ipaddress.ip_address(sockaddr[0].split("%")[0]))
            if refusal:
                raise TargetRefused(f"{host} resolves to a {refusal} address")
    return infos


def guarded_connect(
    address: tuple[str, int],
    timeout: float | None = None,
    source_address: tuple[str, int] | None = None,
) -> socket.socket:
    """socket.create_connection, on vetted addresses only (webhooks.signing.post_signed)."""
    host, port = address
    infos = _checked(host, port)
    if not infos:
        raise TargetRefused(f"{host} has no address")
    return connect_first(infos, timeout=timeout, source_address=source_address)


def url_problem(url: str, *, resolve: bool = True) -> str:
    """Why a subscription may not use this URL, as a code the admin's form words in the
    reader's language (webhooks.forms.URL_PROBLEMS); "" when it may."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname:
        return "scheme"
    if scheme != "https" and settings.WEBHOOKS_REQUIRE_HTTPS:
        return "https"
    if parts.username or parts.password:
        return "credentials"
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return "scheme"
    if not resolve:
        return ""
    try:
        _checked(parts.hostname, port)
    except TargetRefused as exc:
        return "unresolved" if "does not resolve" in str(exc) else "private"
    return ""
