"""The recovery-phrase guard wherever a customer types: refused, counted, never stored or logged."""

import logging

import pytest
from django.db import connection
from django.urls import reverse

from guard.models import GuardEvent
from tests.support import guard_corpus as corpus
from tests.support.factories import contact_data
from tickets.links import ticket_token
from tickets.models import Message, ProblemType, Ticket

PHRASE = " ".join(corpus.phrase_words("english", 12, 7))
CHINESE_PHRASE = "".join(corpus.phrase_words("chinese_simplified", 12, 7))
WIF = corpus.wif(3, compressed=True)


def database_text() -> str:
    """Every text column of the desk's tables, to prove a secret never reached them."""
    with connection.cursor() as cursor:
        rows = []
        for table in (
            "tickets_ticket",
            "tickets_message",
            "tickets_guardevent",
            "tickets_ticketevent",
        ):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            rows.extend(str(row) for row in cursor.fetchall())
    return "\n".join(rows)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "secret", "kind"),
    [
        (
            "description",
            f"Support asked me for my words: {PHRASE}. Is that right?",
            "recovery_phrase",
        ),
        ("description", f"我的助记词是：{CHINESE_PHRASE}，请帮我看看", "recovery_phrase"),
        ("subject", f"private key {WIF}", "private_key"),
        ("counterparty", "card 4111 1111 1111 1111", "card_number"),
        ("name", PHRASE, "recovery_phrase"),
    ],
    ids=["english-phrase", "chinese-phrase", "wif-in-subject", "card", "phrase-as-name"],
)
def test_guard_refuses_secret_in_contact_form(client, caplog, field, secret, kind):
    data = contact_data(ProblemType.ABNORMAL_TRANSACTION, **{field: secret})

    with caplog.at_level(logging.DEBUG):
        response = client.post(f"{reverse('tickets:contact')}?type=abnormal_transaction", data)

    content = response.content.decode()
    assert response.status_code == 400
    assert "never" in content
    assert secret not in content
    assert Ticket.objects.count() == 0
    event = GuardEvent.objects.get()
    assert (event.kind, event.field, event.source) == (kind, field, "contact_form")
    assert event.customer_email == "li.wei@example.com"
    assert secret not in database_text()
    assert secret not in caplog.text
    assert data["email"] in content  # the rest of the input is kept


@pytest.mark.django_db
def test_guard_lets_transaction_hash_and_addresses_through(
    client, django_capture_on_commit_callbacks
):
    data = contact_data(
        ProblemType.ABNORMAL_TRANSACTION,
        description=(
            "I sent BTC to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq and the explorer shows "
            "txid a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d as confirmed."
        ),
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{reverse('tickets:contact')}?type=abnormal_transaction", data)

    assert response.status_code == 302
    assert GuardEvent.objects.count() == 0


@pytest.mark.django_db
def test_guard_lets_ordinary_chinese_through(client, django_capture_on_commit_callbacks):
    data = contact_data(
        ProblemType.TOPUP_WITHDRAWAL,
        description="我昨天提现到银行卡，页面一直显示处理中，已经超过二十四小时了，请帮我查一下原因。",
        subject="提现一直处理中",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{reverse('tickets:contact')}?type=topup_withdrawal", data)

    assert response.status_code == 302


@pytest.mark.django_db
def test_guard_refuses_secret_in_reply_and_counts_it_on_the_ticket(client, ticket, caplog):
    url = reverse("tickets:reply", args=[ticket_token(ticket)])

    with caplog.at_level(logging.DEBUG):
        response = client.post(url, {"body": f"my seed: {PHRASE}"})

    assert response.status_code == 400
    assert PHRASE not in response.content.decode()
    assert not Message.objects.filter(
        body__contains=PHRASE.split()[0] + " " + PHRASE.split()[1]
    ).exists()
    assert GuardEvent.objects.get().ticket == ticket
    assert PHRASE not in caplog.text
    assert PHRASE not in database_text()


@pytest.mark.django_db
def test_guard_refuses_a_reply_completing_a_phrase_split_across_replies(
    client, ticket, django_capture_on_commit_callbacks
):
    url = reverse("tickets:reply", args=[ticket_token(ticket)])
    words = PHRASE.split()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"body": " ".join(words[:6])})
        second = client.post(url, {"body": "and " + " ".join(words[6:])})

    assert first.status_code == 302
    assert second.status_code == 400
    assert not Message.objects.filter(body__contains=" ".join(words[6:8])).exists()
    assert GuardEvent.objects.get().ticket == ticket


@pytest.mark.django_db
def test_guard_refuses_secret_in_rating_comment(client, ticket):
    from tickets import services

    services.ticket_change_status(ticket=ticket, status="resolved")

    response = client.post(
        reverse("tickets:rate", args=[ticket_token(ticket)]), {"rating": "5", "comment": PHRASE}
    )

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.satisfaction_comment == ""
