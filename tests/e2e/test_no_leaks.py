"""Journey 9 (issue 17): a frightened customer types their recovery phrase everywhere they can
(the contact form while its type-ahead runs, the help-centre search and its type-ahead, the chat's
start form and its composer, the API's search) and the desk keeps it nowhere: not in the
server's access log, its application log or the worker's, not in any table of the database, not
in any mail. And the type-ahead still suggests articles, in both languages, at a phone's width."""

import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from urllib.parse import unquote_plus, urlencode

from playwright.sync_api import expect

from tests.support.browser import PHONE, agent_log_in, mail_text, open_page, screenshot
from tests.support.leaks import phrase_found, recovery_phrase
from tests.support.services import service_unavailable

WORD_LISTS = {"zh-hans": "chinese_simplified", "en": "english"}
WARNINGS = {"zh-hans": "助记词", "en": "recovery phrase"}
FIRST_MESSAGES = {
    "zh-hans": "我的提现一直显示处理中，编号 {marker}。",
    "en": "My withdrawal has been pending since this morning, note {marker}.",
}


def is_suggest(response) -> bool:
    return response.url.endswith("/faq/suggest/") and response.request.method == "POST"


def typed_into_type_ahead(response, phrase: str) -> bool:
    """The type-ahead's request carried the phrase, in its body (never in its address)."""
    body = unquote_plus(response.request.post_data or "")
    return phrase_found(body, phrase) is not None and phrase_found(response.url, phrase) is None


