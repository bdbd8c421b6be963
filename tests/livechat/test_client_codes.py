"""Every error code the chat sockets can send is handled by the browser clients: a code the
server gains and static/js/chat.js does not know would leave a message stuck at "Sending…"."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from livechat.error_codes import ChatErrorCode
from tests.support.auth import login_with_second_factor
from tests.support.factories import make_agent

ROOT = Path(__file__).resolve().parents[2]
CHAT_JS = ROOT / "static" / "js" / "chat.js"
STRINGS = ROOT / "templates" / "livechat" / "_chat_strings.html"
# The overload code the server sends with retry_after (docs/chat-protocol.md); listed here too
# until it is part of ChatErrorCode.
SERVER_CODES = {code.value for code in ChatErrorCode} | {"overloaded"}
HANDLINGS = {"refuse", "retry", "quiet"}


def handled_codes() -> dict[str, str]:
    source = CHAT_JS.read_text()
    table = re.search(r"var ERROR_HANDLING = \{(.*?)\};", source, re.DOTALL)
    assert table, "chat.js has no ERROR_HANDLING table"
    return dict(re.findall(r"(\w+):\s*\"(\w+)\"", table.group(1)))


def test_chat_js_handles_every_error_code_the_server_sends():
    handled = handled_codes()

    assert SERVER_CODES - set(handled) == set()
    assert set(handled.values()) <= HANDLINGS


def test_chat_js_retries_only_what_the_server_did_not_store():
    handled = handled_codes()

    assert {code for code, how in handled.items() if how == "retry"} == {
        "rate_limited",
        "overloaded",
        "server_error",
    }
    for code in ("agent_guard", "secret_refused", "too_long", "closed", "not_allowed"):
        assert handled[code] == "refuse"


def test_every_error_code_has_a_translated_text_for_the_page():
    strings = STRINGS.read_text()

    missing = {code for code in SERVER_CODES if f"data-t-error-{code}=" not in strings}

    assert missing == set()


@pytest.mark.django_db
def test_console_and_messenger_pages_carry_the_error_texts(settings):
    settings.LANGUAGE_CODE = "en"
    agent = Client()
    login_with_second_factor(agent, make_agent("transactions"))

    console = agent.get(reverse("livechat:agent_console")).content.decode()
    home = Client().get("/").content.decode()

    for page in (console, home):
        for code in SERVER_CODES:
            assert f"data-t-error-{code}=" in page
