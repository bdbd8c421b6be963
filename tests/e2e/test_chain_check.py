"""Journey: a visitor pastes the hash of a transfer mined on the chain into the contact form and
reads what the chain says before sending; the ticket page says it too, without JavaScript's help."""

import re

from playwright.sync_api import expect

from tests.support.browser import screenshot
from tests.support.services import service_unavailable

CONFIRMED = {"zh-hans": "这笔转账已在链上确认", "en": "This transfer is confirmed on the chain"}
NOT_SEEN = {"zh-hans": "网络上没有这个哈希", "en": "The network has not seen this hash"}


def test_visitor_sees_the_chain_status_before_sending(site, visitor, language):
    page = visitor
    chain = site.chain
    if chain is None:
        service_unavailable('needs eth-tester: pip install "eth-tester[py-evm]"')
    recipient = chain.accounts[9]
    tx_hash = chain.send_ether(to=recipient, wei=15 * 10**17)

    # Given the contact form for an abnormal transaction on Ethereum
    page.goto("/contact/?type=abnormal_transaction")
    form = page.locator("form[data-contact-form]")
    box = form.locator("[data-chain-check]")
    form.locator("[name=network]").select_option("ethereum")
    expect(box).to_be_hidden()

    # When the visitor pastes a hash the network has never seen
    form.locator("[name=transaction_hash]").fill("0x" + "b7" * 32)
    # Then they are told to check they copied it whole, with the help article
    expect(box).to_be_visible(timeout=20_000)
    expect(box).to_contain_text(NOT_SEEN[language], timeout=20_000)
    expect(box.locator("[data-chain-article] a")).to_have_attribute(
        "href", re.compile(r"/transaction-hash-and-block-explorer/$")
    )

    # When they paste the hash of the transfer mined on the chain
    form.locator("[name=transaction_hash]").fill(tx_hash)
    # Then the worker's answer comes through the polling: confirmed, and where it went
    expect(box).to_contain_text(CONFIRMED[language], timeout=30_000)
    expect(box).to_contain_text(recipient)
    expect(box.locator("[data-chain-article] a")).to_have_attribute(
        "href", re.compile(r"/deposit-not-credited/$")
    )
    screenshot(page, f"contact-chain-check-{language}-desktop")
