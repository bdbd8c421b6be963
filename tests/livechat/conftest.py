"""Live-chat test helpers: conversations, sessions and communicators on the real ASGI app."""

import pytest

from tests.support.factories import make_agent


@pytest.fixture
def agent(db):
    return make_agent("transactions", console=True)
