"""Journey: the agent workspace in the admin (issue 20): the queue, a ticket's page and the
dashboard at desktop and phone width, in both languages and in the dark theme, with no serious
or critical accessibility violation found by axe-core, nothing wider than a phone's screen, and
the reply box at hand beside the conversation."""

from playwright.sync_api import expect

from tests.support.browser import (
    DESKTOP,
    PHONE,
    agent_log_in,
    axe_violations,
    describe,
    screenshot,
)

A_TICKET = """
from tickets.models import Ticket
print(Ticket.objects.filter(messages__isnull=False).order_by("id").values_list("pk", flat=True)[0])
"""


def test_the_workspace_pages_pass_axe_at_desktop_and_phone_width(site, visitor, language):
    page = visitor
    agent_log_in(page, f"workspace-{language}", next_url="/admin/tickets/ticket/")
    ticket = site.django(A_TICKET).strip()
    pages = {
        "admin-queue": "/admin/tickets/ticket/",
        "admin-ticket": f"/admin/tickets/ticket/{ticket}/change/",
        "dashboard": "/agent/dashboard/",
    }
    # The keyboard: "?" lists the shortcuts; j and Enter open the first ticket of the queue,
    # n starts an internal note and r a reply.
    page.keyboard.press("?")
    expect(page.locator("#workspace-help")).to_be_visible()
    page.keyboard.press("?")
    expect(page.locator("#workspace-help")).to_be_hidden()
    page.keyboard.press("j")
    first = page.locator("#result_list tbody tr th a").first
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#reply-form")).to_be_visible()
    page.keyboard.press("n")
    expect(page.locator("#id_body")).to_be_focused()
    expect(page.locator("#id_is_internal")).to_be_checked()
    page.locator("#id_body").blur()
    page.keyboard.press("r")
    expect(page.locator("#id_is_internal")).not_to_be_checked()

    # The reply box at hand: beside the facts, on the screen without scrolling to it.
    page.goto(pages["admin-ticket"])
    thread = page.locator(".ticket-thread").bounding_box()
    side = page.locator(".workspace-side").bounding_box()
    reply = page.locator(".ticket-reply").bounding_box()
    assert side["x"] >= thread["x"] + thread["width"]
    assert reply["y"] + reply["height"] <= DESKTOP["height"]

    problems = {}
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            for name, path in pages.items():
                page.goto(path)
                expect(page.locator("#content")).to_be_visible()
                if violations := axe_violations(page):
                    problems[f"{name} {width} {scheme}: axe"] = violations
                if width == "phone":
                    overflow = page.evaluate(
                        "document.documentElement.scrollWidth - window.innerWidth"
                    )
                    if overflow > 0:
                        problems[f"{name} {scheme}: wider than the phone by"] = overflow
                if scheme == "light" or name == "admin-queue":
                    shot = f"workspace-{name}-{language}-{width}"
                    shot += "" if scheme == "light" else "-dark"
                    screenshot(page, shot, full_page=False)
    assert not problems, describe(problems)
