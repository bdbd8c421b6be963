"""The wallet app's identity: a short-lived token the wallet backend signs (docs/api.md).

The wallet backend has already authenticated its user, so it signs a compact JWT (HS256, shared
secret `API_TOKEN_SECRET`) naming the wallet account and its verified email. We verify it with
PyJWT: the algorithm is pinned (no `none`, no public-key confusion), the claims `sub`, `email`,
`iat`, `exp` and `aud` are required, and a token may live at most MAX_TOKEN_LIFETIME. During a
rotation `API_TOKEN_SECRET_PREVIOUS` is accepted as well.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from api.error_codes import ApiErrorCode
from tickets.validators import validate_wallet_account_id

ALGORITHM = "HS256"
AUDIENCE = "wallet-support"
MAX_TOKEN_LIFETIME = timedelta(hours=1)
DEFAULT_TOKEN_LIFETIME = timedelta(minutes=15)
# Clock drift allowed between the wallet backend and us.
LEEWAY = timedelta(seconds=30)
# A JWT of the claims above is about 300 bytes; anything far larger is not one of ours.
MAX_TOKEN_LENGTH = 2048
REQUIRED_CLAIMS = ["sub", "email", "iat", "exp", "aud"]


@dataclass(frozen=True)
class AppUser:
    """The wallet app's user, as the wallet backend vouches for them: not a Django user."""

    wallet_account_id: str
    email: str

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False

    @property
    def rate_limit_key(self) -> str:
        """What rate limits count this user by (in place of a web session)."""
        digest = hashlib.sha256(self.wallet_account_id.encode()).hexdigest()[:32]
        return f"app:{digest}"

    def __str__(self) -> str:
        return f"app user {self.wallet_account_id}"


class TokenRefused(Exception):
    """A token that does not prove who the app's user is, with a stable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def api_enabled() -> bool:
    return bool(settings.API_TOKEN_SECRET)


def _secrets() -> list[str]:
    return [
        secret
        for secret in (settings.API_TOKEN_SECRET, settings.API_TOKEN_SECRET_PREVIOUS)
        if secret
    ]


def app_token_issue(
    *,
    wallet_account_id: str,
    email: str,
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    now: datetime | None = None,
    secret: str | None = None,
) -> str:
    """A token as the wallet backend issues it (the reference for docs/api.md and the tests)."""
    issued = now or datetime.now(tz=UTC)
    claims = {
        "sub": wallet_account_id,
        "email": email,
        "aud": AUDIENCE,
        "iat": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
    }
    return jwt.encode(claims, secret or settings.API_TOKEN_SECRET, algorithm=ALGORITHM)


def app_token_verify(token: str) -> AppUser:
    """The app user a token names; TokenRefused when it is forged, expired or malformed."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenRefused(ApiErrorCode.TOKEN_INVALID, _("The access token is not valid."))
    claims = None
    for secret in _secrets():
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                leeway=LEEWAY,
                options={"require": REQUIRED_CLAIMS},
            )
            break
        except jwt.InvalidSignatureError:
            continue  # perhaps signed with the other secret
        except jwt.ExpiredSignatureError:
            # PyJWT checks the signature first: this token is ours, but too old.
            raise TokenRefused(
                ApiErrorCode.TOKEN_EXPIRED,
                _("The access token has expired. Get a new one from the app."),
            ) from None
        except jwt.InvalidTokenError:
            raise TokenRefused(
                ApiErrorCode.TOKEN_INVALID, _("The access token is not valid.")
            ) from None
    if claims is None:
        raise TokenRefused(ApiErrorCode.TOKEN_INVALID, _("The access token is not valid."))
    return _app_user(claims)


def _app_user(claims: dict) -> AppUser:
    subject, email = claims.get("sub"), claims.get("email")
    issued, expires = claims.get("iat"), claims.get("exp")
    refused = TokenRefused(ApiErrorCode.TOKEN_INVALID, _("The access token is not valid."))
    if not isinstance(subject, str) or not isinstance(email, str) or len(email) > 254:
        raise refused
    if not isinstance(issued, int | float) or not isinstance(expires, int | float):
        raise refused
    if expires - issued > MAX_TOKEN_LIFETIME.total_seconds():
        raise refused
    try:
        validate_email(email)
        wallet_account_id = validate_wallet_account_id(subject)
    except ValidationError:
        raise refused from None
    if not wallet_account_id:
        raise refused
    return AppUser(wallet_account_id=wallet_account_id, email=email)
