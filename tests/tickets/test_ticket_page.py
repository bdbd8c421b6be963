"""The customer's ticket page: private-link access, replies, close and reopen, rating."""

import base64
import json
import logging
from datetime import timedelta

import pytest
import time_machine
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from tests.support.factories import png_upload
from tests.support.guard_corpus import phrase_words
from tickets import services
from tickets.links import SALT, ticket_private_url, ticket_token
from tickets.models import Message, Status, Ticket


def token_of(ticket: Ticket) -> str:
    return ticket_token(ticket)


def swap_reference_keep_signature(token: str, reference: str) -> str:
    """What an attacker can do without SECRET_KEY: edit the payload, keep the old signature."""
    payload, _, signature = token.partition(":")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["r"] = reference
    edited = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
    return edited.decode().rstrip("=") + ":" + signature


@pytest.mark.django_db
def test_ticket_page_opens_with_the_private_link(client, ticket):
    response = client.get(ticket_private_url(ticket))

    content = response.content.decode()
    assert response.status_code == 200
    assert ticket.reference in content
    assert "Transfer not received" in content
    assert 'name="robots" content="noindex' in content


@pytest.mark.django_db
def test_ticket_page_hides_internal_notes(client, ticket, staff_user):
    services.message_post_agent(
        ticket=ticket, author=staff_user, body="Internal: check AML flag", is_internal=True
    )

    content = client.get(ticket_private_url(ticket)).content.decode()

    assert "check AML flag" not in content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: swap_reference_keep_signature(token, "WS-AAAAAAAA"),
        lambda token: "WS-AAAAAAAA",
        lambda token: "",
    ],
    ids=["changed-signature", "changed-payload", "guessed-reference", "empty"],
)
def test_ticket_page_altered_or_guessed_link_shows_nothing_and_is_logged(
    client, ticket, caplog, mangle
):
    bad = mangle(token_of(ticket))

    with caplog.at_level(logging.WARNING, logger="tickets.views"):
        response = client.get(f"/tickets/{bad}/") if bad else client.get("/tickets//")

    assert response.status_code == 404
    assert ticket.reference not in response.content.decode()
    if bad:
        assert "refused ticket link" in caplog.text


@pytest.mark.django_db
def test_ticket_link_of_one_ticket_never_opens_another(client, ticket):
    other = services.ticket_create(
        problem_type="other",
        channel="web",
        subject="Second ticket",
        description="Another customer's private problem, with enough words to be valid.",
        customer_email="someone.else@example.com",
    )
    edited = swap_reference_keep_signature(token_of(ticket), other.reference)
    # Even correctly signed (a leaked key), a link bound to one ticket's key opens no other.
    first_key = signing.loads(token_of(ticket), salt=SALT)["k"]
    signed_wrong_key = signing.dumps({"r": other.reference, "k": first_key}, salt=SALT)

    for forged in (edited, signed_wrong_key):
        response = client.get(f"/tickets/{forged}/")
        assert response.status_code == 404
        assert "Second ticket" not in response.content.decode()


@pytest.mark.django_db
def test_ticket_link_revoked_when_access_key_rotates(client, ticket):
    url = ticket_private_url(ticket)
    Ticket.objects.filter(pk=ticket.pk).update(access_key="rotated")

    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_ticket_link_expires_and_offers_a_new_one(client, ticket, settings):
    settings.TICKET_LINK_MAX_AGE_DAYS = 90
    url = ticket_private_url(ticket)

    with time_machine.travel(timezone.now() + timedelta(days=91)):
        response = client.get(url)

    assert response.status_code == 410
    assert reverse("tickets:new_link") in response.content.decode()


@pytest.mark.django_db
def test_new_link_is_mailed_only_when_reference_and_email_match(
    client, ticket, django_capture_on_commit_callbacks
):
    url = reverse("tickets:new_link")
    with django_capture_on_commit_callbacks(execute=True):
        wrong = client.post(
            url, {"reference": ticket.reference, "email": "x@example.com"}, follow=True
        )
        right = client.post(
            url, {"reference": ticket.reference.lower(), "email": "LI.WEI@example.com"}, follow=True
        )

    assert wrong.content.decode().count("If the reference and email match") == 1
    assert right.content.decode().count("If the reference and email match") == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["li.wei@example.com"]


@pytest.mark.django_db
def test_customer_reply_is_saved_with_attachment_and_emailed_to_support(
    client, ticket, django_capture_on_commit_callbacks, settings
):
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.PENDING)
    url = reverse("tickets:reply", args=[token_of(ticket)])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"body": "Here is the receipt.", "attachments": [png_upload()]})

    assert response.status_code == 302
    reply = ticket.messages.latest("id")
    assert reply.body == "Here is the receipt."
    assert reply.attachments.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert mail.outbox[-1].to == [settings.SUPPORT_INBOX_EMAIL]
    assert f"[{ticket.reference}]" in mail.outbox[-1].subject


@pytest.mark.django_db
def test_customer_reply_empty_is_refused(client, ticket):
    response = client.post(reverse("tickets:reply", args=[token_of(ticket)]), {"body": ""})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert ticket.messages.count() == 1


