"""Journey 9: the in-page messenger. A visitor starts a chat from the launcher's panel on the help
centre, an agent answers, the visitor moves to another page and the panel keeps the conversation
(resume); closed, it shows an unread badge. Chinese at a phone's width, English on a desktop."""

import re

from playwright.sync_api import expect

from tests.support.attacks import png_bytes
from tests.support.browser import (
    DESKTOP,
    PHONE,
    agent_log_in,
    axe_violations,
    describe,
    open_page,
    screenshot,
)

TEXTS = {
    "zh-hans": {
        "name": "张伟",
        "first": "我转出的USDT一直没有到账，请帮我看看。",
        "agent": "您好，我来帮您查这笔转账。",
        "later": "查到了，这笔转账已经确认。",
        "badge": "1 条新消息",
    },
    "en": {
        "name": "Jordan",
        "first": "My USDT transfer out has not arrived, can you look?",
        "agent": "Hello, let me look at that transfer for you.",
        "later": "Found it: the transfer is confirmed.",
        "badge": "1 new message",
    },
}


def test_messenger_keeps_the_conversation_across_pages_with_an_unread_badge(
    site, new_context, language
):
    texts = TEXTS[language]
    phone = language == "zh-hans"
    viewport = PHONE if phone else DESKTOP
    extra = {"is_mobile": True, "has_touch": True} if phone else {}
    customer = open_page(new_context, site, language, viewport=viewport, **extra)
    agent = open_page(new_context, site, language)
    agent_log_in(agent, f"messenger-{language}", next_url="/agent/chat/")

    # Given the help centre, when the visitor opens the launcher, the panel shows the start form
    customer.goto("/faq/")
    launcher = customer.locator("[data-messenger-launcher]")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    panel = customer.locator("#messenger")
    expect(panel).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(panel.locator("[name=messenger-name]")).to_be_focused()
    violations = axe_violations(customer)
    assert not violations, describe(violations)

    # Escape closes it and gives the focus back to the launcher
    customer.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()
    launcher.click()

    # When they start a chat from the panel (a missing field is pointed out first)
    panel.locator("[name=messenger-name]").fill(texts["name"])
    panel.locator("[name=messenger-problem_type]").select_option("abnormal_transaction")
    panel.locator("[name=messenger-message]").fill(texts["first"])
    panel.locator("[data-messenger-start] button[type=submit]").click()
    expect(panel.locator("[name=messenger-email]")).to_have_attribute("aria-invalid", "true")
    panel.locator("[name=messenger-email]").fill(f"messenger-{language}@example.com")
    panel.locator("[data-messenger-start] button[type=submit]").click()

    # Then the conversation opens in the panel, and the agent answers
    log = panel.locator("[data-chat-log]")
    expect(log).to_contain_text(texts["first"])
    agent.locator("[data-queue] li", has_text=texts["first"]).locator(
        "[data-action=accept]"
    ).click()
    pane = agent.locator("[data-panes] [data-chat]:visible")
    pane.locator("textarea[name=body]").fill(texts["agent"])
    pane.locator("button.chat__send").click()
    expect(log).to_contain_text(texts["agent"])
    expect(panel.locator("[data-messenger-status]")).to_contain_text(
        "WS-2006" if language == "zh-hans" else "WS-2007"
    )

    # And the visitor sends a screenshot, which the agent receives as a download link
    panel.locator("[data-messenger-file]").set_input_files(
        {"name": "screen.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    expect(log.locator("a.chat__file")).to_have_text("screen.png")
    expect(pane.locator("a.chat__file")).to_have_text("screen.png")
    screenshot(customer, f"messenger-{language}-{'phone' if phone else 'desktop'}", full_page=False)
    if phone:
        overflow = customer.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
    violations = axe_violations(customer)
    assert not violations, describe(violations)

    # When the visitor goes to another page, the panel is still open with the whole conversation
    customer.goto("/")
    panel = customer.locator("#messenger")
    expect(panel).to_be_visible()
    log = panel.locator("[data-chat-log]")
    expect(log).to_contain_text(texts["first"])
    expect(log).to_contain_text(texts["agent"])

    # When they close it and the agent writes again, the launcher shows an unread badge
    panel.locator("[data-messenger-close]").click()
    expect(panel).to_be_hidden()
    pane.locator("textarea[name=body]").fill(texts["later"])
    pane.locator("button.chat__send").click()
    badge = customer.locator("[data-messenger-badge]")
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("1")
    expect(customer.locator("[data-messenger-launcher]")).to_contain_text(texts["badge"])

    # And the badge survives a page load, then clears once the panel is opened
    customer.goto("/faq/")
    expect(customer.locator("[data-messenger-badge]")).to_be_visible()
    customer.locator("[data-messenger-launcher]").click()
    panel = customer.locator("#messenger")
    expect(panel.locator("[data-chat-log]")).to_contain_text(texts["later"])
    expect(customer.locator("[data-messenger-badge]")).to_be_hidden()
    expect(panel.locator("#messenger-body")).to_be_focused()
    assert re.search(r"/faq/$", customer.url)
