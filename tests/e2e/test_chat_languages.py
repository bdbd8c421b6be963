"""Journey 12: a customer and an agent of different languages. The customer reads the chat's own
lines and the agent's canned reply in their language, with their name and ticket reference filled
in; the agent reads the chat's lines in theirs."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import agent_log_in, open_page

CUSTOMER_NAME = {"en": "Sam", "zh-hans": "李雷"}
JOINED = {"en": "joined the chat.", "zh-hans": "已加入聊天。"}
ENDED = {"en": "The chat has ended.", "zh-hans": "聊天已结束。"}
GREETING = {
    "en": "Hello Sam, thank you for waiting. I am looking at ticket WS-",
    "zh-hans": "李雷您好，感谢您耐心等待。我正在查看工单 WS-",
}
OTHER = {"en": "zh-hans", "zh-hans": "en"}


# `language` is the agent's; the customer speaks the other.
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_each_side_reads_the_chat_in_their_own_language(site, new_context, language):
    agent_language, customer_language = language, OTHER[language]
    agent = open_page(new_context, site, agent_language)
    agent_log_in(agent, f"languages-{agent_language}", next_url="/agent/chat/")
    expect(agent.locator("[data-agent-console]")).to_be_visible()

    customer = open_page(new_context, site, customer_language)
    customer.goto("/chat/")
    customer.locator("[name=name]").fill(CUSTOMER_NAME[customer_language])
    customer.locator("[name=email]").fill(f"languages-{customer_language}@example.com")
    customer.locator("[name=problem_type]").select_option("topup_withdrawal")
    customer.locator("[name=message]").fill("Withdrawal pending / 提现处理中")
    customer.locator("form[action='/chat/start/'] button[type=submit]").click()
    expect(customer).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}/$"))

    agent.locator("[data-queue] li", has_text="Withdrawal pending").locator(
        "[data-action=accept]"
    ).click()
    pane = agent.locator("[data-panes] [data-chat]")

    # The chat's own line: in the customer's language for them, in the agent's for the agent
    expect(customer.locator("[data-chat-log]")).to_contain_text(JOINED[customer_language])
    expect(customer.locator("[data-chat-log]")).not_to_contain_text(JOINED[agent_language])
    expect(pane.locator("[data-chat-log]")).to_contain_text(JOINED[agent_language])

    # A canned reply comes in the customer's language, every placeholder filled
    pane.locator(".console__canned [data-canned]").first.click()
    draft = pane.locator("textarea[name=body]")
    expect(draft).to_have_value(re.compile(re.escape(GREETING[customer_language])))
    assert "{" not in draft.input_value()
    pane.locator("button.chat__send").click()
    expect(customer.locator("[data-chat-log]")).to_contain_text(GREETING[customer_language])

    agent.once("dialog", lambda dialog: dialog.accept())
    pane.locator("[data-action=close]").click()
    expect(customer.locator("[data-chat-log]")).to_contain_text(ENDED[customer_language])
    expect(pane.locator("[data-chat-log]")).to_contain_text(ENDED[agent_language])
