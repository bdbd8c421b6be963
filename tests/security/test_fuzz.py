"""Generated input (Hypothesis) against the forms and the chat sockets.

Whatever is sent: no server error, no exception escaping a view or a consumer, and either the
thing was saved whole (the ticket with its message, event and files) or nothing was.

Each test is one pytest test holding many examples: the database and the client are the test's,
so the tests compare row counts before and after each example instead of starting empty, and
clear the cache (rate limits, the chat's availability) before each one.
"""

import json
from uuid import uuid4

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mnemonic import Mnemonic

from faq.models import ArticleVote
from tests.faq.factories import make_article, make_category
from tests.livechat.conftest import (
    communicator,
    make_conversation,
    new_client_id,
    run,
    staff_cookie,
    visitor_cookie,
)
from tests.security.conftest import png_bytes, row_counts, xss
from tests.tickets.conftest import contact_data
from tests.tickets.factories import make_agent
from tickets import services
from tickets.forms import ContactForm
from tickets.guard import contains_secret
from tickets.links import ticket_token
from tickets.models import Message, ProblemType, Ticket, TicketEvent

pytestmark = pytest.mark.usefixtures("no_rate_limits")

FUZZ = settings(
    max_examples=40,
    deadline=None,
    # The client and database are the test's own; each example resets what it needs.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CHAT_OPEN = [
    {"code": "live_chat", "hours": "always", "response_minutes": 3, "url_name": "livechat:chat"}
]

# --- what a customer might type -------------------------------------------------------------

# Lone surrogates cannot be encoded as UTF-8, so no browser can send them.
CHARACTERS = st.characters(exclude_categories=("Cs",))
CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
CONTROL = st.characters(categories=("Cc", "Cf"))


def recovery_phrase(language: str) -> st.SearchStrategy[str]:
    words = Mnemonic(language)
    return (
        st.binary(min_size=16, max_size=32).filter(lambda e: len(e) % 4 == 0).map(words.to_mnemonic)
    )


TEXT = st.one_of(
    st.text(CHARACTERS, max_size=200),
    st.text(CHINESE, min_size=1, max_size=60),
    st.text(CONTROL, min_size=1, max_size=10),
    # Past every length limit, without asking Hypothesis for 10,000 random characters.
    st.builds(
        lambda unit, times: unit * times,
        st.text(CHARACTERS, min_size=1, max_size=8),
        st.integers(500, 3000),
    ),
    recovery_phrase("english"),
    recovery_phrase("chinese_simplified"),
    st.sampled_from(
        [
            xss("fuzz"),
            "",
            " ",
            "\x00",
            "%s%n",
            "{{ 7|add:7 }}{% debug %}",
            "' OR 1=1 --",
            "../../etc/passwd",
            "0x" + "ab" * 32,
            "1e999999",
            "NaN",
            "-1",
            "9999-12-31T23:59",
            "0001-01-01T00:00",
        ]
    ),
)
# Several pieces glued together: a phrase inside ordinary text, control characters in Chinese.
FIELD_TEXT = st.lists(TEXT, min_size=1, max_size=3).map("".join)


def attachment_strategy() -> st.SearchStrategy[SimpleUploadedFile | None]:
    content = st.one_of(
        st.just(png_bytes()),
        st.binary(max_size=200),
        st.binary(max_size=200).map(lambda tail: b"\x89PNG\r\n\x1a\n" + tail),
        st.binary(max_size=200).map(lambda tail: b"%PDF-1.7\n" + tail + b"\n%%EOF"),
    )
    return st.one_of(
        st.none(),
        st.builds(
            lambda name, body: SimpleUploadedFile(name or "x", body, content_type="image/png"),
            st.text(CHARACTERS, max_size=40),
            content,
        ),
    )


