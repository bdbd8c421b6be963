"""The desk is no mail relay: each case here mailed or listed what an attacker chose before."""

import json

import pytest
from django.core import mail
from django.urls import reverse

from livechat.models import Conversation
from tests.support.api import client_with, issue
from tests.support.channels import ALWAYS_OPEN
from tests.support.factories import make_agent, make_ticket
from tickets.links import ticket_mailed_url, ticket_private_url

pytestmark = pytest.mark.django_db
BAIT = "URGENT wallet locked call +1 555 0100 now"
VICTIM = "victim@example.com"


def test_confirmation_to_a_typed_address_quotes_no_sender_text(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer_email=VICTIM, customer_name=BAIT, subject=BAIT, description=BAIT)

    sent = mail.outbox[-1]
    assert sent.to == [VICTIM]
    for part in (sent.subject, sent.body, sent.alternatives[0][0]):
        assert "URGENT" not in part
        assert "555" not in part


def test_transcripts_are_limited_per_conversation_and_per_address(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    make_agent("transactions", console=True)
    start = {"name": "Mei", "email": VICTIM, "problem_type": "other", "message": BAIT}
    client.post(reverse("livechat:start"), start)
    conversation = Conversation.objects.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            # A new session each time: the session's own limit is not what stops this.
            client.cookies.clear()
            session = client.session
            session["chat_visitor"] = conversation.visitor_key
            session.save()
            client.cookies["sessionid"] = session.session_key
            client.post(reverse("livechat:transcript", args=[conversation.public_id]))

    assert 1 <= len(mail.outbox) <= 5
    assert all(BAIT not in sent.body for sent in mail.outbox)


def test_new_ticket_links_are_limited_per_ticket(client, django_capture_on_commit_callbacks):
    ticket = make_ticket(customer_email=VICTIM)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        for number in range(20):
            client.post(
                reverse("tickets:new_link"),
                {"reference": ticket.reference, "email": VICTIM},
                REMOTE_ADDR=f"203.0.113.{number}",
            )

    assert 1 <= len(mail.outbox) <= 3


def test_site_ticket_reaches_the_app_only_once_its_address_is_proved(client, settings):
    settings.API_TOKEN_SECRET = "a-test-secret-of-enough-length-for-hmac"
    ticket = make_ticket(customer_email=VICTIM)
    app = client_with(issue(email=VICTIM))

    before = app.get("/api/v1/tickets/").json()
    client.get(ticket_private_url(ticket))  # the link shown after filing proves nothing
    still = app.get("/api/v1/tickets/").json()
    client.get(ticket_mailed_url(ticket).removeprefix(settings.SUPPORT_SITE_URL.rstrip("/")))
    after = app.get("/api/v1/tickets/").json()

    def references(page):
        return [row["reference"] for row in page["results"]]

    assert ticket.reference not in references(before)
    assert ticket.reference not in references(still)
    assert ticket.reference in references(after)


def test_a_forged_proof_verifies_nothing(client):
    ticket = make_ticket(customer_email=VICTIM)

    client.get(ticket_private_url(ticket) + "?proof=" + "A" * 27)

    ticket.refresh_from_db()
    assert ticket.email_verified_at is None


def test_json_start_is_relay_checked_too(client, settings, django_capture_on_commit_callbacks):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    make_agent("transactions", console=True)
    start = {"name": BAIT[:60], "email": VICTIM, "problem_type": "other", "message": BAIT}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("livechat:start"), json.dumps(start), content_type="application/json")

    assert mail.outbox
    assert all("URGENT" not in sent.body for sent in mail.outbox)
