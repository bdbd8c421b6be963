"""Journey 6: a visitor checks an agent code on /verify/ before trusting someone."""

from playwright.sync_api import expect

from tests.support.browser import screenshot


def test_verify_confirms_a_real_agent_code_and_warns_about_an_unknown_one(site, visitor, language):
    # Given a visitor on the verify page
    page = visitor
    page.goto("/verify/")

    # When they check the demo agent's code alone, full-width as a Chinese input method types it
    page.locator("input[name=code]").fill("ＷＳ－ＡＧＴ３Ｎ５Ｈ８ＲＷ")
    page.locator("form[action='/verify/'] button[type=submit]").click()

    # Then the page asks for the name too, and names nobody
    asked = page.get_by_role("status")
    expect(asked).to_contain_text("WS-AGT3N5H8RW")
    expect(asked).not_to_contain_text("Lin")

    # And with the name they were given, it confirms a real agent
    page.locator("input[name=code]").fill("ws agt3n5h8rw")
    page.locator("input[name=agent_name]").fill("lin")
    page.locator("form[action='/verify/'] button[type=submit]").click()
    verified = page.get_by_role("status")
    expect(verified).to_contain_text("WS-AGT3N5H8RW")
    expect(verified).to_contain_text("Lin")
    screenshot(page, f"verify-{language}-desktop")

    # And a code nobody here has is called out as not ours
    page.locator("input[name=agent_name]").fill("")
    page.locator("input[name=code]").fill("t.me/wallet_help_desk_9999")
    page.locator("form[action='/verify/'] button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("wallet_help_desk_9999")
    expect(page.locator("a[href='/security/']").first).to_be_visible()
