"""Every way the app sends text refuses a secret as the site does: one guard event per refused
field (kind and field only), nothing saved, the text never sent back."""

import pytest

from guard.models import GuardEvent
from tests.support import guard_corpus as corpus
from tests.support.api import EMAIL, web_ticket
from tests.support.channels import ALWAYS_OPEN
from tests.support.factories import make_agent, png_upload
from tickets.models import Message, Status, Ticket
from tickets.services import ticket_change_status

pytestmark = pytest.mark.django_db

PHRASE = " ".join(corpus.phrase_words("english", 12, seed=31))
WIF = corpus.wif(31, compressed=True)


def events() -> list[tuple]:
    return sorted(
        GuardEvent.objects.values_list("source", "field", "kind", "ticket_id", "customer_email")
    )


def test_filing_counts_each_refused_field_once(api):
    data = {
        "problem_type": "other",
        "subject": f"my key {WIF}",
        "description": f"Someone from support asked for my words: {PHRASE}. Was that you?",
        "name": "Li Wei",
    }

    response = api.post("/api/v1/tickets/", data, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "secret_refused"
    assert PHRASE not in response.content.decode()
    assert WIF not in response.content.decode()
    assert events() == [
        ("api", "description", "recovery_phrase", None, EMAIL),
        ("api", "subject", "private_key", None, EMAIL),
    ]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("tail", "data", "field", "encoding"),
    [
        ("messages/", {"body": f"my words: {PHRASE}"}, "body", "json"),
        (
            "attachments/",
            {"attachments": [png_upload()], "body": f"key {WIF}"},
            "body",
            "multipart",
        ),
        ("rating/", {"rating": 5, "comment": f"my words: {PHRASE}"}, "comment", "json"),
    ],
    ids=["reply", "files", "rating"],
)
def test_ticket_posts_count_the_refused_field_once_on_the_ticket(api, tail, data, field, encoding):
    ticket = web_ticket()
    ticket_change_status(ticket=ticket, status=Status.RESOLVED)
    before = Message.objects.count()

    response = api.post(f"/api/v1/tickets/{ticket.reference}/{tail}", data, format=encoding)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "secret_refused"
    assert PHRASE not in response.content.decode()
    assert WIF not in response.content.decode()
    kind = "private_key" if tail == "attachments/" else "recovery_phrase"
    assert events() == [("api", field, kind, ticket.pk, "")]
    assert Message.objects.count() == before
    ticket.refresh_from_db()
    assert ticket.satisfaction_rating is None


def test_a_chat_start_counts_the_refused_message_once(api, settings):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    make_agent("payments", console=True)
    data = {"problem_type": "topup_withdrawal", "name": "Li Wei", "message": f"words {PHRASE}"}

    response = api.post("/api/v1/chats/", data, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "secret_refused"
    assert events() == [("api", "message", "recovery_phrase", None, EMAIL)]
    assert not Ticket.objects.exists()


def test_clean_posts_count_nothing(api):
    ticket = web_ticket()

    reply = api.post(
        f"/api/v1/tickets/{ticket.reference}/messages/", {"body": "Any news?"}, format="json"
    )

    assert reply.status_code == 201
    assert events() == []


@pytest.mark.parametrize(
    ("path", "field"),
    [("/api/v1/tickets/", "problem_type"), ("/api/v1/chats/", "problem_type")],
)
def test_a_secret_sent_as_a_choice_is_refused_without_being_sent_back(api, path, field):
    """A choice field's error names no value: the wallet app shows it, and the value could be a
    phrase pasted into the wrong box."""
    data = {
        "problem_type": "other",
        "subject": "My withdrawal",
        "description": "My withdrawal has been pending since this morning, please check.",
        "message": "My withdrawal has been pending since this morning, please check.",
        "name": "Li Wei",
        field: PHRASE,
    }

    response = api.post(path, data, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert PHRASE not in response.content.decode()
    assert not Ticket.objects.exists()
