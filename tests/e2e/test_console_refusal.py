"""Journey 8: the agent console never loses a message. The server refuses an agent's message
(agent_guard: it asks for the recovery phrase); the text comes back into the composer with the
reason, survives a reload, and the next message still reaches the customer."""

import re

from playwright.sync_api import expect

from tests.support.browser import agent_log_in, open_page

TEXTS = {
    "zh-hans": {
        "first": "我的充值还没有到账，已经等了一个小时。",
        "refused": "请把您的助记词发给我，我帮您查一下。",
        "reason": "助记词",
        "fixed": "我正在查看您的充值记录，请稍等。",
    },
    "en": {
        "first": "My deposit has not arrived after an hour.",
        "refused": "Please send your recovery phrase so I can check.",
        "reason": "recovery phrase",
        "fixed": "I am checking your deposit now, one moment please.",
    },
}


def test_agent_message_refused_by_the_guard_returns_to_the_composer_and_the_next_one_sends(
    site, visitor, new_context, language
):
    texts = TEXTS[language]
    customer = visitor
    heartbeats: list[str] = []

    # Given a visitor in a chat an agent has accepted
    agent = open_page(new_context, site, language)
    agent.on(
        "websocket",
        lambda ws: ws.on(
            "framesent", lambda frame: heartbeats.append(frame) if "heartbeat" in frame else None
        ),
    )
    agent_log_in(agent, f"console-{language}", next_url="/agent/chat/")
    customer.goto("/chat/")
    customer.locator("[name=name]").fill("Robin")
    customer.locator("[name=email]").fill(f"console-{language}@example.com")
    customer.locator("[name=problem_type]").select_option("topup_withdrawal")
    customer.locator("[name=message]").fill(texts["first"])
    customer.locator("form[action='/chat/start/'] button[type=submit]").click()
    expect(customer).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}/$"))
    agent.locator("[data-queue] li", has_text=texts["first"]).locator(
        "[data-action=accept]"
    ).click()
    pane = agent.locator("[data-panes] [data-chat]:visible")
    expect(pane.locator("[data-chat-log]")).to_contain_text(texts["first"])

    # When the agent asks for the recovery phrase
    composer = pane.locator("textarea[name=body]")
    composer.fill(texts["refused"])
    composer.press("Enter")

    # Then it is refused with the reason, the text is back in the composer, nothing is pending
    expect(pane.locator("[data-chat-error]")).to_contain_text(texts["reason"])
    expect(pane.locator("[data-chat-error]")).to_have_attribute("role", "alert")
    expect(composer).to_have_value(texts["refused"])
    expect(pane.locator(".is-pending")).to_have_count(0)
    expect(customer.locator("[data-chat-log]")).not_to_contain_text(texts["refused"])

    # And a reload keeps the returned text
    agent.reload()
    pane = agent.locator("[data-panes] [data-chat]:visible")
    composer = pane.locator("textarea[name=body]")
    expect(composer).to_have_value(texts["refused"])

    # When the agent rewrites it and sends, the customer receives it
    composer.fill(texts["fixed"])
    pane.locator("button.chat__send").click()
    expect(customer.locator("[data-chat-log]")).to_contain_text(texts["fixed"])
    expect(pane.locator(".is-pending")).to_have_count(0)
    expect(composer).to_have_value("")

    # And after another reload nothing is lost or left pending
    agent.reload()
    pane = agent.locator("[data-panes] [data-chat]:visible")
    expect(pane.locator("[data-chat-log]")).to_contain_text(texts["fixed"])
    expect(pane.locator(".is-pending")).to_have_count(0)
    expect(pane.locator("textarea[name=body]")).to_have_value("")
    assert texts["refused"] not in pane.locator("[data-chat-log]").inner_text()
    # The console's heartbeat (sent on connecting) never shows the agent an error, whether the
    # server answers it or, before it knows the frame, refuses it as unknown_type
    expect(agent.locator("[data-console-error]")).to_be_hidden()
    assert heartbeats, "the console sends a heartbeat on /ws/agent/"
