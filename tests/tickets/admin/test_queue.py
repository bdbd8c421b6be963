"""The agents' work queue in the admin: roles, saved views, search, actions and the ticket page."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agents.models import Team
from tests.support.auth import login_with_second_factor
from tests.support.factories import make_agent, png_upload
from tickets import services
from tickets.models import Message, Status, Ticket, TicketEvent
from tickets.validators import check_attachment

pytestmark = pytest.mark.django_db

LIST = reverse("admin:tickets_ticket_changelist")


def change_url(ticket: Ticket) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def new_ticket(team_code: str = "transactions", *, email: str = "mei@example.com", **fields):
    ticket = services.ticket_create(
        problem_type=fields.pop("problem_type", "abnormal_transaction"),
        channel="web",
        subject=fields.pop("subject", "My transfer has not arrived"),
        description="The transfer I sent this morning has not arrived yet.",
        customer_email=email,
        customer_name="Mei",
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        team=Team.objects.get(code=team_code), needs_routing=False, **fields
    )
    ticket.refresh_from_db()
    return ticket


def cell(page: str, column: str) -> list[str]:
    """The texts of a column of the queue's list."""
    found = re.findall(rf'<td class="field-{column}\b[^"]*">\s*(.*?)\s*</td>', page, re.S)
    return [re.sub(r"<[^>]+>", "", text).strip() for text in found]


def listed(response) -> set[str]:
    return {ticket.reference for ticket in response.context["cl"].result_list}


@pytest.fixture
def agent(client):
    user = make_agent("transactions")
    login_with_second_factor(client, user)
    return user


# --- roles ---------------------------------------------------------------------------------


def test_an_agent_sees_only_their_teams_and_their_own_tickets(client, agent):
    mine = new_ticket("transactions")
    other_team = new_ticket("payments")
    assigned_elsewhere = new_ticket("payments", assignee=agent)

    response = client.get(LIST)

    assert listed(response) == {mine.reference, assigned_elsewhere.reference}
    refused = client.get(change_url(other_team))
    assert refused.status_code == 302  # the admin's "does not exist" redirect
    assert other_team.reference not in client.get(refused.url).content.decode()


def test_an_admin_sees_every_team(client, superuser):
    tickets = [new_ticket(code) for code in ("transactions", "payments", "general")]
    login_with_second_factor(client, superuser)
    assert listed(client.get(LIST)) == {ticket.reference for ticket in tickets}


def test_staff_without_a_desk_role_cannot_open_the_queue(client, staff_user):
    new_ticket()
    login_with_second_factor(client, staff_user)
    assert client.get(LIST).status_code == 403


def test_only_leads_and_admins_get_the_reassign_fields_and_actions(client, agent):
    ticket = new_ticket("transactions")
    form = client.get(change_url(ticket)).context["adminform"].form
    assert "assignee" not in form.fields
    actions = dict(client.get(LIST).context["action_form"].fields["action"].choices)
    assert "assign_to_agent" not in actions
    assert "assign_to_me" in actions

    lead = make_agent("transactions", is_lead=True)
    login_with_second_factor(client, lead)
    form = client.get(change_url(ticket)).context["adminform"].form
    assert {"team", "assignee"} <= set(form.fields)
    actions = dict(client.get(LIST).context["action_form"].fields["action"].choices)
    assert "assign_to_agent" in actions


def test_an_agent_cannot_reassign_by_posting_the_fields_anyway(client, agent):
    ticket = new_ticket("transactions")
    colleague = make_agent("transactions")
    client.post(
        change_url(ticket),
        {"status": "open", "priority": "high", "assignee": colleague.pk, "team": ticket.team_id},
    )
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.priority == "high"  # the fields the agent may change did change


def test_a_lead_cannot_reassign_another_teams_ticket_in_bulk(client):
    lead = make_agent("transactions", is_lead=True)
    own = new_ticket("transactions")
    foreign = new_ticket("payments", assignee=lead)  # visible to the lead, not their team's
    colleague = make_agent("transactions")
    login_with_second_factor(client, lead)

    response = client.post(
        LIST,
        {
            "action": "assign_to_agent",
            "agent": colleague.pk,
            "_selected_action": [own.pk, foreign.pk],
        },
        follow=True,
    )

    own.refresh_from_db()
    foreign.refresh_from_db()
    assert own.assignee == colleague
    assert foreign.assignee == lead
    assert "only a lead of its team" in response.content.decode()


