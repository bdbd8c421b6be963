"""Tickets through the API: filed with the contact form's rules, seen only by their customer."""

import copy
from uuid import uuid4

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guard.models import GuardEvent
from tests.support import guard_corpus as corpus
from tests.support.api import ACCOUNT_ID, EMAIL, TRANSACTION, client_with, issue, web_ticket
from tests.support.factories import png_upload
from tickets.models import Channel, Message, Status, Ticket
from tickets.services import message_post_agent, ticket_change_status

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


def transaction(**evidence) -> dict:
    data = copy.deepcopy(TRANSACTION)
    data["evidence"].update(evidence)
    return data


def url(ticket: Ticket, tail: str = "") -> str:
    return f"{TICKETS}{ticket.reference}/{tail}"


# --- filing ----------------------------------------------------------------------------------


def test_filing_a_ticket_keeps_the_evidence_and_the_tokens_identity(api):
    response = api.post(TICKETS, transaction(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    ticket = Ticket.objects.get(reference=body["reference"])
    assert ticket.channel == Channel.IN_APP
    assert (ticket.customer_email, ticket.wallet_account_id) == (EMAIL, ACCOUNT_ID)
    assert ticket.transaction_hash == "ab" * 32  # TRON hashes are stored without 0x
    assert ticket.evidence["amount"] == "150.5"
    assert ticket.evidence["transaction_at"].startswith("2026-01-20T09:30:00+08:00")
    assert body["status"] == "new"
    # "about 2 hours" in business hours, "by 09:30 tomorrow (UTC+8)" outside them
    # (tests/tickets/test_promises.py pins both)
    assert body["expected_first_response"].startswith(("about ", "by "))
    assert body["messages"][0]["body"] == TRANSACTION["description"]
    assert {"question": "Asset or currency", "answer": "USDT"} in body["evidence_display"]


def test_filing_checks_the_evidence_like_the_contact_form(api):
    response = api.post(TICKETS, transaction(transaction_hash="0x1234", amount="-3"), format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"evidence.transaction_hash", "evidence.amount"}
    assert "TRON" in error["fields"]["evidence.transaction_hash"][0]
    assert not Ticket.objects.exists()


def test_filing_needs_the_facts_of_the_problem_type(api):
    data = transaction()
    del data["evidence"]["network"]
    data["evidence"]["favourite_colour"] = "blue"

    response = api.post(TICKETS, data, format="json")

    assert response.status_code == 400
    # Named no fact of any problem type, the key is refused without being repeated.
    assert set(response.json()["error"]["fields"]) == {"evidence"}
    data["evidence"].pop("favourite_colour")
    assert "evidence.network" in api.post(TICKETS, data, format="json").json()["error"]["fields"]


def test_filing_asks_for_the_evidence_of_the_problem_type_table(api, monkeypatch):
    from dataclasses import replace

    from django import forms

    from tickets.models import ProblemType
    from tickets.problem_types import PROBLEM_TYPES

    def schema() -> dict[str, forms.Field]:
        return {"app_version": forms.CharField(label="App version", max_length=20)}

    other = PROBLEM_TYPES[ProblemType.OTHER]
    monkeypatch.setitem(PROBLEM_TYPES, ProblemType.OTHER, replace(other, evidence=schema))
    data = {**transaction(), "problem_type": "other", "evidence": {}}

    missing = api.post(TICKETS, data, format="json")
    filed = api.post(TICKETS, {**data, "evidence": {"app_version": "5.2.1"}}, format="json")

    assert set(missing.json()["error"]["fields"]) == {"evidence.app_version"}
    assert filed.status_code == 201, filed.json()
    assert Ticket.objects.get(reference=filed.json()["reference"]).evidence == {
        "app_version": "5.2.1"
    }


def test_evidence_values_must_be_text_or_numbers(api):
    response = api.post(TICKETS, transaction(asset=["USDT"]), format="json")

    assert response.status_code == 400
    assert "evidence.asset" in response.json()["error"]["fields"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_recovery_phrase_is_refused_counted_and_never_echoed(token, language):
    phrase = " ".join(corpus.phrase_words("english", 12, seed=7))
    data = {**TRANSACTION, "description": f"Support asked for my words: {phrase} please help"}

    response = client_with(token, language).post(TICKETS, data, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "secret_refused"
    assert ("助记词" in error["message"]) == (language == "zh-hans")
    assert list(error["fields"]) == ["description"]
    assert phrase not in response.content.decode()
    assert not Ticket.objects.exists()
    event = GuardEvent.objects.get()
    assert (event.source, event.field, event.customer_email) == ("api", "description", EMAIL)


def test_same_submission_key_files_one_ticket(api):
    data = {**transaction(), "submission_key": str(uuid4())}

    first = api.post(TICKETS, data, format="json")
    again = api.post(TICKETS, data, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["reference"] == again.json()["reference"]
    assert Ticket.objects.count() == 1


def test_another_users_submission_key_is_refused_without_showing_their_ticket(api):
    data = {**transaction(), "submission_key": str(uuid4())}
    theirs = client_with(issue("WA-99999", "someone@example.com")).post(
        TICKETS, data, format="json"
    )

    response = api.post(TICKETS, data, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "submission_key_used"
    assert theirs.json()["reference"] not in response.content.decode()


# --- what the user sees ----------------------------------------------------------------------


def test_list_shows_own_tickets_only_newest_first_paginated(api):
    own_web = web_ticket(email="LI.WEI@example.com")  # the same address, typed in capitals
    own_app = api.post(TICKETS, transaction(), format="json").json()["reference"]
    web_ticket(email="someone@example.com")
    # Someone typed Li Wei's account ID on the website: not proof of anything.
    web_ticket(email="someone@example.com", wallet_account_id=ACCOUNT_ID)

    first = api.get(TICKETS, {"page_size": 1})
    second = api.get(first.json()["next"])

    assert first.status_code == 200
    assert first.json()["count"] == 2
    assert [t["reference"] for t in first.json()["results"] + second.json()["results"]] == [
        own_app,
        own_web.reference,
    ]


def test_in_app_tickets_follow_the_account_after_an_email_change(api_secret):
    filed = client_with(issue()).post(TICKETS, transaction(), format="json").json()["reference"]

    renamed = client_with(issue(email="new.address@example.com")).get(TICKETS)

    assert [t["reference"] for t in renamed.json()["results"]] == [filed]


def test_list_query_count_does_not_grow_with_tickets(api, django_assert_max_num_queries):
    for _ in range(5):
        web_ticket()

    with django_assert_max_num_queries(3):
        response = api.get(TICKETS)

    assert response.json()["count"] == 5


def test_detail_shows_the_conversation_without_internal_notes(api, staff_user):
    ticket = web_ticket()
    message_post_agent(ticket=ticket, author=staff_user, body="Checking with payments.")
    message_post_agent(
        ticket=ticket, author=staff_user, body="Looks like fraud, escalate.", is_internal=True
    )

    response = api.get(url(ticket))

    assert response.status_code == 200
    bodies = [message["body"] for message in response.json()["messages"]]
    assert bodies == [ticket.messages.first().body, "Checking with payments."]
    assert response.json()["messages"][1]["sender"] == "agent"
    assert "fraud" not in response.content.decode()


def test_another_users_ticket_is_404_everywhere(api, staff_user):
    theirs = web_ticket(email="someone@example.com")

    for method, tail in [
        ("get", ""),
        ("post", "messages/"),
        ("post", "rating/"),
        ("post", "status/"),
        ("get", "attachments/1/"),
    ]:
        response = getattr(api, method)(url(theirs, tail), {}, format="json")
        assert response.status_code == 404, tail
        assert response.json()["error"]["code"] == "not_found"
    assert theirs.messages.count() == 1


def test_a_reference_that_cannot_be_one_is_404_without_a_query(api, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        # PostgreSQL would refuse the NUL outright; no query is made for it.
        response = api.get(f"{TICKETS}WS-AB%00CD/")

    assert response.status_code == 404


# --- replies, files, rating, status ----------------------------------------------------------


def test_reply_reopens_a_ticket_waiting_for_the_customer(api, staff_user):
    ticket = web_ticket()
    ticket_change_status(ticket=ticket, status=Status.PENDING)

    response = api.post(url(ticket, "messages/"), {"body": "Here is more detail."}, format="json")

    assert response.status_code == 201
    assert response.json()["sender"] == "customer"
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.messages.last().channel == Channel.IN_APP


def test_reply_on_a_closed_ticket_is_a_conflict(api):
    ticket = web_ticket()
    ticket_change_status(ticket=ticket, status=Status.CLOSED)

    response = api.post(url(ticket, "messages/"), {"body": "Hello?"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "closed"


def test_reply_with_a_private_key_is_refused(api):
    ticket = web_ticket()

    response = api.post(url(ticket, "messages/"), {"body": corpus.wif(3, compressed=True)})

    assert response.json()["error"]["code"] == "secret_refused"
    assert ticket.messages.count() == 1
    assert GuardEvent.objects.get().ticket == ticket


def test_reply_completing_a_key_split_across_replies_is_refused(api):
    ticket = web_ticket()
    key = corpus.wif(4, compressed=True)

    first = api.post(url(ticket, "messages/"), {"body": f"my key starts {key[:30]}"})
    second = api.post(url(ticket, "messages/"), {"body": key[30:]})

    assert first.status_code == 201
    assert second.json()["error"]["code"] == "secret_refused"
    assert ticket.messages.count() == 2
    assert GuardEvent.objects.get().ticket == ticket


def test_files_upload_and_download_through_the_api(api):
    ticket = web_ticket()

    upload = api.post(
        url(ticket, "attachments/"),
        {"attachments": [png_upload("receipt.png")], "body": "The receipt"},
        format="multipart",
    )

    assert upload.status_code == 201, upload.json()
    attachment = upload.json()["attachments"][0]
    assert (attachment["name"], attachment["content_type"]) == ("receipt.png", "image/png")
    download = api.get(attachment["url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")


def test_reply_may_carry_files_as_multipart(api):
    ticket = web_ticket()

    response = api.post(
        url(ticket, "messages/"),
        {"body": "Screenshot attached", "attachments": [png_upload()]},
        format="multipart",
    )

    assert response.status_code == 201
    assert len(response.json()["attachments"]) == 1


def test_upload_that_is_not_an_image_or_pdf_is_refused(api):
    ticket = web_ticket()
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00 not really a png", "image/png")

    response = api.post(url(ticket, "attachments/"), {"attachments": [fake]}, format="multipart")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["attachments"]
    assert ticket.messages.count() == 1


def test_internal_notes_files_and_other_tickets_files_are_404(api, staff_user):
    ticket, other = web_ticket(), web_ticket()
    uploaded = api.post(url(other, "attachments/"), {"attachments": [png_upload()]}, "multipart")
    attachment_id = uploaded.json()["attachments"][0]["id"]

    response = api.get(url(ticket, f"attachments/{attachment_id}/"))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_rating_only_once_resolved(api):
    ticket = web_ticket()

    early = api.post(url(ticket, "rating/"), {"rating": 5}, format="json")
    ticket_change_status(ticket=ticket, status=Status.RESOLVED)
    out_of_range = api.post(url(ticket, "rating/"), {"rating": 6}, format="json")
    rated = api.post(url(ticket, "rating/"), {"rating": 4, "comment": "Quick"}, format="json")

    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_resolved")
    assert out_of_range.status_code == 400
    assert rated.status_code == 200
    assert (rated.json()["satisfaction_rating"], rated.json()["satisfaction_comment"]) == (
        4,
        "Quick",
    )


def test_close_and_reopen(api):
    ticket = web_ticket()

    closed = api.post(url(ticket, "status/"), {"status": "closed"}, format="json")
    reopened = api.post(url(ticket, "status/"), {"status": "open"}, format="json")
    resolved = api.post(url(ticket, "status/"), {"status": "resolved"}, format="json")

    assert closed.json()["status"] == "closed"
    assert reopened.json()["status"] == "open"
    assert resolved.status_code == 400  # customers close or reopen; agents resolve


def test_posts_are_rate_limited_per_app_user_with_retry_after(api, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "ticket_reply": {"address": "100/10m", "session": "2/10m"},
    }
    ticket = web_ticket()
    other_user = client_with(issue("WA-20000", "other@example.com"))
    other_ticket = web_ticket(email="other@example.com")

    answers = [
        api.post(url(ticket, "messages/"), {"body": f"Reply {n}"}, format="json") for n in range(3)
    ]
    other = other_user.post(url(other_ticket, "messages/"), {"body": "Mine"}, format="json")

    assert [answer.status_code for answer in answers] == [201, 201, 429]
    error = answers[2].json()["error"]
    assert error["code"] == "rate_limited"
    assert int(answers[2]["Retry-After"]) == error["retry_after"] > 0
    assert other.status_code == 201  # counted per app user, not per address
    assert Message.objects.filter(ticket=ticket).count() == 3


def test_a_recovery_phrase_in_a_rating_comment_is_refused_and_counted(api):
    ticket = web_ticket()
    ticket_change_status(ticket=ticket, status=Status.RESOLVED)
    phrase = " ".join(corpus.phrase_words("english", 12, seed=11))

    response = api.post(
        url(ticket, "rating/"), {"rating": 5, "comment": f"my words {phrase}"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "secret_refused"
    assert phrase not in response.content.decode()
    assert GuardEvent.objects.filter(ticket=ticket, source=GuardEvent.Source.API).exists()
    ticket.refresh_from_db()
    assert ticket.satisfaction_rating is None
