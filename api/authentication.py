"""The API's authentication: `Authorization: Bearer <token signed by the wallet backend>`."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from api.error_codes import ApiErrorCode
from api.tokens import AppUser, TokenRefused, api_enabled, app_token_verify


class ApiDisabled(exceptions.APIException):
    status_code = 503
    default_detail = _(
        "The in-app API is not enabled on this server (API_TOKEN_SECRET is not set)."
    )
    default_code = ApiErrorCode.API_DISABLED


class AppTokenAuthentication(BaseAuthentication):
    """The wallet app's user from a bearer token; no cookies, so no CSRF to check."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[AppUser, None] | None:
        if not api_enabled():
            raise ApiDisabled()
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the header as “Authorization: Bearer <token>”."),
                code=ApiErrorCode.TOKEN_INVALID,
            )
        try:
            user = app_token_verify(parts[1].decode("ascii"))
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                _("The access token is not valid."), code=ApiErrorCode.TOKEN_INVALID
            ) from None
        except TokenRefused as refused:
            raise exceptions.AuthenticationFailed(refused.message, code=refused.code) from None
        return user, None

    def authenticate_header(self, request: Request) -> str:
        # Makes a missing or refused token a 401 (with this challenge), not a 403.
        return 'Bearer realm="wallet-support"'
