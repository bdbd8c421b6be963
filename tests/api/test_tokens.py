"""The wallet backend's tokens: only a fresh, signed, well-formed token for us names a user."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from api.tokens import AUDIENCE, AppUser, TokenRefused, app_token_verify
from tests.support.api import ACCOUNT_ID, EMAIL, expired_token, issue


def signed(claims: dict, secret: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def claims(**overrides) -> dict:
    now = int(datetime.now(tz=UTC).timestamp())
    return {"sub": ACCOUNT_ID, "email": EMAIL, "aud": AUDIENCE, "iat": now, "exp": now + 600} | (
        overrides
    )


def refusal_code(token: str) -> str:
    with pytest.raises(TokenRefused) as refused:
        app_token_verify(token)
    return refused.value.code


def test_valid_token_names_the_wallet_account_and_email(api_secret):
    user = app_token_verify(issue())

    assert user == AppUser(wallet_account_id=ACCOUNT_ID, email=EMAIL)
    assert user.is_authenticated
    assert ACCOUNT_ID not in user.rate_limit_key  # counted under a digest, not the raw ID


def test_expired_token_is_refused_as_expired(api_secret):
    assert refusal_code(expired_token()) == "token_expired"


def test_token_signed_with_another_secret_is_refused(api_secret):
    assert refusal_code(issue(secret="x" * 40)) == "token_invalid"


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "another-service"},
        {"sub": "has spaces in it"},
        {"sub": ""},
        {"email": "not-an-email"},
        {"email": ["li.wei@example.com"]},
        {"sub": 10023},
    ],
    ids=["wrong-audience", "bad-sub", "empty-sub", "bad-email", "email-list", "sub-number"],
)
def test_token_with_wrong_claims_is_refused(api_secret, overrides):
    assert refusal_code(signed(claims(**overrides), api_secret)) == "token_invalid"


@pytest.mark.parametrize("missing", ["sub", "email", "iat", "exp", "aud"])
def test_token_missing_a_claim_is_refused(api_secret, missing):
    token_claims = claims()
    del token_claims[missing]

    assert refusal_code(signed(token_claims, api_secret)) == "token_invalid"


def test_token_living_longer_than_an_hour_is_refused(api_secret):
    assert refusal_code(issue(lifetime=timedelta(hours=2))) == "token_invalid"


def test_unsigned_or_other_algorithm_token_is_refused(api_secret):
    unsigned = jwt.encode(claims(), key=None, algorithm="none")
    hs512 = signed(claims(), api_secret * 2, algorithm="HS512")

    assert refusal_code(unsigned) == "token_invalid"
    assert refusal_code(hs512) == "token_invalid"


def test_token_issued_in_the_future_is_refused(api_secret):
    later = datetime.now(tz=UTC) + timedelta(minutes=10)

    assert refusal_code(issue(now=later)) == "token_invalid"


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "x" * 5000])
def test_garbage_is_refused(api_secret, garbage):
    assert refusal_code(garbage) == "token_invalid"


def test_previous_secret_still_works_during_a_rotation(settings, api_secret):
    old_token = issue()
    settings.API_TOKEN_SECRET, settings.API_TOKEN_SECRET_PREVIOUS = "n" * 40, api_secret

    assert app_token_verify(old_token).wallet_account_id == ACCOUNT_ID
    assert app_token_verify(issue()).wallet_account_id == ACCOUNT_ID  # the new secret

    settings.API_TOKEN_SECRET_PREVIOUS = ""  # rotation finished
    assert refusal_code(old_token) == "token_invalid"
