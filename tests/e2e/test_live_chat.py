"""Journey 3: a visitor opens live chat and waits in the queue; an agent in a second browser
accepts; both see each other's messages and typing; the visitor reloads and keeps the history;
the agent ends the chat and the visitor rates it. Messages cross the Redis channel layer."""

import re

from playwright.sync_api import expect

from tests.support.browser import DESKTOP, PHONE, agent_log_in, open_page, screenshot

TEXTS = {
    "zh-hans": {
        "first": "我的提现一直显示处理中，已经两个小时了。",
        "agent": "您好，我来帮您查一下这笔提现。",
        "visitor": "好的，谢谢！",
    },
    "en": {
        "first": "My withdrawal has been pending for two hours.",
        "agent": "Hello, let me look into that withdrawal for you.",
        "visitor": "Great, thank you!",
    },
}


def test_visitor_and_agent_chat_live_and_the_visitor_rates_the_chat(
    site, visitor, new_context, language
):
    texts = TEXTS[language]
    customer = visitor
    username = f"chat-{language}"

    # Given an agent at the chat console, in a browser of their own
    agent = open_page(new_context, site, language)
    agent_log_in(agent, username, next_url="/agent/chat/")
    expect(agent.locator("[data-agent-console]")).to_be_visible()

    # When a visitor starts a chat
    customer.goto("/chat/")
    customer.locator("[name=name]").fill("李雷" if language == "zh-hans" else "Sam")
    customer.locator("[name=email]").fill(f"chat-{language}@example.com")
    customer.locator("[name=problem_type]").select_option("topup_withdrawal")
    customer.locator("[name=message]").fill(texts["first"])
    customer.locator("form[action='/chat/start/'] button[type=submit]").click()

    # Then they wait in the queue, and the agent sees them waiting with their first message
    expect(customer).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}/$"))
    expect(customer.locator("[data-chat-status]")).to_contain_text(re.compile(r"1"))
    waiting = agent.locator("[data-queue] li", has_text=texts["first"])
    expect(waiting).to_be_visible()

    # When the agent accepts, the visitor sees who is helping them, with the agent code
    waiting.locator("[data-action=accept]").click()
    expect(customer.locator("[data-chat-status]")).to_contain_text(AGENT_CODE[language])
    pane = agent.locator("[data-panes] [data-chat]")
    expect(pane.locator("[data-chat-log]")).to_contain_text(texts["first"])

    # And each side sees the other typing, then the message
    pane.locator("textarea[name=body]").press_sequentially(texts["agent"], delay=10)
    expect(customer.locator("[data-chat-typing]")).to_be_visible()
    pane.locator("button.chat__send").click()
    expect(customer.locator("[data-chat-log]")).to_contain_text(texts["agent"])
    customer.locator("#chat-body").press_sequentially(texts["visitor"], delay=10)
    expect(pane.locator("[data-chat-typing]")).to_be_visible()
    customer.locator("button.chat__send").click()
    expect(pane.locator("[data-chat-log]")).to_contain_text(texts["visitor"])
    screenshot(customer, f"chat-{language}-desktop")
    screenshot(agent, f"agent-console-{language}-desktop", full_page=False)
    customer.set_viewport_size(PHONE)
    screenshot(customer, f"chat-{language}-phone", full_page=False)
    customer.set_viewport_size(DESKTOP)

    # When the visitor reloads, the whole conversation is still there
    customer.reload()
    log = customer.locator("[data-chat-log]")
    for text in texts.values():
        expect(log).to_contain_text(text)

    # When the agent ends the chat (after confirming), the visitor is asked for a rating
    agent.once("dialog", lambda dialog: dialog.accept())
    pane.locator("[data-action=close]").click()
    rating = customer.locator("[data-chat-rating]")
    expect(rating).to_be_visible()
    rating.locator("button[value='4']").click()
    expect(customer.locator("[data-chat-rating] button[value='4']")).to_have_class(
        re.compile("btn--primary")
    )


AGENT_CODE = {"zh-hans": "WS-2000", "en": "WS-2001"}
