"""Journey 5: an agent logs in with password and authenticator code, works the admin queue:
opens the most urgent ticket, replies with a canned reply, adds an internal note, reassigns the
ticket to a colleague and closes it."""

import json

from playwright.sync_api import expect

from tests.support.browser import agent_log_in, screenshot

NOTES = {"zh-hans": "已核对链上记录，转给林处理。", "en": "Checked the chain; handing over to Lin."}

MOST_URGENT = """
from tickets.admin import queue
from tickets.models import Ticket
ticket = Ticket.objects.filter(status__in=queue.WORKING_STATUSES).annotate(
    next_due=queue.NEXT_DUE).order_by(*queue.saved_view_ordering(queue.DEFAULT_VIEW)).first()
print(ticket.reference)
"""

OUTCOME = """
import json
from tickets.models import Ticket
ticket = Ticket.objects.get(reference=%r)
print(json.dumps({
    "status": ticket.status,
    "assignee": ticket.assignee.username,
    "messages": [[m.body, m.is_internal] for m in ticket.messages.order_by("id")],
}))
"""


def test_agent_works_the_most_urgent_ticket_from_the_queue(site, visitor, language):
    page = visitor
    # Given an agent who logs in with the second factor and lands on the queue
    agent_log_in(page, f"queue-{language}", next_url="/admin/tickets/ticket/")
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_be_visible()
    screenshot(page, f"admin-queue-{language}-desktop", full_page=False)

    # When they open the first ticket: the most urgent (the earliest deadline)
    reference = site.django(MOST_URGENT)
    expect(rows.first).to_contain_text(reference)
    rows.first.locator("th a").click()
    expect(page.locator("#reply-form")).to_be_visible()

    # And reply with a canned reply
    page.locator("#id_canned").select_option(index=1)
    canned = page.locator("#id_body").input_value()
    assert canned.strip()
    page.locator("#reply-form input.default[type=submit]").click()
    expect(page.locator(".thread-message").last).to_contain_text(canned.strip()[:20])

    # And add an internal note
    page.locator("#id_body").fill(NOTES[language])
    page.locator("#id_is_internal").check()
    page.locator("#reply-form input.default[type=submit]").click()
    expect(page.locator(".thread-note").last).to_contain_text(NOTES[language])
    screenshot(page, f"admin-ticket-{language}-desktop")

    # And reassign it to a colleague, then close it
    page.locator("#id_assignee").select_option(label=assignee_label(page, "Lin"))
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    page.locator("#id_status").select_option("closed")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()

    # Then the ticket is closed, with the colleague assigned, the reply public and the note not
    outcome = json.loads(site.django(OUTCOME % reference))
    assert outcome["status"] == "closed"
    assert outcome["assignee"] == "agent"
    assert [canned.strip(), False] in [
        [body.strip(), internal] for body, internal in outcome["messages"]
    ]
    assert [NOTES[language], True] in outcome["messages"]


def assignee_label(page, name: str) -> str:
    """The assignee option's full label for the agent called `name` (it carries their code)."""
    options = page.locator("#id_assignee option").all_inner_texts()
    return next(option for option in options if name in option)