@pytest.mark.django_db
def test_customer_closes_and_reopens(client, ticket):
    token = token_of(ticket)

    client.post(reverse("tickets:change_status", args=[token, "close"]))
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.closed_at is not None
    closed_reply = client.post(reverse("tickets:reply", args=[token]), {"body": "Hello again"})
    assert (
        closed_reply.status_code == 405 or Message.objects.filter(body="Hello again").count() == 0
    )

    client.post(reverse("tickets:change_status", args=[token, "reopen"]))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.closed_at is None
    assert list(ticket.events.filter(kind="status").values_list("new_value", flat=True)) == [
        "closed",
        "open",
    ]


@pytest.mark.django_db
def test_unknown_status_action_is_404(client, ticket):
    response = client.post(reverse("tickets:change_status", args=[token_of(ticket), "delete"]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_rating_only_once_resolved(client, ticket):
    url = reverse("tickets:rate", args=[token_of(ticket)])

    early = client.post(url, {"rating": "5"}, follow=True)
    ticket.refresh_from_db()
    assert ticket.satisfaction_rating is None
    assert "once the ticket is resolved" in early.content.decode()

    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED)
    page = client.get(ticket_private_url(ticket)).content.decode()
    assert "Rate our help" in page
    client.post(url, {"rating": "4", "comment": "Quick and clear"})
    ticket.refresh_from_db()
    assert ticket.satisfaction_rating == 4
    assert ticket.satisfaction_comment == "Quick and clear"


@pytest.mark.django_db
@pytest.mark.parametrize("rating", ["0", "6", "abc", ""])
def test_rating_out_of_range_is_refused(client, ticket, rating):
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED)

    response = client.post(reverse("tickets:rate", args=[token_of(ticket)]), {"rating": rating})

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.satisfaction_rating is None


@pytest.mark.django_db
def test_attachment_of_another_ticket_is_404(client, ticket, django_capture_on_commit_callbacks):
    other = services.ticket_create(
        problem_type="other",
        channel="web",
        subject="Other",
        description="Another ticket with a screenshot attached to its first message.",
        customer_email="b@example.com",
        attachments=[],
    )
    client.post(
        reverse("tickets:reply", args=[token_of(other)]),
        {"body": "file", "attachments": [png_upload()]},
    )
    attachment = other.messages.latest("id").attachments.get()

    response = client.get(reverse("tickets:attachment", args=[token_of(ticket), attachment.pk]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_signed_in_owner_reaches_their_ticket_by_reference(client, ticket, django_user_model):
    owner = django_user_model.objects.create_user(username="li", password="a-long-password-1")
    stranger = django_user_model.objects.create_user(username="x", password="a-long-password-2")
    Ticket.objects.filter(pk=ticket.pk).update(customer=owner)
    url = reverse("tickets:owned", args=[ticket.reference])

    assert client.get(url).status_code == 404
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(owner)
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert ticket.reference in response.content.decode()


@pytest.mark.django_db
def test_rating_is_one_click_per_value(client, ticket):
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED)

    page = client.get(ticket_private_url(ticket)).content.decode()

    for value in range(1, 6):
        assert f'name="rating" value="{value}"' in page


@pytest.mark.django_db
def test_rating_comment_with_a_recovery_phrase_is_refused_counted_and_never_sent_back(
    client, ticket
):
    phrase = " ".join(phrase_words("english", 12, 5))
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED)

    response = client.post(
        reverse("tickets:rate", args=[token_of(ticket)]), {"rating": "5", "comment": phrase}
    )

    assert response.status_code == 400
    assert phrase not in response.content.decode()
    assert "recovery phrase" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.satisfaction_rating is None
    assert list(ticket.guard_events.values_list("kind", "field")) == [
        ("recovery_phrase", "comment")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "signed"),
    [("en", "Agent {n} (agent code {code})"), ("zh-hans", "Agent {n}（客服工号 {code}）")],
)
def test_agent_reply_is_signed_with_the_agents_name_and_code(client, ticket, language, signed):
    from tests.support.factories import make_agent

    agent = make_agent("transactions")
    profile = agent.agent_profile
    services.message_post_agent(ticket=ticket, author=agent, body="We found your transfer.")

    content = client.get(
        ticket_private_url(ticket), headers={"accept-language": language}
    ).content.decode()

    number = profile.display_name.removeprefix("Agent ")
    assert signed.format(n=number, code=profile.agent_code) in content
    assert "钱包客服</strong>" not in content
    assert "Wallet Support</strong>" not in content


@pytest.mark.django_db
def test_ticket_page_queries_do_not_grow_with_the_thread(client, ticket, staff_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = ticket_private_url(ticket)
    client.get(url)
    with CaptureQueriesContext(connection) as short:
        assert client.get(url).status_code == 200
    for number in range(6):
        services.message_post_agent(
            ticket=ticket, author=staff_user, body=f"Checked block {number}."
        )
        services.message_post_customer(ticket=ticket, body=f"Still waiting {number}.")

    with CaptureQueriesContext(connection) as long:
        response = client.get(url)

    assert "Still waiting 5." in response.content.decode()
    assert len(long) == len(short)
    # The session, the ticket, its thread with authors and attachments, its hold in the session.
    assert len(short) <= 8, [query["sql"][:80] for query in short.captured_queries]
