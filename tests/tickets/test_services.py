"""Ticket services: references, transitions, events, threading headers."""

import re

import pytest
from django.core import mail

from agents.models import Team
from inbound.models import InboundEmail
from security.models import AuditEvent
from tests.support.factories import make_agent, make_conversation, make_ticket
from tests.support.rows import rows_of
from tickets import selectors, services
from tickets.links import ticket_from_token, ticket_token
from tickets.models import REFERENCE_ALPHABET, Message, Status, Ticket, TicketEvent


@pytest.mark.django_db
def test_references_are_random_and_readable(ticket):
    references = {ticket.reference}
    for number in range(20):
        references.add(
            services.ticket_create(
                problem_type="other",
                channel="phone",
                subject=f"Call {number}",
                description="A phone call from the customer about their account settings.",
                customer_email="caller@example.com",
            ).reference
        )

    assert len(references) == 21
    for reference in references:
        assert reference.startswith("WS-")
        assert set(reference[3:]) <= set(REFERENCE_ALPHABET)
        assert len(reference) == 11


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (Status.NEW, Status.OPEN, True),
        (Status.OPEN, Status.PENDING, True),
        (Status.RESOLVED, Status.PENDING, False),
        (Status.CLOSED, Status.RESOLVED, False),
        (Status.CLOSED, Status.OPEN, True),
    ],
)
def test_status_transitions_follow_the_table(ticket, start, target, allowed):
    Ticket.objects.filter(pk=ticket.pk).update(status=start)

    if allowed:
        services.ticket_change_status(ticket=ticket, status=target)
        ticket.refresh_from_db()
        assert ticket.status == target
    else:
        with pytest.raises(services.TicketError) as refused:
            services.ticket_change_status(ticket=ticket, status=target)
        assert refused.value.code == "invalid_transition"
        ticket.refresh_from_db()
        assert ticket.status == start


@pytest.mark.django_db
def test_every_change_writes_an_event_with_its_actor(ticket, staff_user):
    services.message_post_agent(ticket=ticket, author=staff_user, body="Looking into it.")
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=staff_user)

    events = list(ticket.events.values_list("kind", "field", "old_value", "new_value", "actor"))
    assert events == [
        ("created", "", "", "new", None),
        ("status", "status", "new", "open", staff_user.pk),
        ("replied", "", "", "agent", staff_user.pk),
        ("status", "status", "open", "resolved", staff_user.pk),
    ]


