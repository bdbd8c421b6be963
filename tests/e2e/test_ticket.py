"""Journey 2: a visitor reports an abnormal transaction with a screenshot, gets the reference and
the expected response time, opens the private link the worker mailed, replies, and rates the
ticket once support has resolved it."""

import re
import uuid

from PIL import Image
from playwright.sync_api import expect

from tests.support.browser import mail_text, screenshot

DESCRIPTIONS = {
    "zh-hans": "昨天下午我向交易所转了 150 USDT，钱包显示已完成，但交易所说没有收到这笔钱。",
    "en": "Yesterday afternoon I sent 150 USDT to my exchange account. The wallet says completed, "
    "but the exchange has not received it.",
}
REPLIES = {
    "zh-hans": "交易所客服让我提供这笔交易的截图，已附上。",
    "en": "The exchange asked me for the transfer's details; here they are again.",
}


def test_visitor_files_an_abnormal_transaction_ticket_replies_and_rates(
    site, visitor, language, tmp_path
):
    page = visitor
    address = f"visitor-{uuid.uuid4().hex[:8]}@example.com"
    picture = tmp_path / "transfer.png"
    Image.new("RGB", (64, 48), (30, 90, 200)).save(picture)

    # Given the contact form for an abnormal transaction
    page.goto("/contact/?type=abnormal_transaction")
    form = page.locator("form[data-contact-form]")
    # When the visitor gives the transaction's facts, a description and a screenshot
    form.locator("[name=transaction_at]").fill("2026-01-14T15:00")
    form.locator("[name=amount]").fill("150")
    form.locator("[name=asset]").fill("USDT")
    form.locator("[name=network]").select_option("ethereum")
    form.locator("[name=counterparty]").fill("0x52908400098527886E0F7030069857D2E4169EE7")
    form.locator("[name=transaction_hash]").fill("0x" + "a1" * 32)
    form.locator("[name=status_shown]").select_option("completed_not_received")
    form.locator("[name=subject]").fill("USDT 未到账" if language == "zh-hans" else "USDT missing")
    form.locator("[name=description]").fill(DESCRIPTIONS[language])
    form.locator("[name=attachments]").set_input_files(picture)
    form.locator("[name=email]").fill(address)
    screenshot(page, f"contact-{language}-desktop")
    form.locator("button[type=submit]").click()

    # Then they see their reference and when to expect a first response
    expect(page.locator("#received-title")).to_be_visible()
    reference = page.locator(".lead strong").inner_text()
    assert re.fullmatch(r"WS-[0-9A-Z]{8}", reference)
    expect(page.locator(".card__body strong").nth(1)).not_to_be_empty()
    screenshot(page, f"ticket-submitted-{language}-desktop")

    # And the worker mails them the private link, which opens their ticket
    mail = site.wait_for_mail(address)
    link = re.search(rf"{re.escape(site.url)}/tickets/[^/\s]+/", mail_text(mail)).group(0)
    page.goto(link)
    expect(page.get_by_text(reference).first).to_be_visible()
    expect(page.locator("a[download]", has_text="transfer.png")).to_be_visible()

    # When they reply on the ticket page
    page.locator("[name=body]").fill(REPLIES[language])
    page.locator("form[action$='reply/'] button[type=submit]").click()
    expect(page.get_by_text(REPLIES[language])).to_be_visible()
    screenshot(page, f"ticket-{language}-desktop")

    # And later support resolves it
    site.django(
        "from tickets.models import Ticket; from tickets.services import ticket_change_status; "
        f"ticket_change_status(ticket=Ticket.objects.get(reference='{reference}'), "
        "status='resolved')"
    )

    # Then the ticket page asks for a rating, and one click records it
    page.reload()
    page.locator("#rating button[value='5']").click()
    expect(page.locator("#rating button[value='5']")).to_have_class(re.compile("btn--primary"))
    rating = site.django(
        "from tickets.models import Ticket; "
        f"print(Ticket.objects.get(reference='{reference}').satisfaction_rating)"
    )
    assert rating == "5"