def changes(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


def stored_file_count(settings_module) -> int:
    from pathlib import Path

    root = Path(settings_module.MEDIA_ROOT)
    return sum(1 for path in root.rglob("*") if path.is_file()) if root.exists() else 0


def assert_secret_not_echoed(response, typed: dict[str, str]) -> None:
    """A recovery phrase, key or card number typed in a text field never comes back."""
    page = response.content.decode()
    for value in typed.values():
        if value and contains_secret(value):
            assert value not in page


# --- the contact form -----------------------------------------------------------------------


@pytest.mark.django_db
@FUZZ
@given(problem_type=st.sampled_from(ProblemType.values), data=st.data())
def test_contact_form_saves_a_whole_ticket_or_nothing(client, settings, problem_type, data):
    cache.clear()
    form_fields = [
        name
        for name in ContactForm(problem_type=problem_type).fields
        if name not in {"attachments", "problem_type", "submission_key"}
    ]
    typed = data.draw(st.dictionaries(st.sampled_from(form_fields), FIELD_TEXT), label="typed")
    dropped = data.draw(st.sets(st.sampled_from(form_fields)), label="dropped")
    upload = data.draw(attachment_strategy(), label="attachment")
    post = contact_data(problem_type, submission_key=str(uuid4()), **typed)
    for name in dropped:
        post.pop(name, None)
    if upload is not None:
        post["attachments"] = [upload]
    before, files_before = row_counts(), stored_file_count(settings)

    response = client.post(f"{reverse('tickets:contact')}?type={problem_type}", post)

    changed = changes(before, row_counts())
    if response.status_code == 302:
        ticket = Ticket.objects.get(submission_key=post["submission_key"])
        attached = ticket.messages.get().attachments.count()
        assert changed == {"Ticket": 1, "Message": 1, "TicketEvent": 1} | (
            {"Attachment": attached} if attached else {}
        )
        assert ticket.events.get().kind == TicketEvent.Kind.CREATED
        assert stored_file_count(settings) == files_before + attached
    else:
        assert response.status_code == 400
        assert set(changed) <= {"GuardEvent"}
        assert stored_file_count(settings) == files_before
        assert_secret_not_echoed(response, typed)


# --- the customer's reply -------------------------------------------------------------------


@pytest.fixture
def open_ticket(db):
    return services.ticket_create(
        problem_type="other",
        channel="web",
        subject="Fuzzed ticket",
        description="A ticket that receives every kind of reply the fuzzer can think of.",
        customer_email="fuzz@example.com",
    )


@pytest.mark.django_db
@FUZZ
@given(body=st.one_of(st.none(), FIELD_TEXT), upload=attachment_strategy())
def test_customer_reply_saves_a_whole_message_or_nothing(
    client, settings, open_ticket, body, upload
):
    cache.clear()
    post = {} if body is None else {"body": body}
    if upload is not None:
        post["attachments"] = [upload]
    before, files_before = row_counts(), stored_file_count(settings)

    response = client.post(reverse("tickets:reply", args=[ticket_token(open_ticket)]), post)

    changed = changes(before, row_counts())
    if response.status_code == 302:
        message = Message.objects.filter(ticket=open_ticket).latest("id")
        attached = message.attachments.count()
        assert message.body == body
        assert changed == {"Message": 1, "TicketEvent": 1} | (
            {"Attachment": attached} if attached else {}
        )
        assert stored_file_count(settings) == files_before + attached
    else:
        assert response.status_code == 400
        assert set(changed) <= {"GuardEvent"}
        assert stored_file_count(settings) == files_before
        assert_secret_not_echoed(response, post if body else {})


# --- the help centre and /verify/ -----------------------------------------------------------


@pytest.fixture
def article(db):
    return make_article(make_category())


@pytest.mark.django_db
@FUZZ
@given(query=FIELD_TEXT, helpful=st.one_of(st.none(), FIELD_TEXT, st.sampled_from(["yes", "no"])))
def test_faq_search_suggest_and_vote_never_fail(client, article, query, helpful):
    cache.clear()
    before = ArticleVote.objects.count()

    search = client.get(reverse("faq:search"), {"q": query})
    suggest = client.get(reverse("faq:suggest"), {"q": query})
    vote = client.post(
        reverse("faq:vote", args=[article.category.slug, article.slug]),
        {} if helpful is None else {"helpful": helpful},
        HTTP_ACCEPT="application/json",
    )

    assert search.status_code == 200
    assert suggest.status_code == 200
    assert isinstance(suggest.json()["results"], list)
    assert vote.status_code in {200, 400}
    added = ArticleVote.objects.count() - before
    assert added == (1 if vote.json().get("recorded") else 0)
    if helpful not in {"yes", "no"}:
        assert vote.status_code == 400


@pytest.mark.django_db
@FUZZ
@given(code=st.one_of(st.none(), FIELD_TEXT))
def test_verify_page_never_fails_and_saves_nothing(client, code):
    cache.clear()
    before = row_counts()

    response = client.post(reverse("livechat:verify"), {} if code is None else {"code": code})

    assert response.status_code == 200
    assert row_counts() == before


# --- starting a chat ------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(CHARACTERS, max_size=40),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(CHARACTERS, max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
START_FIELDS = ("name", "email", "problem_type", "message")


@pytest.fixture
def chat_open(settings, db):
    settings.SUPPORT_CHANNELS = CHAT_OPEN
    return make_agent("transactions")


@pytest.mark.django_db
@FUZZ
@given(
    typed=st.dictionaries(st.sampled_from(START_FIELDS), FIELD_TEXT),
    dropped=st.sets(st.sampled_from(START_FIELDS)),
    as_json=st.booleans(),
    raw_json=st.one_of(st.none(), JSON_VALUES.map(json.dumps), st.text(CHARACTERS, max_size=40)),
)
def test_chat_start_opens_a_whole_chat_or_nothing(
    client, chat_open, typed, dropped, as_json, raw_json
):
    cache.clear()
    post = {
        "name": "Mei",
        "email": "mei@example.com",
        "problem_type": "abnormal_transaction",
        "message": "My transfer has been pending since this morning.",
    } | typed
    for name in dropped:
        post.pop(name, None)
    before = row_counts()

    if as_json:
        body = raw_json if raw_json is not None else json.dumps(post)
        response = client.post(reverse("livechat:start"), body, content_type="application/json")
    else:
        response = client.post(reverse("livechat:start"), post)

    changed = changes(before, row_counts())
    if response.status_code in {201, 202, 302}:
        ticket = Ticket.objects.latest("id")
        assert changed == {"Ticket": 1, "Message": 1, "TicketEvent": 1} | (
            {"Conversation": 1} if response.status_code != 202 else {}
        )
        assert ticket.channel == "chat"
    else:
        assert response.status_code == 400
        assert set(changed) <= {"GuardEvent"}