# --- saved views, ordering, search -----------------------------------------------------------


def test_saved_views_select_the_right_tickets_with_counts(client, agent):
    now = timezone.now()
    mine = new_ticket(assignee=agent, status=Status.OPEN)
    unassigned = new_ticket()
    at_risk = new_ticket(
        first_response_warn_at=now - timedelta(minutes=5),
        first_response_due=now + timedelta(minutes=30),
    )
    breached = new_ticket(first_response_due=now - timedelta(minutes=1))
    waiting = new_ticket(status=Status.PENDING, assignee=agent)
    solved = new_ticket(status=Status.RESOLVED, resolved_at=now - timedelta(days=1))
    new_ticket(status=Status.CLOSED, resolved_at=now - timedelta(days=30))

    def view(code):
        return listed(client.get(LIST, {"view": code}))

    assert view("mine") == {mine.reference}
    assert view("team_unassigned") == {
        unassigned.reference,
        at_risk.reference,
        breached.reference,
    }
    assert view("at_risk") == {at_risk.reference}
    assert view("breached") == {breached.reference}
    assert view("waiting") == {waiting.reference}
    assert view("solved") == {solved.reference}
    page = client.get(LIST).content.decode()
    assert "My open tickets (1)" in page
    assert "Breached (1)" in page
    assert "Open work (5)" in page


def test_the_default_list_is_open_work_most_urgent_first(client, agent):
    now = timezone.now()
    later = new_ticket(first_response_due=now + timedelta(hours=5))
    sooner = new_ticket(first_response_due=now + timedelta(hours=1))
    overdue = new_ticket(first_response_due=now - timedelta(hours=1))
    answered = new_ticket(
        first_responded_at=now, resolution_due=now + timedelta(hours=3), status=Status.OPEN
    )
    new_ticket(status=Status.CLOSED)

    order = [t.reference for t in client.get(LIST).context["cl"].result_list]

    assert order == [overdue.reference, sooner.reference, answered.reference, later.reference]


@pytest.mark.parametrize(
    ("field", "stored", "typed"),
    [
        ("reference", None, None),
        ("customer_email", "Li.Wei@Example.com", "li.wei@EXAMPLE.com"),
        ("wallet_account_id", "WA-10023", "WA-10023"),
        ("transaction_hash", "0x" + "ab" * 32, "AB" * 32),
    ],
)
def test_search_finds_a_ticket_by_each_key(client, agent, field, stored, typed):
    wanted = new_ticket()
    decoy = new_ticket()
    if field == "reference":
        typed = wanted.reference.lower()
    else:
        Ticket.objects.filter(pk=wanted.pk).update(**{field: stored})
    assert listed(client.get(LIST, {"q": typed, "view": "all"})) == {wanted.reference}
    assert decoy.reference not in listed(client.get(LIST, {"q": typed, "view": "all"}))


def test_the_list_costs_the_same_queries_for_5_or_40_tickets(client, superuser):
    login_with_second_factor(client, superuser)
    for _ in range(5):
        new_ticket(assignee=superuser)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for _ in range(35):
        new_ticket(assignee=superuser)
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200
    assert len(many) == len(few)
    assert not any("COUNT(*)" in q["sql"] and "LIMIT" not in q["sql"] for q in many)


# --- bulk actions ------------------------------------------------------------------------


def test_assign_to_me_priority_and_close_in_bulk_write_the_history(client, agent):
    tickets = [new_ticket() for _ in range(3)]
    ids = [ticket.pk for ticket in tickets]
    client.post(LIST, {"action": "assign_to_me", "_selected_action": ids})
    client.post(LIST, {"action": "set_priority", "priority": "urgent", "_selected_action": ids})
    client.post(LIST, {"action": "mark_closed", "_selected_action": ids[:2]})

    stored = Ticket.objects.in_bulk(ids)
    assert {stored[pk].assignee for pk in ids} == {agent}
    assert {stored[pk].priority for pk in ids} == {"urgent"}
    assert [stored[pk].status for pk in ids] == [Status.CLOSED, Status.CLOSED, Status.NEW]
    assigned = TicketEvent.objects.filter(ticket_id__in=ids, kind=TicketEvent.Kind.ASSIGNED)
    assert set(assigned.values_list("actor", flat=True)) == {agent.pk}


