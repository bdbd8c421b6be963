"""Headers on every response: the content-security policy, the permissions policy, and no-store
on private pages."""

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import add_never_cache_headers
from django.utils.deprecation import MiddlewareMixin

from wallet_support.views import healthz

# Browser features no page of the desk uses; a script that slipped in cannot ask for them either.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


def websocket_origin(request: HttpRequest) -> str | None:
    """The ws:// or wss:// origin of the host this request came to (the chat's WebSocket)."""
    try:
        host = request.get_host()  # checked against ALLOWED_HOSTS and a strict host pattern
    except DisallowedHost:
        return None
    if host.startswith("["):  # CSP host sources cannot express an IPv6 literal
        return None
    return f"{'wss' if request.is_secure() else 'ws'}://{host}"


class SecurityHeadersMiddleware(CSPMiddleware):
    """django-csp's policy from settings.CONTENT_SECURITY_POLICY, with this host's WebSocket origin
    added to connect-src, plus a Permissions-Policy header.

    CSP3 counts same-host ws:/wss: as 'self' (Chromium since 70, Firefox, Safari since 16); the
    explicit origin keeps the chat working on older Safari without opening connect-src any wider.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origin = websocket_origin(request)
        if origin:
            update = dict(parts.update or {})
            update["connect-src"] = [*update.get("connect-src", ()), origin]
            parts.update = update
        return parts

    # The policy of a response no view changed and of a request that used no nonce depends on
    # the WebSocket origin alone: built once per origin (a third of a cached page's time).
    PER_VIEW_ATTRIBUTES = tuple(
        f"_csp_{kind}{suffix}"
        for kind in ("config", "update", "replace", "exempt")
        for suffix in ("", "_ro")
    )
    PLAIN_POLICIES_KEPT = 64

    def __init__(self, get_response) -> None:
        super().__init__(get_response)
        self._plain_policies: dict[str | None, dict[str, str]] = {}

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if self._plain(request, response):
            origin = websocket_origin(request)
            headers = self._plain_policies.get(origin)
            if headers is None:
                probe = super().process_response(request, HttpResponse())
                headers = {
                    name: probe[name] for name in (HEADER, HEADER_REPORT_ONLY) if name in probe
                }
                if len(self._plain_policies) < self.PLAIN_POLICIES_KEPT:
                    self._plain_policies[origin] = headers
            for name, value in headers.items():
                response.headers.setdefault(name, value)
            # Too late for a nonce now: asking for one raises, as django-csp makes it.
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        else:
            response = super().process_response(request, response)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    def _plain(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        if settings.DEBUG or getattr(request, "_csp_nonce", None) is not None:
            return False
        if any(hasattr(response, name) for name in self.PER_VIEW_ATTRIBUTES):
            return False
        for name in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
            if (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES"):
                return False
        return True


# Pages that show one customer's or the desk's private data: whole URL namespaces, and named
# pages elsewhere. The public ones of these namespaces (the contact form, the chat's start page,
# the API's schema and help centre) are listed as exceptions.
PRIVATE_NAMESPACES = frozenset({"admin", "api", "dashboard", "livechat", "privacy", "security"})
PRIVATE_VIEW_PREFIXES = ("tickets:",)
PUBLIC_VIEW_NAMES = frozenset(
    {
        "tickets:contact",
        "livechat:chat",
        "api:schema",
        "api:docs",
        "api:faq",
        "api:faq-search",
        "api:faq-article",
    }
)


def is_private_view(view_name: str, namespaces: list[str]) -> bool:
    """Whether a resolved view shows private data, so no cache may keep a copy of it."""
    if view_name in PUBLIC_VIEW_NAMES:
        return False
    return bool(PRIVATE_NAMESPACES.intersection(namespaces[:1])) or view_name.startswith(
        PRIVATE_VIEW_PREFIXES
    )


class PrivatePagesMiddleware(MiddlewareMixin):
    """`Cache-Control: no-store` (Django's never-cache headers) on every private page, so neither
    a shared proxy nor the browser's back button or disk cache keeps a ticket, an attachment, a
    console or a figure for the next person at the computer."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        match = getattr(request, "resolver_match", None)
        if match is not None and is_private_view(match.view_name, match.namespaces):
            add_never_cache_headers(response)
        return response


class HealthCheckMiddleware:
    """Answer /healthz before anything checks the Host header against ALLOWED_HOSTS.

    Probes name the instance, not the public site: Docker's health check asks for
    http://127.0.0.1:8000/healthz, a load balancer uses the instance's address. The answer says
    only which services are up and depends on no host, so every other path keeps the host check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info == "/healthz":
            return healthz(request)
        return self.get_response(request)
