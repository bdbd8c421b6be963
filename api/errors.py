"""Every refusal of the API as `{"error": {"code", "message", "fields"?, "retry_after"?}}`.

The shape is the site's own JSON error (livechat/views.py chat_start); `code` is stable for the
app to act on, `message` is in the language the request asked for (Accept-Language), `fields`
maps a field (`evidence.amount` for nested ones) to its messages. A service's refusal (any
`common.errors.DeskError`) is answered here, in one place, with its own code.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler

from api.error_codes import ApiErrorCode
from common.errors import DeskError
from security.ratelimit import RateLimited

NON_FIELD = "non_field_errors"


class ApiError(exceptions.APIException):
    """A request the API refuses, with a stable code and a message for the app's user."""

    status_code = 400
    default_code = ApiErrorCode.INVALID

    def __init__(
        self,
        code: StrEnum | str,
        message: str,
        *,
        status: int = 400,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(detail=str(message), code=str(code))
        self.status_code = status
        self.error_code = str(code)
        self.fields = fields or {}


class RateLimitedError(ApiError):
    """429 with Retry-After (DRF's handler sets the header from `wait`)."""

    def __init__(self, limited: RateLimited) -> None:
        super().__init__(ApiErrorCode.RATE_LIMITED, limited.message, status=429)
        self.wait = limited.retry_after


def flatten_errors(detail: object, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error details as {"field" or "parent.field": [messages]}."""
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for name, value in detail.items():
            key = NON_FIELD if name in (NON_FIELD, "__all__") else str(name)
            fields.update(flatten_errors(value, f"{prefix}.{key}" if prefix else key))
        return fields
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or NON_FIELD: [str(item) for item in detail]}
        fields = {}
        for index, item in enumerate(detail):
            fields.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return fields
    return {prefix or NON_FIELD: [str(detail)]}


def error_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, ApiError):
        body = {"code": exc.error_code, "message": str(exc.detail)}
        if exc.fields:
            body["fields"] = exc.fields
        if isinstance(exc, RateLimitedError):
            body["retry_after"] = exc.wait
        return body
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_errors(exc.detail)
        first = next(iter(fields.values()))[0] if fields else _("The request is not valid.")
        return {"code": ApiErrorCode.INVALID, "message": first, "fields": fields}
    if isinstance(exc, exceptions.NotAuthenticated):
        return {
            "code": ApiErrorCode.NOT_AUTHENTICATED,
            "message": _("Send the access token from the wallet app: Authorization: Bearer …"),
        }
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    return {"code": code, "message": str(exc.detail)}


def api_exception_handler(exc: Exception, context: dict):
    if isinstance(exc, DeskError):
        # A service refuses what the ticket's present state does not allow (docs/api.md: 409).
        exc = ApiError(exc.code, exc.message, status=409)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's handler answers and logs it
    response.data = {"error": error_body(exc)}
    return response


def not_found(request: HttpRequest, unknown: str = "") -> JsonResponse:
    """Any other path under /api/v1/: a JSON 404, never the site's HTML page."""
    return JsonResponse(
        {
            "error": {
                "code": ApiErrorCode.NOT_FOUND,
                "message": _("There is nothing at this address."),
            }
        },
        status=404,
    )
