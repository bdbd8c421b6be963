"""In-app API helpers: a shared secret, tokens as the wallet backend issues them, clients."""

import secrets

import pytest
from rest_framework.test import APIClient

from tests.support.api import client_with, issue


@pytest.fixture
def api_secret(settings) -> str:
    settings.API_TOKEN_SECRET = secrets.token_urlsafe(32)
    settings.API_TOKEN_SECRET_PREVIOUS = ""
    return settings.API_TOKEN_SECRET


@pytest.fixture
def token(api_secret) -> str:
    return issue()


@pytest.fixture
def api(db, token) -> APIClient:
    """The wallet app, signed in as Li Wei (WA-10023)."""
    return client_with(token)
