"""Journey 4: a visitor pastes their recovery phrase into the contact form and into the chat,
and is stopped with the warning before anything is stored or sent."""

import re
import uuid

from mnemonic import Mnemonic
from playwright.sync_api import expect

from tests.support.browser import agent_log_in, open_page, screenshot

WORD_LISTS = {"zh-hans": "chinese_simplified", "en": "english"}
WARNINGS = {"zh-hans": "助记词", "en": "recovery phrase"}


def test_recovery_phrase_is_refused_in_the_contact_form_and_in_the_chat(
    site, visitor, new_context, language
):
    page = visitor
    # Live chat is offered only while an agent's console is connected.
    console = open_page(new_context, site, language)
    agent_log_in(console, f"guard-{language}", next_url="/agent/chat/")
    expect(console.locator("[data-agent-console]")).to_be_visible()
    phrase = Mnemonic(WORD_LISTS[language]).generate(strength=128)
    address = f"guard-{uuid.uuid4().hex[:8]}@example.com"

    # Given the contact form, when the visitor pastes their phrase "so support can check"
    page.goto("/contact/?type=other")
    form = page.locator("form[data-contact-form]")
    form.locator("[name=subject]").fill("Wallet" if language == "en" else "钱包问题")
    form.locator("[name=description]").fill(f"Please check my wallet, my words are: {phrase}")
    form.locator("[name=email]").fill(address)
    form.locator("button[type=submit]").click()

    # Then the form comes back with the warning, the phrase is gone from the page, no ticket
    error = page.locator("#id_description_error")
    expect(error).to_contain_text(WARNINGS[language])
    expect(page.locator("#id_description")).to_have_value("")
    assert phrase not in page.content()
    screenshot(page, f"guard-contact-{language}-desktop", full_page=False)
    assert (
        site.django(
            f"from tickets.models import Ticket; print(Ticket.objects.filter("
            f"customer_email='{address}').count())"
        )
        == "0"
    )

    # Given a chat, when the visitor pastes the phrase into the composer
    page.goto("/chat/")
    page.locator("[name=name]").fill("Kim")
    page.locator("[name=email]").fill(address)
    page.locator("[name=problem_type]").select_option("account_security")
    page.locator("[name=message]").fill(
        "I think someone has my account." if language == "en" else "我觉得有人盗用了我的账户。"
    )
    page.locator("form[action='/chat/start/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}/$"))
    page.locator("#chat-body").fill(phrase)
    page.locator("button.chat__send").click()

    # Then the chat warns them, empties the box and keeps no trace of the phrase
    expect(page.locator("[data-chat-error]")).to_contain_text(WARNINGS[language])
    expect(page.locator("#chat-body")).to_have_value("")
    # Three words in a row: one word alone may end any line of the log by chance.
    expect(page.locator("[data-chat-log]")).not_to_contain_text(" ".join(phrase.split()[:3]))
    screenshot(page, f"guard-chat-{language}-desktop", full_page=False)
    page.reload()
    assert phrase not in page.content()
