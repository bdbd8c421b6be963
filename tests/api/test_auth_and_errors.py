"""Who may call the API, and how it refuses: JSON with a stable code, in the user's language."""

import jwt
import pytest
from django.urls import reverse

from api.tokens import app_token_issue
from tests.support.api import client_with, expired_token, issue
from tests.support.auth import login_with_second_factor

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


def error_of(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


def test_no_token_is_401_with_a_bearer_challenge(api_secret):
    response = client_with(None).get(TICKETS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (expired_token, "token_expired"),
        (lambda: issue(secret="forged-" * 8), "token_invalid"),
        (lambda: "not.a.token", "token_invalid"),
    ],
    ids=["expired", "forged", "garbage"],
)
def test_refused_token_is_401_with_its_code(api_secret, make_token, code):
    response = client_with(make_token()).get(TICKETS)

    assert response.status_code == 401
    assert error_of(response)["code"] == code


def test_token_for_another_audience_is_401(api_secret):
    token = app_token_issue(wallet_account_id="WA-1", email="a@example.com")
    claims = jwt.decode(token, api_secret, algorithms=["HS256"], audience="wallet-support")
    other = jwt.encode({**claims, "aud": "wallet-payments"}, api_secret, algorithm="HS256")

    response = client_with(other).get(TICKETS)

    assert response.status_code == 401
    assert error_of(response)["code"] == "token_invalid"


def test_malformed_authorization_header_is_401(api_secret):
    client = client_with(None)
    client.credentials(HTTP_AUTHORIZATION="Bearer two parts")

    response = client.get(TICKETS)

    assert response.status_code == 401
    assert error_of(response)["code"] == "token_invalid"


def test_api_without_a_secret_is_503_everywhere_but_its_description(settings, client):
    settings.API_TOKEN_SECRET = ""

    for path in (TICKETS, "/api/v1/faq/", "/api/v1/chats/"):
        response = client_with(None).get(path)
        assert response.status_code == 503, path
        assert error_of(response)["code"] == "api_disabled"
    assert client.get(reverse("api:schema")).status_code == 200


def test_errors_come_in_the_requested_language(api):
    english = api.post(TICKETS, {}, format="json")
    chinese = api.post(TICKETS, {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.status_code == chinese.status_code == 400
    assert error_of(english)["fields"]["subject"] == ["This field is required."]
    assert error_of(chinese)["fields"]["subject"] == ["该字段是必填项。"]
    assert error_of(chinese)["code"] == error_of(english)["code"] == "invalid"


def test_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_wrong_method_and_media_type_are_json_errors(api):
    wrong_method = api.delete(TICKETS)
    form_post = api.post(TICKETS, "subject=x", content_type="application/x-www-form-urlencoded")
    bad_json = api.post(TICKETS, "{not json", content_type="application/json")

    assert (wrong_method.status_code, error_of(wrong_method)["code"]) == (405, "method_not_allowed")
    assert (form_post.status_code, error_of(form_post)["code"]) == (415, "unsupported_media_type")
    assert (bad_json.status_code, error_of(bad_json)["code"]) == (400, "parse_error")


def test_session_cookie_alone_opens_nothing(client, api_secret, superuser):
    login_with_second_factor(client, superuser)

    assert client.get(TICKETS).status_code == 401
