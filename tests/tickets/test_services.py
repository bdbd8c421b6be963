"""Ticket services: references, transitions, events, threading headers."""

import pytest
from django.core import mail

from tickets import selectors, services
from tickets.models import REFERENCE_ALPHABET, Status, Ticket


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
