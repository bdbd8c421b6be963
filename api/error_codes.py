"""The codes the API answers with besides the services' own (`TicketErrorCode` and the other
domains' enums, passed through as they are): the wallet app acts on them (docs/api.md)."""

from enum import StrEnum

# ruff: noqa: S105 - names such as TOKEN_INVALID and SECRET_REFUSED are codes, not passwords


class ApiErrorCode(StrEnum):
    INVALID = "invalid"
    SECRET_REFUSED = "secret_refused"
    SUBMISSION_KEY_USED = "submission_key_used"
    RATE_LIMITED = "rate_limited"
    NOT_AUTHENTICATED = "not_authenticated"
    TOKEN_INVALID = "token_invalid"
    TOKEN_EXPIRED = "token_expired"
    API_DISABLED = "api_disabled"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"  # the database out of reach for a moment: 503, Retry-After
    # Django REST framework's own refusals, by their default_code.
    PARSE_ERROR = "parse_error"
    PERMISSION_DENIED = "permission_denied"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
