"""Journey 1: a visitor searches the help centre in their language, opens an article and says it
helped; the vote is kept by the server (a reload shows the thanks, not the buttons again)."""

import re

from playwright.sync_api import expect

from tests.support.browser import screenshot

QUERIES = {"zh-hans": "账户被盗", "en": "withdrawl"}  # the English one with its common typo


def test_visitor_searches_opens_an_article_and_votes_it_helpful(site, visitor, language):
    # Given a visitor on the home page
    page = visitor
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", re.compile(language, re.I))
    screenshot(page, f"home-{language}-desktop")

    # When they type a question, type-ahead suggests articles
    search = page.locator("#faq-search-q")
    search.press_sequentially(QUERIES[language], delay=30)
    expect(page.locator("#faq-search-suggest [role=option]").first).to_be_visible()

    # And submitting the search (posted: the words are in no address) lists matching articles
    # with the words highlighted
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/faq/search/$"))
    results = page.locator(".search-result")
    expect(results.first).to_be_visible()
    expect(page.locator(".search-result mark").first).to_be_visible()
    screenshot(page, f"faq-search-{language}-desktop")

    # When they open the best match and answer "Was this helpful?" with yes
    title = results.first.locator("a").inner_text()
    results.first.locator("a").click()
    expect(page.locator("h1")).to_have_text(title)
    page.locator("[data-helpful-form] button[value=yes]").click()

    # Then they are thanked without a reload, and the server remembers the vote
    expect(page.locator("[data-helpful-thanks]")).to_be_visible()
    screenshot(page, f"faq-article-{language}-desktop")
    page.reload()
    expect(page.locator(".helpful__thanks")).to_be_visible()
    expect(page.locator("[data-helpful-form]")).to_have_count(0)