def test_an_action_without_its_choice_changes_nothing_and_says_why(client, agent):
    ticket = new_ticket()
    before = ticket.priority
    response = client.post(
        LIST,
        {"action": "set_priority", "priority": "", "_selected_action": [ticket.pk]},
        follow=True,
    )
    ticket.refresh_from_db()
    assert ticket.priority == before
    assert "Choose a priority first." in response.content.decode()


def test_merging_duplicates_moves_the_messages_and_closes_the_copies(client, agent):
    first = new_ticket(email="mei@example.com")
    copy = new_ticket(email="MEI@example.com")
    stranger = new_ticket(email="someone@example.com")
    client.post(LIST, {"action": "merge_duplicates", "_selected_action": [first.pk, copy.pk]})

    copy.refresh_from_db()
    assert copy.status == Status.CLOSED
    assert Message.objects.filter(ticket=first).count() == 2
    assert not Message.objects.filter(ticket=copy).exists()
    assert TicketEvent.objects.filter(
        ticket=copy, kind=TicketEvent.Kind.MERGED, new_value=first.reference
    ).exists()

    response = client.post(
        LIST,
        {"action": "merge_duplicates", "_selected_action": [first.pk, stranger.pk]},
        follow=True,
    )
    stranger.refresh_from_db()
    assert stranger.status == Status.NEW
    assert "belongs to another customer" in response.content.decode()


# --- the ticket page ---------------------------------------------------------------------


def reply(client, ticket, body, **extra):
    page = client.get(change_url(ticket))
    data = {
        "_reply": "1",
        "body": body,
        "seen_up_to": page.context["workspace"].seen_up_to,
        "client_id": str(page.context["reply_key"]),
    }
    data.update(extra)
    return client.post(change_url(ticket), data)


def test_the_page_shows_evidence_thread_notes_history_and_guard_events(client, agent):
    ticket = new_ticket(evidence={"asset": "BTC", "amount": "150.5"})
    services.message_post_agent(
        ticket=ticket, author=agent, body="Checking the chain.", is_internal=True
    )

    page = client.get(change_url(ticket)).content.decode()

    # The workspace: the conversation in the main column, the evidence beside it, history below.
    assert page.index("Conversation") < page.index("Evidence") < page.index('id="history-title"')
    assert "BTC" in page
    assert "Checking the chain." in page
    assert "internal note" in page


def test_a_reply_is_emailed_and_a_note_is_not(client, agent, django_capture_on_commit_callbacks):
    ticket = new_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        response = reply(client, ticket, "We found your transfer; it is confirmed now.")
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "confirmed now" in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        reply(client, ticket, "Customer was polite.", is_internal="on")
    assert len(mail.outbox) == 1
    assert ticket.messages.filter(is_internal=True, body="Customer was polite.").exists()


