import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wallet_support.health import run_checks


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Each service ok or failing; 503 when any fails, for load balancers and orchestrators."""
    results = run_checks()
    healthy = all(result.ok for result in results.values())
    body = {
        "status": "ok" if healthy else "failing",
        "checks": {
            name: {"ok": result.ok, "detail": result.detail} for name, result in results.items()
        },
    }
    return JsonResponse(body, status=200 if healthy else 503)


# Seconds a client is asked to wait before trying again while the database is out of reach.
DATABASE_RETRY_AFTER = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler, except while the database is out of reach (restarting, failing
    over): then 503 with Retry-After and a page saying that nothing was half-saved and to try
    again, as JSON under the API. The page needs no database, like the 500 page."""
    error = sys.exc_info()[1]
    if not isinstance(error, (OperationalError, InterfaceError)):
        return defaults.server_error(request)
    if request.path.startswith("/api/"):
        from api.error_codes import ApiErrorCode

        response = JsonResponse(
            {
                "error": {
                    "code": ApiErrorCode.UNAVAILABLE,
                    "message": _(
                        "The service is briefly unavailable and nothing was saved. "
                        "Please try again in a minute."
                    ),
                }
            },
            status=503,
        )
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response
