from django.http import HttpRequest, JsonResponse
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
