"""drf-spectacular's description of the token scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AppTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.AppTokenAuthentication"
    name = "walletToken"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "A JWT (HS256) signed by the wallet backend with the shared API_TOKEN_SECRET: "
                'claims sub (wallet account ID), email, iat, exp and aud "wallet-support", '
                "valid for at most an hour. See docs/api.md."
            ),
        }