def test_a_reply_based_on_a_stale_page_is_refused_and_the_draft_kept(client, agent):
    ticket = new_ticket()
    stale_page = client.get(change_url(ticket)).context["workspace"].seen_up_to
    colleague = make_agent("transactions")
    services.message_post_agent(ticket=ticket, author=colleague, body="I am on it already.")

    response = client.post(
        change_url(ticket),
        {
            "_reply": "1",
            "body": "My late answer",
            "seen_up_to": stale_page,
            "client_id": "5f0c3a34-1d0e-4d8e-9f43-0a8b0c9d1e2f",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Someone wrote on this ticket after you opened it" in page
    assert "My late answer" in page  # the draft is still in the box
    assert "I am on it already." in page
    assert not ticket.messages.filter(body="My late answer").exists()
    assert response.context["workspace"].seen_up_to > stale_page


def test_a_canned_reply_is_inserted_with_placeholders_without_javascript(client, agent):
    ticket = new_ticket()
    page = client.get(change_url(ticket)).context["workspace"]
    response = client.post(
        change_url(ticket),
        {
            "_reply": "1",
            "_insert_canned": "1",
            "canned": "0",
            "body": "Hi.",
            "seen_up_to": page.seen_up_to,
            "client_id": "5f0c3a34-1d0e-4d8e-9f43-0a8b0c9d1e2f",
        },
    )
    body = response.context["reply_form"]["body"].value()
    assert body.startswith("Hi.\n\n")
    assert "Mei" in body
    assert ticket.reference in body
    assert not ticket.messages.filter(author=agent).exists()


def test_a_recovery_phrase_in_a_reply_is_refused(client, agent):
    from tests.support import guard_corpus as corpus

    ticket = new_ticket()
    response = reply(client, ticket, " ".join(corpus.phrase_words("english", 12, 5)))
    assert response.status_code == 200
    assert not ticket.messages.filter(author=agent).exists()


def test_attachments_download_through_the_permission_check(client, agent):
    ticket = new_ticket()
    upload = png_upload("proof.png")
    checked = check_attachment(upload)
    services.message_post_customer(
        ticket=ticket,
        body="Here is the screenshot.",
        attachments=[services.NewAttachment(upload=upload, checked=checked)],
    )
    attachment = ticket.messages.get(attachments__isnull=False).attachments.get()
    url = reverse("admin:tickets_ticket_attachment", args=[ticket.pk, attachment.pk])

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"

    login_with_second_factor(client, make_agent("payments"))
    assert client.get(url).status_code == 404


def test_two_agents_on_one_ticket_see_each_other(client, agent):
    ticket = new_ticket()
    client.get(change_url(ticket))
    colleague = make_agent("transactions")
    login_with_second_factor(client, colleague)

    page = client.get(change_url(ticket))
    viewers = client.get(reverse("admin:tickets_ticket_viewers", args=[ticket.pk])).json()

    assert page.context["viewers"] == [agent.agent_profile.display_name]
    assert viewers == {"viewers": [agent.agent_profile.display_name]}


def test_an_impossible_status_change_is_a_form_error(client, agent):
    ticket = new_ticket(status=Status.CLOSED)
    response = client.post(change_url(ticket), {"status": "pending", "priority": ticket.priority})
    assert response.status_code == 200
    assert "cannot become" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_a_merge_keeps_the_oldest_open_ticket_and_replaces_its_private_link(
    client, agent, django_capture_on_commit_callbacks
):
    from tickets.links import ticket_token

    solved = new_ticket(status=Status.CLOSED)
    filed_by_someone = new_ticket()
    newer = new_ticket()
    old_link = ticket_token(filed_by_someone)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"{LIST}?view=all",
            {
                "action": "merge_duplicates",
                "_selected_action": [solved.pk, filed_by_someone.pk, newer.pk],
            },
        )

    filed_by_someone.refresh_from_db()
    assert filed_by_someone.status == Status.NEW  # the oldest open one is kept
    assert Message.objects.filter(ticket=filed_by_someone).count() == 3
    assert ticket_token(filed_by_someone) != old_link
    assert client.get(reverse("tickets:detail", args=[old_link])).status_code != 200
    assert mail.outbox[-1].to == ["mei@example.com"]


def test_merging_only_solved_tickets_is_refused(client, agent):
    first = new_ticket(status=Status.CLOSED)
    second = new_ticket(status=Status.RESOLVED)
    response = client.post(
        f"{LIST}?view=all",
        {"action": "merge_duplicates", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "reopen the one to keep first" in response.content.decode()
    assert Message.objects.filter(ticket=first).count() == 1


def test_an_agent_cannot_take_a_colleagues_ticket_with_assign_to_me(client, agent):
    colleague = make_agent("transactions")
    theirs = new_ticket(assignee=colleague)
    free = new_ticket()
    client.post(LIST, {"action": "assign_to_me", "_selected_action": [theirs.pk, free.pk]})
    theirs.refresh_from_db()
    free.refresh_from_db()
    assert theirs.assignee == colleague
    assert free.assignee == agent


def test_a_reply_sent_twice_is_stored_and_emailed_once(
    client, agent, django_capture_on_commit_callbacks
):
    ticket = new_ticket()
    page = client.get(change_url(ticket)).context
    data = {
        "_reply": "1",
        "body": "Your transfer is confirmed.",
        "seen_up_to": page["workspace"].seen_up_to,
        "client_id": str(page["reply_key"]),
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(change_url(ticket), data)
        client.post(change_url(ticket), data)
    assert ticket.messages.filter(body="Your transfer is confirmed.").count() == 1
    assert len(mail.outbox) == 1


def test_saving_fields_from_a_stale_page_is_refused(client, agent):
    ticket = new_ticket(priority="high")
    form = client.get(change_url(ticket)).context["adminform"].form
    loaded_at = form["loaded_at"].value()
    colleague = make_agent("transactions")
    services.ticket_change_status(ticket=ticket, status=Status.PENDING, actor=colleague)

    response = client.post(
        change_url(ticket), {"status": "open", "priority": "low", "loaded_at": loaded_at}
    )

    assert response.status_code == 200
    assert "changed after you opened it" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.PENDING, "high")


def test_recently_solved_includes_tickets_closed_without_resolving(client, agent):
    ticket = new_ticket()
    services.ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=agent)
    assert listed(client.get(LIST, {"view": "solved"})) == {ticket.reference}


def test_other_teams_agents_get_nothing_from_the_side_endpoints(client, agent):
    ticket = new_ticket()
    other_ticket = new_ticket()
    upload = png_upload("proof.png")
    services.message_post_customer(
        ticket=other_ticket,
        body="Screenshot.",
        attachments=[services.NewAttachment(upload=upload, checked=check_attachment(upload))],
    )
    attachment = other_ticket.messages.get(attachments__isnull=False).attachments.get()
    # An attachment of another ticket, through this ticket's URL:
    crossed = reverse("admin:tickets_ticket_attachment", args=[ticket.pk, attachment.pk])
    assert client.get(crossed).status_code == 404

    login_with_second_factor(client, make_agent("payments"))
    assert client.get(reverse("admin:tickets_ticket_viewers", args=[ticket.pk])).status_code == 404


def test_a_reply_asking_for_a_secret_is_stopped_and_the_draft_kept(client, agent):
    ticket = new_ticket()
    response = reply(client, ticket, "To unlock the account, send me your recovery phrase.")
    assert response.status_code == 200
    page = response.content.decode()
    assert "never ask customers" in page
    assert "send me your recovery phrase" in page  # still in the reply box
    assert not ticket.messages.filter(author=agent).exists()
    # The same words as an internal note stay inside the desk and are allowed.
    reply(client, ticket, "Caller asked whether to send me your recovery phrase.", is_internal="on")
    assert ticket.messages.filter(author=agent, is_internal=True).count() == 1


def test_the_ticket_page_shows_the_announcement_the_ticket_is_tagged_with(client, agent):
    from tests.support.factories import make_announcement

    ticket = new_ticket()
    announcement = make_announcement(title_en="Tron withdrawals delayed")
    announcement.tickets.add(ticket)

    page = client.get(change_url(ticket)).content.decode()

    assert "Announcement: Tron withdrawals delayed" in page
    assert reverse("admin:announcements_announcement_change", args=[announcement.pk]) in page


# --- the workspace's words (issue 20) ------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "label"), [("en", "Waiting on the customer"), ("zh-hans", "等待客户回复")]
)
def test_agents_read_a_pending_ticket_as_waiting_on_the_customer(client, agent, language, label):
    ticket = new_ticket(status=Status.PENDING)
    headers = {"accept-language": language}

    listing = client.get(LIST, {"view": "waiting"}, headers=headers).content.decode()
    page = client.get(change_url(ticket), headers=headers).content.decode()

    assert re.search(rf'status__exact=pending[^"]*">\s*{label}\s*<', listing)
    assert f'<option value="pending" selected>{label}</option>' in page
    assert "Waiting for you" not in listing + page
    assert "待您回复" not in listing + page


def test_customers_read_a_pending_ticket_as_waiting_for_their_reply(client):
    from tickets.links import ticket_private_url

    ticket = new_ticket(status=Status.PENDING)

    page = client.get(ticket_private_url(ticket)).content.decode()

    assert "Waiting for your reply" in page
    assert "Waiting on the customer" not in page


def test_team_names_are_in_chinese_in_the_chinese_admin(client, agent):
    team = Team.objects.get(code="transactions")
    ticket = new_ticket()
    chinese = {"accept-language": "zh-hans"}

    listing = client.get(LIST, headers=chinese).content.decode()
    page = client.get(change_url(ticket), headers=chinese).content.decode()

    assert team.name_zh_hans
    assert team.name_zh_hans != team.name_en
    assert re.search(rf'team__id__exact={team.pk}[^"]*">\s*{team.name_zh_hans}\s*<', listing)
    assert team.name_zh_hans in page
    english = client.get(LIST, headers={"accept-language": "en"}).content.decode()
    assert re.search(rf'team__id__exact={team.pk}[^"]*">\s*{team.name_en}\s*<', english)


@pytest.mark.parametrize(
    ("language", "greeting"), [("en", "Hello there, "), ("zh-hans", "尊敬的客户您好，")]
)
def test_the_canned_greeting_never_calls_the_customer_by_their_email(agent, language, greeting):
    from tickets.admin.queue import canned_replies

    ticket = new_ticket(language=language, customer_name="")

    replies = canned_replies(ticket=ticket, agent=agent)

    assert replies[0].startswith(greeting)
    assert all(ticket.customer_email not in reply for reply in replies)


def test_canned_replies_fit_the_problem_type(agent):
    from tickets.admin.queue import canned_replies

    frozen = new_ticket(problem_type="account_frozen")
    transfer = new_ticket(problem_type="abnormal_transaction")

    frozen_replies = " ".join(canned_replies(ticket=frozen, agent=agent))
    transfer_replies = " ".join(canned_replies(ticket=transfer, agent=agent))

    assert "transaction hash" not in frozen_replies
    assert "frozen" in frozen_replies
    assert "transaction hash" in transfer_replies
    assert "frozen" not in transfer_replies


def test_canned_replies_offered_only_in_their_languages(agent, settings):
    from tickets.admin.queue import canned_replies

    settings.SUPPORT_CANNED_REPLIES = [
        {"text": "English only", "languages": ["en"]},
        {"text": "Everyone"},
    ]

    assert canned_replies(ticket=new_ticket(language="en"), agent=agent) == [
        "English only",
        "Everyone",
    ]
    assert canned_replies(ticket=new_ticket(language="zh-hans"), agent=agent) == ["Everyone"]


@pytest.mark.parametrize(("language", "heading"), [("en", "By view"), ("zh-hans", "按视图")])
def test_filter_headings_read_in_the_agents_language(client, agent, language, heading):
    new_ticket()

    page = client.get(LIST, headers={"accept-language": language}).content.decode()

    assert heading in page
    assert "By 视图" not in page
    assert "以 视图" not in page


@pytest.mark.parametrize(
    ("language", "merged", "updated"),
    [
        ("en", "1 ticket merged into", "1 ticket updated."),
        ("zh-hans", "已将 1 个工单合并到", "已更新 1 个工单。"),
    ],
)
def test_one_merged_or_updated_ticket_reads_in_the_singular(
    client, agent, language, merged, updated
):
    first, copy, other = new_ticket(), new_ticket(), new_ticket()
    headers = {"accept-language": language}

    merging = client.post(
        LIST,
        {"action": "merge_duplicates", "_selected_action": [first.pk, copy.pk]},
        headers=headers,
        follow=True,
    ).content.decode()
    resolving = client.post(
        LIST,
        {"action": "mark_resolved", "_selected_action": [other.pk]},
        headers=headers,
        follow=True,
    ).content.decode()

    assert merged in merging
    assert "1 tickets" not in merging
    assert updated in resolving


# --- the work list and the workspace (issue 20) ----------------------------------------------


def test_the_queue_is_a_work_list_of_six_columns(client, agent):
    ticket = new_ticket(assignee=agent, customer_name="Mei Lin")

    page = client.get(LIST).content.decode()

    columns = re.findall(r'<th scope="col" class="[^"]*column-([a-z_]+)', page)
    assert columns == [
        "reference",
        "customer_display",
        "problem_type",
        "due",
        "assignee_display",
        "last_activity",
    ]
    assert cell(page, "customer_display") == [f"Mei Lin{ticket.subject}"]
    assert cell(page, "assignee_display") == [agent.agent_profile.display_name]
    assert 'class="sla sla-' in page


def test_the_queue_never_wraps_a_row(client, agent):
    from django.contrib.staticfiles import finders

    new_ticket()

    page = client.get(LIST).content.decode()
    with open(finders.find("css/admin-theme.css"), encoding="utf-8") as css:
        theme = css.read()

    assert "/static/css/admin-theme.css" in page
    assert re.search(r"#result_list th, #result_list td \{ white-space: nowrap;", theme)


def test_the_ticket_page_is_a_workspace_with_the_reply_box_beside_the_conversation(client, agent):
    ticket = new_ticket()

    page = client.get(change_url(ticket)).content.decode()

    main = page.index('class="workspace-main"')
    side = page.index('class="workspace-side"')
    assert main < page.index('id="thread-title"') < page.index('id="reply-form"') < side
    assert side < page.index('id="evidence-title"') < page.index('name="status"')
    assert page.index('name="status"') < page.index('class="workspace-below"')


# --- what a page costs, at any size (issue 20: no worse than before the workspace) ---------

# The statements of one render as measured at a million tickets (docs/benchmarks.md): the list
# for an agent and for an admin (who also gets the reassign fields' choices), the ticket page.
LIST_QUERIES = {"agent": 12, "admin": 10}
TICKET_PAGE_QUERIES = {"agent": 14, "admin": 14}


def busy_ticket(agents, *, messages: int, transaction_hash: str = "0x" + "ab" * 32):
    """A ticket with a thread of `messages` from several agents, attachments, evidence, an
    announcement tag and another ticket about the same transaction."""
    from tests.support.factories import make_announcement

    ticket = new_ticket(
        evidence={"asset": "USDT", "amount": "20"},
        transaction_hash=transaction_hash,
        assignee=agents[0],
    )
    new_ticket(email="other@example.com", transaction_hash=transaction_hash)
    for number in range(messages):
        message = services.message_post_agent(
            ticket=ticket,
            author=agents[number % len(agents)],
            body=f"Looking at it ({number}).",
            is_internal=True,
        )
        if number % 3 == 0:
            message.attachments.create(
                file=png_upload(),
                name=f"proof-{number}.png",
                content_type="image/png",
                size=68,
                sha256="0" * 64,
            )
    make_announcement(title_en="Tron withdrawals delayed").tickets.add(ticket)
    return ticket


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_the_list_costs_a_fixed_number_of_queries_whoever_is_assigned(client, superuser, role):
    viewer = make_agent("transactions") if role == "agent" else superuser
    login_with_second_factor(client, viewer)
    colleagues = [make_agent("transactions") for _ in range(4)]
    for number in range(40):
        new_ticket(assignee=colleagues[number % 4], customer_name=f"Customer {number}")
    client.get(LIST)  # the process's first admin page also loads content types

    with CaptureQueriesContext(connection) as queries:
        page = client.get(LIST).content.decode()

    # The new columns (customer, the assignee's display name) come with the page's one query.
    assert set(cell(page, "assignee_display")) == {c.agent_profile.display_name for c in colleagues}
    assert len(queries) == LIST_QUERIES[role], "\n".join(q["sql"][:120] for q in queries)


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_the_ticket_page_costs_a_fixed_number_of_queries_whatever_its_thread(
    client, superuser, role
):
    viewer = make_agent("transactions") if role == "agent" else superuser
    login_with_second_factor(client, viewer)
    agents = [make_agent("transactions") for _ in range(3)]
    short = busy_ticket(agents, messages=2, transaction_hash="0x" + "cd" * 32)
    long = busy_ticket(agents, messages=30)
    client.get(change_url(short))  # the process's first admin page also loads content types

    counted = {}
    for name, ticket in (("short", short), ("long", long)):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(change_url(ticket)).status_code == 200
        counted[name] = queries
    assert len(counted["short"]) == len(counted["long"]) == TICKET_PAGE_QUERIES[role], "\n".join(
        q["sql"][:120] for q in counted["long"]
    )


def test_the_ticket_page_loads_the_ticket_once(client, agent):
    ticket = new_ticket()

    with CaptureQueriesContext(connection) as queries:
        assert client.get(change_url(ticket)).status_code == 200

    loads = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT "tickets_ticket"."id"')
        and re.search(rf'"tickets_ticket"\."id" = {ticket.pk}\b', q["sql"])
    ]
    assert len(loads) == 1, loads