@pytest.mark.django_db
def test_agent_reply_mails_the_customer_in_the_ticket_thread(
    ticket, staff_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post_agent(ticket=ticket, author=staff_user, body="We found the transfer.")
        services.message_post_agent(ticket=ticket, author=staff_user, body="note", is_internal=True)

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["li.wei@example.com"]
    assert f"[{ticket.reference}]" in sent.subject
    assert "We found the transfer." in sent.body
    assert (
        sent.extra_headers["In-Reply-To"] == f"<ticket.{ticket.reference.lower()}@wallet.example>"
    )
    assert sent.extra_headers["References"] == sent.extra_headers["In-Reply-To"]
    assert sent.reply_to


@pytest.mark.django_db
def test_tickets_reporting_the_same_hash_are_linked(ticket):
    twin = services.ticket_create(
        problem_type="abnormal_transaction",
        channel="web",
        subject="Same transfer",
        description="The same transfer from the receiving side; it has not arrived either.",
        customer_email="other@example.com",
        transaction_hash=ticket.transaction_hash,
        transaction_network="bitcoin",
    )

    assert list(selectors.tickets_sharing_hash(ticket=ticket)) == [twin]
    assert list(selectors.tickets_sharing_hash(ticket=twin)) == [ticket]


@pytest.mark.django_db
def test_ticket_with_invalid_hash_is_refused_by_the_model():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.ticket_create(
            problem_type="abnormal_transaction",
            channel="email",
            subject="x",
            description="A transaction with a malformed hash should never be stored.",
            customer_email="a@example.com",
            transaction_hash="not-a-hash",
            transaction_network="bitcoin",
        )
    assert Ticket.objects.count() == 0


# --- ticket_merge ---------------------------------------------------------------------------


def changes_of(ticket: Ticket) -> list[tuple]:
    """The ticket's history after it was filed and answered: merges, moves, status changes."""
    return list(
        ticket.events.exclude(kind__in=["created", "replied"])
        .order_by("pk")
        .values_list("kind", "field", "old_value", "new_value", "actor")
    )


def merge_state() -> dict:
    return rows_of(Ticket, Message, TicketEvent, AuditEvent, InboundEmail)


@pytest.mark.django_db
def test_ticket_merge_folds_the_copies_into_the_oldest_open_ticket(
    django_capture_on_commit_callbacks,
):
    agent = make_agent("payments")
    solved = make_ticket(customer_email="mei@example.com")
    Ticket.objects.filter(pk=solved.pk).update(status=Status.CLOSED)
    kept = make_ticket(customer_email="mei@example.com")
    copy = make_ticket(customer_email="Mei@Example.com")  # the same address, typed differently
    services.message_post_customer(ticket=copy, body="Any news about my withdrawal?")
    services.ticket_change_status(ticket=copy, status=Status.PENDING, actor=agent)
    old_link = ticket_token(kept)
    messages = sorted(
        Message.objects.filter(ticket__in=[solved, kept, copy]).values_list("pk", flat=True)
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        target = services.ticket_merge(tickets=[copy, solved, kept], actor=agent)

    assert target.pk == kept.pk
    assert list(target.messages.order_by("pk").values_list("pk", flat=True)) == messages
    assert not Message.objects.filter(ticket__in=[solved, copy]).exists()
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {solved.pk: Status.CLOSED, kept.pk: Status.NEW, copy.pk: Status.CLOSED}
    assert changes_of(kept) == [
        ("merged", "reference", "", solved.reference, agent.pk),
        ("merged", "reference", "", copy.reference, agent.pk),
    ]
    # The solved copy stays closed without a second status change; the open one is closed.
    assert changes_of(solved) == [("merged", "merged_into", "", kept.reference, agent.pk)]
    assert changes_of(copy) == [
        ("status", "status", "new", "pending", agent.pk),
        ("merged", "merged_into", "", kept.reference, agent.pk),
        ("status", "status", "pending", "closed", agent.pk),
    ]
    assert list(
        AuditEvent.objects.filter(action="merge").values_list(
            "actor_id", "ticket_reference", "detail"
        )
    ) == [(agent.pk, kept.reference, {"merged": [solved.reference, copy.reference]})]
    # Whoever filed a copy loses the old link; the address on the ticket gets the new one.
    assert ticket_from_token(old_link) is None
    target.refresh_from_db()
    assert ticket_from_token(ticket_token(target)) == target
    [sent] = mail.outbox
    assert sent.to == ["mei@example.com"]
    # The link is dated to the second it was signed: compare the ticket it opens, not its text.
    [token] = re.findall(r"/tickets/([^/\s]+)/", sent.body)
    assert ticket_from_token(token) == target


@pytest.mark.django_db
def test_ticket_merge_accepts_copies_into_a_live_chat():
    agent = make_agent("transactions")
    chat = make_conversation()
    copy = make_ticket(customer_email=chat.ticket.customer_email)

    target = services.ticket_merge(tickets=[copy, chat.ticket], actor=agent)

    assert target.pk == chat.ticket_id
    assert Ticket.objects.get(pk=copy.pk).status == Status.CLOSED
    assert Message.objects.filter(ticket=chat.ticket).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("another_customer", "merge_other_customer"),
        ("chat_merged_away", "merge_chat"),
        ("all_solved", "merge_all_solved"),
        ("one_ticket", "merge_nothing"),
    ],
)
def test_ticket_merge_refusals_leave_every_ticket_as_it_was(
    django_capture_on_commit_callbacks, case, code
):
    agent = make_agent("payments")
    mine = make_ticket(customer_email="mei@example.com")
    if case == "another_customer":
        chosen = [mine, make_ticket(customer_email="someone.else@example.com")]
    elif case == "chat_merged_away":
        chosen = [mine, make_conversation().ticket]
        Ticket.objects.filter(pk=chosen[1].pk).update(customer_email="MEI@example.com")
    elif case == "all_solved":
        chosen = [mine, make_ticket(customer_email="mei@example.com")]
        Ticket.objects.filter(pk=mine.pk).update(status=Status.RESOLVED)
        Ticket.objects.filter(pk=chosen[1].pk).update(status=Status.CLOSED)
    else:
        chosen = [mine, Ticket.objects.get(pk=mine.pk)]
    before = merge_state()
    mail.outbox.clear()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(services.TicketError) as refused,
    ):
        services.ticket_merge(tickets=chosen, actor=agent)

    assert refused.value.code == code
    assert merge_state() == before
    assert callbacks == []
    assert mail.outbox == []