def call(url: str, **kwargs) -> int:
    request = urllib.request.Request(url, **kwargs)  # noqa: S310 - the test's own http:// site
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def database_text(site) -> str:
    """Every row of every table as pg_dump writes it, and every session decoded (a session's
    data is stored signed and encoded, where a search of the dump would not see it)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        service_unavailable("the privacy journey reads every table with pg_dump (postgresql)")
    dump = subprocess.run(
        [pg_dump, "--data-only", "--no-owner", site.env["DATABASE_URL"]],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    sessions = site.django(
        "from django.contrib.sessions.models import Session\n"
        "for s in Session.objects.all(): print(s.get_decoded())"
    )
    return dump + "\n" + sessions


def test_a_phrase_typed_anywhere_is_kept_nowhere(site, visitor, new_context, language):
    page = visitor
    phrase = recovery_phrase(WORD_LISTS[language], seed=f"e2e-{uuid.uuid4()}")
    address = f"privacy-{uuid.uuid4().hex[:8]}@example.com"
    marker = f"N{uuid.uuid4().hex[:10]}"
    addresses_sent = []
    page.on("request", lambda request: addresses_sent.append(request.url))
    # Live chat is offered only while an agent's console is connected.
    console = open_page(new_context, site, language)
    agent_log_in(console, f"privacy-{language}", next_url="/agent/chat/")
    expect(console.locator("[data-agent-console]")).to_be_visible()

    # Given the contact form, when the customer types their phrase into the description, the
    # type-ahead sends what they type as they type it
    page.goto("/contact/?type=other")
    form = page.locator("form[data-contact-form]")
    form.locator("[name=subject]").fill("Wallet help" if language == "en" else "钱包问题")
    form.locator("[name=email]").fill(address)
    with page.expect_response(lambda r: is_suggest(r) and typed_into_type_ahead(r, phrase)) as got:
        form.locator("[name=description]").press_sequentially(
            f"Please check my wallet, my words are: {phrase}", delay=5
        )
    assert got.value.status == 200
    # Then the guard warns them while they type, and the form refuses it when sent
    expect(form.locator("[data-suggestions-warning]")).to_contain_text(WARNINGS[language])
    form.locator("button[type=submit]").click()
    expect(page.locator("#id_description_error")).to_contain_text(WARNINGS[language])

    # Given the help centre, when the phrase is typed into the search and searched for
    page.goto("/faq/")
    search = page.locator("#faq-search-q")
    with page.expect_response(lambda r: is_suggest(r) and typed_into_type_ahead(r, phrase)):
        search.press_sequentially(phrase, delay=5)
    search.press("Enter")
    # Then the search is refused with the guard's warning, and the box is empty again
    expect(page).to_have_url(re.compile(r"/faq/search/$"))
    expect(page.locator("#faq-search-error")).to_contain_text(WARNINGS[language])
    expect(page.locator("#faq-search-q")).to_have_value("")
    # And an old link with the query in its address, and the API's search, posted and linked
    old_link = f"{site.url}/faq/search/?{urlencode({'q': phrase})}"
    assert call(old_link) == 200
    assert call(
        f"{site.url}/api/v1/faq/search/",
        data=json.dumps({"q": phrase}).encode(),
        headers={"Content-Type": "application/json"},
    ) in {400, 503}  # refused as a secret, or the API is off on this site
    assert call(f"{site.url}/api/v1/faq/search/?{urlencode({'q': phrase})}") in {400, 503}

    # Given the chat, when the phrase goes into the start form's email box, it is refused
    page.goto("/chat/")
    page.locator("[name=name]").fill("Kim")
    page.locator("[name=email]").fill(phrase)
    page.locator("[name=problem_type]").select_option("topup_withdrawal")
    page.locator("[name=message]").fill(FIRST_MESSAGES[language].format(marker=marker))
    page.locator("form[action='/chat/start/'] button[type=submit]").click()
    expect(page.locator("#id_email_error")).to_contain_text(WARNINGS[language])
    expect(page.locator("[name=email]")).to_have_value("")
    # And once the chat is open, the phrase pasted into the composer is refused
    page.locator("[name=email]").fill(address)
    page.locator("form[action='/chat/start/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}/$"))
    page.locator("#chat-body").fill(phrase)
    page.locator("button.chat__send").click()
    expect(page.locator("[data-chat-error]")).to_contain_text(WARNINGS[language])

    # Then the chat's ticket is confirmed by mail, whose subject quotes no first message
    confirmation = site.wait_for_mail(address)
    subject = email_subject(confirmation)
    reference = re.search(r"WS-[0-9A-Z]{8}", subject).group(0)
    assert marker not in subject
    assert reference in mail_text(confirmation)

    # And no address the browser asked for holds the phrase
    assert not [url for url in addresses_sent if phrase_found(url, phrase)]
    # And the phrase is in no log, no table and no mail
    for process in site.processes:  # flushed: the server and the worker write unbuffered
        assert process.poll() is None
    kept = {
        "access and application log": (site.log_dir / "server.log").read_text(),
        "worker log": (site.log_dir / "worker.log").read_text(),
        "database": database_text(site),
        "mail": "\n".join(
            path.read_text(errors="replace") for path in sorted(site.mail_dir.glob("*.log"))
        )
        + "\n".join(
            email_subject(message) + "\n" + mail_text(message) for message in site.mails_to("@")
        ),
    }
    found = {where: phrase_found(text, phrase) for where, text in kept.items()}
    assert found == dict.fromkeys(kept), found
    # (The search looks where it should: the chat's first message is in the database, and the
    # server logged the type-ahead's requests, without their text.)
    assert marker in kept["database"]
    assert '"POST /faq/suggest/ HTTP/1.1" 200' in kept["access and application log"]
    assert '"GET /faq/search/?… HTTP/1.1" 200' in kept["access and application log"]


def email_subject(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"] or "")))


SUGGESTIONS = {
    "zh-hans": ("提现一直没有到账", "提现"),
    "en": ("My withdrawal is pending", "withdrawl"),
}


def test_type_ahead_still_suggests_at_a_phones_width(site, new_context, language):
    page = open_page(new_context, site, language, viewport=PHONE, is_mobile=True, has_touch=True)
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    subject, query = SUGGESTIONS[language]

    # Given the contact form on a phone, when the customer writes their subject
    page.goto("/contact/?type=topup_withdrawal")
    with page.expect_response(is_suggest) as answered:
        page.locator("[name=subject]").press_sequentially(subject, delay=20)
    # Then the articles that may answer it are suggested, in their language
    assert answered.value.status == 200
    suggestions = page.locator("[data-suggestions-list] a")
    expect(suggestions.first).to_be_visible()
    expect(suggestions.first).to_have_attribute("href", re.compile(r"^/faq/"))
    screenshot(page, f"contact-type-ahead-{language}-phone", full_page=False)

    # Given the help centre's search box on a phone, when they type a word (misspelt in English)
    page.goto("/faq/")
    page.locator("#faq-search-q").press_sequentially(query, delay=30)
    # Then type-ahead offers articles, and a chosen one opens
    option = page.locator("#faq-search-suggest [role=option]").first
    expect(option).to_be_visible()
    screenshot(page, f"faq-type-ahead-{language}-phone", full_page=False)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    title = option.inner_text()
    option.locator("a").click()
    expect(page.locator("h1")).to_have_text(title)
    assert refused == []
