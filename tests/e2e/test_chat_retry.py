"""Journey 10: overload is honest. A visitor sends faster than the socket allows; the messages
the server refuses with rate_limited are sent again after retry_after with the same client_id,
so every one arrives exactly once and none stays "Sending…"."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import agent_log_in, open_page

COUNT = 14  # over the socket's 10 messages in 5 seconds (livechat/limits.py)


@pytest.mark.parametrize("language", ["en"])
def test_messages_refused_as_too_fast_are_resent_and_stored_once(
    site, visitor, new_context, language
):
    page = visitor
    # Live chat is offered only while an agent's console is connected.
    console = open_page(new_context, site, language)
    agent_log_in(console, f"retry-{language}", next_url="/agent/chat/")
    expect(console.locator("[data-agent-console]")).to_be_visible()
    received: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: received.append(frame)))
    page.goto("/chat/")
    page.locator("[name=name]").fill("Quinn")
    page.locator("[name=email]").fill("retry@example.com")
    page.locator("[name=problem_type]").select_option("other")
    page.locator("[name=message]").fill("I have a few quick questions about my account.")
    page.locator("form[action='/chat/start/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}/$"))
    expect(page.locator("[data-chat-connection]")).to_be_hidden()

    # Typed and sent with Enter in one burst inside the page: one round trip of the test driver
    # per message would spread them over more than the limit's window on a loaded machine.
    page.locator("#chat-body").evaluate(
        """(composer, count) => {
            for (let number = 1; number <= count; number++) {
                composer.value = `Quick question number ${number}`;
                composer.dispatchEvent(new Event("input", {bubbles: true}));
                composer.dispatchEvent(
                    new KeyboardEvent("keydown", {key: "Enter", bubbles: true, cancelable: true})
                );
            }
        }""",
        COUNT,
    )

    stored = page.locator("[data-chat-log] li[data-id]", has_text="Quick question number")
    expect(stored).to_have_count(COUNT, timeout=30_000)
    expect(page.locator("[data-chat-log] .is-pending")).to_have_count(0)
    # The server did refuse some as too fast, and told the client when to try again
    assert any('"rate_limited"' in str(frame) and "retry_after" in str(frame) for frame in received)
    texts = stored.all_inner_texts()
    for number in range(1, COUNT + 1):
        assert sum(f"Quick question number {number}\n" in text + "\n" for text in texts) == 1
    assert site.django(
        "from tickets.models import Message; print(Message.objects.filter("
        "body__startswith='Quick question number').count())"
    ) == str(COUNT)