# --- ticket_reassign ------------------------------------------------------------------------


def reassign_state() -> dict:
    return rows_of(Ticket, TicketEvent, AuditEvent)


@pytest.mark.django_db
def test_ticket_reassign_writes_each_change_with_its_old_and_new_value():
    payments, transactions = (
        Team.objects.get(code="payments"),
        Team.objects.get(code="transactions"),
    )
    lead = make_agent("transactions", is_lead=True)
    colleague = make_agent("transactions")
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(team=payments, priority="normal")

    services.ticket_reassign(
        ticket=ticket, actor=lead, team=transactions, assignee=colleague, priority="urgent"
    )

    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee, ticket.priority) == (transactions, colleague, "urgent")
    assert changes_of(ticket) == [
        ("routed", "team", "payments", "transactions", lead.pk),
        ("assigned", "assignee", "", colleague.username, lead.pk),
        ("priority", "priority", "normal", "urgent", lead.pk),
    ]
    assert list(
        AuditEvent.objects.filter(action="reassign").values_list(
            "actor_id", "ticket_reference", "detail"
        )
    ) == [(lead.pk, ticket.reference, {"assignee": colleague.pk, "team": transactions.pk})]


@pytest.mark.django_db
def test_ticket_reassign_taking_a_ticket_off_its_agent_is_written_and_audited():
    agent = make_agent("payments", is_lead=True)
    colleague = make_agent("payments")
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(assignee=colleague)

    services.ticket_reassign(ticket=ticket, actor=agent, assignee=None)

    assert Ticket.objects.get(pk=ticket.pk).assignee is None
    assert changes_of(ticket) == [("assigned", "assignee", colleague.username, "", agent.pk)]
    assert AuditEvent.objects.get(action="reassign").detail == {"assignee": None}


@pytest.mark.django_db
def test_ticket_reassign_of_the_priority_alone_or_by_the_system_is_not_audited():
    agent = make_agent("payments")
    ticket = make_ticket()
    colleague = make_agent("payments")

    services.ticket_reassign(ticket=ticket, actor=agent, priority="low")
    services.ticket_reassign(ticket=ticket, actor=None, assignee=colleague)

    assert changes_of(ticket) == [
        ("priority", "priority", "normal", "low", agent.pk),
        ("assigned", "assignee", "", colleague.username, None),
    ]
    assert Ticket.objects.get(pk=ticket.pk).assignee == colleague
    assert not AuditEvent.objects.filter(action="reassign").exists()


@pytest.mark.django_db
def test_ticket_reassign_to_the_values_it_has_changes_and_writes_nothing():
    agent = make_agent("payments")
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(
        team=Team.objects.get(code="payments"), assignee=agent, priority="high"
    )
    ticket.refresh_from_db()
    before = reassign_state()

    services.ticket_reassign(
        ticket=ticket, actor=agent, team=ticket.team, assignee=agent, priority="high"
    )
    services.ticket_reassign(ticket=ticket, actor=agent)

    assert reassign_state() == before
