"""The guard's one write: a secret is refused and counted once per field, and never kept."""

import logging

import pytest
from django.db import connection

from guard.detect import SecretKind
from guard.models import GuardEvent
from guard.refusals import Refusal
from guard.services import refusals_record, secrets_refuse
from tests.support import guard_corpus as corpus
from tests.support.factories import make_ticket

pytestmark = pytest.mark.django_db

PHRASE = " ".join(corpus.phrase_words("english", 12, 21))
CHINESE_PHRASE = "".join(corpus.phrase_words("chinese_simplified", 12, 21))
WIF = corpus.wif(21, compressed=True)
CARD = "4111 1111 1111 1111"
TXID = "a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d"
# 64 hex digits with a key word too far before it to decide: a key in free text, a hash in a
# transaction-hash field.
UNDECIDED_HEX = f"my private key, copied from the app settings page yesterday evening: {TXID}"


def guard_event_text() -> str:
    """Every column of every guard event, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tickets_guardevent")
        return "\n".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("secret", "kind"),
    [
        (f"they asked for my words: {PHRASE}", SecretKind.RECOVERY_PHRASE),
        (f"助记词：{CHINESE_PHRASE}", SecretKind.RECOVERY_PHRASE),
        (f"key {WIF}", SecretKind.PRIVATE_KEY),
        (f"card {CARD}", SecretKind.CARD_NUMBER),
    ],
    ids=["english-phrase", "chinese-phrase", "wif", "card"],
)
@pytest.mark.parametrize("field", ["subject", "description", "name"])
def test_a_secret_in_any_value_is_refused_and_counted_once_without_the_text(
    caplog, field, secret, kind
):
    values = {"subject": "My transfer", "description": "It has not arrived.", "name": "Li Wei"}
    values[field] = secret

    with caplog.at_level(logging.DEBUG):
        refusals = secrets_refuse(
            values, source=GuardEvent.Source.CONTACT_FORM, customer_email="li.wei@example.com"
        )

    assert refusals == [Refusal(field, kind)]
    event = GuardEvent.objects.get()
    assert (event.source, event.kind, event.field, event.customer_email) == (
        "contact_form",
        kind,
        field,
        "li.wei@example.com",
    )
    assert event.ticket is None
    assert secret not in guard_event_text()
    assert secret.split()[-1] not in guard_event_text()
    assert f"guard refused a {kind} in contact_form (ticket -)" in caplog.text
    assert secret not in caplog.text
    assert secret.split()[-1] not in caplog.text


def test_each_refused_field_is_one_event_on_the_ticket_and_one_log_line(caplog):
    ticket = make_ticket()

    with caplog.at_level(logging.WARNING, logger="guard.services"):
        refusals = secrets_refuse(
            {"body": f"seed {PHRASE}", "comment": f"key {WIF}", "note": "Thank you."},
            source=GuardEvent.Source.API,
            ticket=ticket,
        )

    assert [(refusal.field, refusal.kind) for refusal in refusals] == [
        ("body", SecretKind.RECOVERY_PHRASE),
        ("comment", SecretKind.PRIVATE_KEY),
    ]
    events = GuardEvent.objects.order_by("field")
    assert [(event.field, event.kind, event.ticket) for event in events] == [
        ("body", "recovery_phrase", ticket),
        ("comment", "private_key", ticket),
    ]
    assert caplog.text.count(f"(ticket {ticket.reference})") == 2
    assert PHRASE not in caplog.text + guard_event_text()
    assert WIF not in caplog.text + guard_event_text()


@pytest.mark.parametrize(
    "values",
    [
        {"description": "I sent BTC to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq yesterday."},
        {"description": "我昨天提现到银行卡，页面一直显示处理中。"},
        {"description": "", "attachments": ["a.png"], "rating": 5},
        {"transaction_hash": UNDECIDED_HEX},
    ],
    ids=["address", "chinese", "not-text", "hash-field"],
)
def test_clean_values_are_let_through_and_record_nothing(caplog, values):
    with caplog.at_level(logging.DEBUG, logger="guard.services"):
        refusals = secrets_refuse(
            values, source=GuardEvent.Source.CONTACT_FORM, hash_fields={"transaction_hash"}
        )

    assert refusals == []
    assert not GuardEvent.objects.exists()
    assert not [record for record in caplog.records if record.name == "guard.services"]


def test_the_same_hex_outside_a_hash_field_is_refused_as_a_key():
    refusals = secrets_refuse(
        {"description": UNDECIDED_HEX, "transaction_hash": UNDECIDED_HEX},
        source=GuardEvent.Source.CONTACT_FORM,
        hash_fields={"transaction_hash"},
    )

    assert refusals == [Refusal("description", SecretKind.PRIVATE_KEY)]
    assert GuardEvent.objects.get().field == "description"


def test_refusals_a_form_found_are_recorded_as_they_are():
    refusals_record(
        [Refusal("x" * 60, SecretKind.CARD_NUMBER)],
        source=GuardEvent.Source.CHAT,
        customer_email=f"{'a' * 250}@example.com",
    )
    refusals_record([], source=GuardEvent.Source.CHAT)

    event = GuardEvent.objects.get()
    # A field name or address longer than its column is cut, never refused again.
    assert (event.kind, event.field, len(event.customer_email)) == ("card_number", "x" * 40, 254)
