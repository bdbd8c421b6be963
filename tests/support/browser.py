"""What the browser journeys (tests/e2e/) do in a page: open it, log in, take a picture, run axe."""

import base64
import email
import json
import os
import re
import tempfile
from pathlib import Path

from playwright.sync_api import expect

# Pictures go to a temporary folder unless SCREENSHOT_DIR names one (SCREENSHOT_DIR=docs/screenshots
# renews the README's pictures), so a test run leaves the checkout as it was.
SCREENSHOTS = Path(
    os.environ.get("SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "wallet-support-screenshots"
)


AXE_SOURCE = Path(__file__).resolve().parents[1] / "e2e" / "vendor" / "axe-core" / "axe.min.js"


DESKTOP = {"width": 1280, "height": 800}


PHONE = {"width": 375, "height": 740}


AGENT_PASSWORD = "browser-agent-password"


def mail_text(message: email.message.Message) -> str:
    """The decoded text of every text part of a mail."""
    texts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True) or b""
            texts.append(payload.decode(part.get_content_charset() or "utf-8"))
    return "\n".join(texts)


def open_page(new_context, site, language: str, **context_args):
    context = new_context(
        locale="zh-CN" if language == "zh-hans" else "en-US",
        **{"viewport": DESKTOP, **context_args},
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": site.url}])
    context.set_default_timeout(15_000)
    return context.new_page()


def agent_log_in(page, username: str, *, next_url: str) -> None:
    """Log in at /agent/login/ as a person would: password, then the authenticator app. The
    first log-in sets the app up from the key the page shows, and shows the recovery codes."""
    from django_otp.oath import totp

    page.goto(f"/agent/login/?next={next_url}")
    page.locator("[name=username]").fill(username)
    page.locator("[name=password]").fill(AGENT_PASSWORD)
    page.locator("form[action='/agent/login/'] button[type=submit]").click()
    key = page.locator(".secret-key").inner_text()
    code = totp(base64.b32decode(key.replace(" ", "").upper()))
    page.locator("[name=code]").fill(f"{code:06d}")
    page.locator("form[action='/agent/login/verify/'] button[type=submit]").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.locator(f".form-actions a[href='{next_url}']").click()
    expect(page).to_have_url(re.compile(re.escape(next_url)))
    if next_url.startswith("/agent/chat/"):
        # Live chat is offered once the console counts as present: its socket has had the queue.
        expect(page.locator("[data-agent-console][data-connected]")).to_be_attached()


def screenshot(page, name: str, *, full_page: bool = True) -> None:
    """Save a picture of the page for docs/screenshots/ (the README shows the best)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (vendored, MPL-2.0) on the page. It is evaluated from the driver, which the
    page's content-security policy does not govern (a <script> tag it adds would be refused)."""
    page.evaluate(AXE_SOURCE.read_text())
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})); }"
    )
    return [violation for violation in result if violation["impact"] in impacts]


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, ensure_ascii=False, indent=1)
