"""Journey 11: presence is a connected console. With no agent's console open the launcher and the
home page's channel guide offer a message; the moment an agent opens the console they offer live
chat; when the agent closes it, they offer a message again. Chinese at a phone's width, English on
a desktop."""

from playwright.sync_api import expect

from tests.e2e.conftest import wait_until
from tests.support.browser import DESKTOP, PHONE, agent_log_in, open_page, screenshot

NO_AGENT = {"zh-hans": "暂无空闲客服", "en": "No agent free"}
LIVE_CHAT = {"zh-hans": "在线客服", "en": "Live chat"}


def launcher_href(page) -> str:
    page.goto("/")
    return page.locator("a.chat-launcher").get_attribute("href")


def test_chat_is_offered_only_while_an_agent_console_is_connected(site, new_context, language):
    width = PHONE if language == "zh-hans" else DESKTOP
    customer = open_page(new_context, site, language, viewport=width)

    # Given no agent at a console (every agent is "online" in the database)
    assert launcher_href(customer) == "/contact/"
    guide = customer.locator("#channel-guide-title").locator("xpath=../..")
    expect(guide).to_contain_text(NO_AGENT[language])
    screenshot(customer, f"presence-no-agent-{language}")

    # When an agent opens the chat console
    agent = open_page(new_context, site, language)
    agent_log_in(agent, f"presence-{language}", next_url="/agent/chat/")
    expect(agent.locator("[data-agent-console]")).to_be_visible()

    # Then the launcher offers live chat at once, and the guide no longer says nobody is there
    wait_until(lambda: launcher_href(customer) == "/chat/", timeout=10, what="chat offered")
    expect(customer.locator("#channel-guide-title").locator("xpath=../..")).not_to_contain_text(
        NO_AGENT[language]
    )
    expect(customer.locator("a.chat-launcher")).to_contain_text(LIVE_CHAT[language])

    # When the agent closes the console, chat is no longer offered
    agent.close()
    wait_until(lambda: launcher_href(customer) == "/contact/", timeout=10, what="message offered")
