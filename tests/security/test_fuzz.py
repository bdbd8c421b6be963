"""Generated input (Hypothesis) against the forms and the chat sockets.

Whatever is sent: no server error, no exception escaping a view or a consumer, and either the
thing was saved whole (the ticket with its message, event and files) or nothing was.

Each test is one pytest test holding many examples: the database and the client are the test's,
so the tests compare row counts before and after each example instead of starting empty, and
clear the cache (rate limits, the chat's availability) before each one.
"""

import json
import os
from types import SimpleNamespace
from uuid import uuid4

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import CharField
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from mnemonic import Mnemonic

from faq.models import ArticleVote
from guard.detect import contains_secret
from livechat.consumers import AgentConsumer, ChatConsumer, valid_unicode
from livechat.limits import MAX_FRAME_BYTES
from tests.support.attacks import media_files, png_bytes, row_counts, xss
from tests.support.chat import communicator, new_client_id, run, staff_cookie, visitor_cookie
from tests.support.factories import (
    contact_data,
    make_agent,
    make_article,
    make_category,
    make_conversation,
)
from tickets import services
from tickets.forms import ContactForm
from tickets.links import ticket_token
from tickets.models import Message, ProblemType, Ticket, TicketEvent

pytestmark = pytest.mark.usefixtures("no_rate_limits")

FUZZ = settings(
    max_examples=40,
    deadline=None,
    # The same examples on every run, so CI never fails by chance; FUZZ_EXPLORE=1 draws new ones
    # (then keep any failure it finds as a test of its own).
    derandomize=not os.environ.get("FUZZ_EXPLORE"),
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
    """A real BIP-39 phrase (12 to 24 words) from generated entropy."""
    entropy = st.sampled_from([16, 20, 24, 28, 32]).flatmap(
        lambda n: st.binary(min_size=n, max_size=n)
    )
    return entropy.map(Mnemonic(language).to_mnemonic)


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


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    # A browser sends a base name; the multipart parser's own cleaning is tested elsewhere.
    name = name.replace("/", "").replace("\\", "").strip()
    return SimpleUploadedFile(name if name not in {"", ".", ".."} else "x", content, "image/png")


def attachment_strategy() -> st.SearchStrategy[SimpleUploadedFile | None]:
    content = st.one_of(
        st.just(png_bytes()),
        st.binary(max_size=200),
        st.binary(max_size=200).map(lambda tail: b"\x89PNG\r\n\x1a\n" + tail),
        st.binary(max_size=200).map(lambda tail: b"%PDF-1.7\n" + tail + b"\n%%EOF"),
    )
    return st.one_of(
        st.none(),
        st.builds(upload, st.text(CHARACTERS, max_size=40), content),
    )


def changes(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


def assert_secret_not_echoed(response, typed: dict[str, str]) -> None:
    """A recovery phrase, key or card number typed in a text field never comes back. (Unless
    it is also inside another field's text, where the guard may not see it: a phrase glued to
    other words is a documented blind spot of guard.detect.)"""
    page = response.content.decode()
    for name, value in typed.items():
        elsewhere = any(value in other for key, other in typed.items() if key != name)
        if value and not elsewhere and contains_secret(value):
            assert value not in page


# --- the contact form -----------------------------------------------------------------------

# Where any text of the right length is valid.
FREE_TEXT_FIELDS = {
    "name",
    "subject",
    "description",
    "asset",
    "counterparty",
    "error_message",
    "notice_text",
}


@pytest.mark.django_db
@FUZZ
@given(problem_type=st.sampled_from(ProblemType.values), data=st.data())
def test_contact_form_saves_a_whole_ticket_or_nothing(client, problem_type, data):
    cache.clear()
    fields = ContactForm(problem_type=problem_type).fields
    form_fields = [
        name for name in fields if name not in {"attachments", "problem_type", "submission_key"}
    ]
    # Mostly the fields where any text may do, so that many tickets are filed; sometimes any.
    free_text = [name for name in form_fields if name in FREE_TEXT_FIELDS]
    typed = data.draw(
        st.dictionaries(st.sampled_from(free_text), FIELD_TEXT)
        | st.dictionaries(st.sampled_from(form_fields), FIELD_TEXT),
        label="typed",
    )
    dropped = data.draw(st.sets(st.sampled_from(form_fields), max_size=2), label="dropped")
    attachment = data.draw(attachment_strategy(), label="attachment")
    post = contact_data(problem_type, submission_key=str(uuid4()), **typed)
    for name in dropped:
        post.pop(name, None)
    if attachment is not None:
        post["attachments"] = [attachment]
    before, files_before = row_counts(), len(media_files())

    response = client.post(f"{reverse('tickets:contact')}?type={problem_type}", post)

    changed = changes(before, row_counts())
    event(f"answered {response.status_code}")
    if response.status_code == 302:
        ticket = Ticket.objects.get(submission_key=post["submission_key"])
        attached = ticket.messages.get().attachments.count()
        assert changed == {"Ticket": 1, "Message": 1, "TicketEvent": 1} | (
            {"Attachment": attached} if attached else {}
        )
        assert ticket.events.get().kind == TicketEvent.Kind.CREATED
        assert len(media_files()) == files_before + attached
    else:
        assert response.status_code == 400
        assert set(changed) <= {"GuardEvent"}
        assert len(media_files()) == files_before
        # Choice fields echo a bad value in their error; only a forged post can put one there.
        assert_secret_not_echoed(
            response,
            {name: text for name, text in typed.items() if type(fields[name]) is CharField},
        )


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
@given(body=st.one_of(st.none(), FIELD_TEXT), attachment=attachment_strategy())
def test_customer_reply_saves_a_whole_message_or_nothing(client, open_ticket, body, attachment):
    cache.clear()
    post = {} if body is None else {"body": body}
    if attachment is not None:
        post["attachments"] = [attachment]
    before, files_before = row_counts(), len(media_files())

    response = client.post(reverse("tickets:reply", args=[ticket_token(open_ticket)]), post)

    changed = changes(before, row_counts())
    event(f"answered {response.status_code}")
    if response.status_code == 302:
        message = Message.objects.filter(ticket=open_ticket).latest("id")
        attached = message.attachments.count()
        assert message.body == body.strip()
        assert changed == {"Message": 1, "TicketEvent": 1} | (
            {"Attachment": attached} if attached else {}
        )
        assert len(media_files()) == files_before + attached
    else:
        assert response.status_code == 400
        assert set(changed) <= {"GuardEvent"}
        assert len(media_files()) == files_before
        # The page shows the thread, which holds earlier examples' accepted replies (a phrase
        # glued to other words goes unseen, guard.detect): look at the form's answer only.
        page = response.content.decode()
        assert 'id="reply-title"' in page
        form_part = page.split('id="reply-title"', 1)[1]
        assert_secret_not_echoed(SimpleNamespace(content=form_part.encode()), {"body": body or ""})


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

    search = client.post(reverse("faq:search"), {"q": query})
    suggest = client.post(reverse("faq:suggest"), {"q": query})
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
    | st.integers()
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
    typed=st.dictionaries(st.sampled_from(["name", "message"]), FIELD_TEXT)
    | st.dictionaries(st.sampled_from(START_FIELDS), FIELD_TEXT),
    dropped=st.sets(st.sampled_from(START_FIELDS), max_size=1),
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
    event(f"answered {response.status_code}")
    if response.status_code in {201, 202, 302}:
        ticket = Ticket.objects.latest("id")
        assert changed == {"Ticket": 1, "Message": 1, "TicketEvent": 1} | (
            {"Conversation": 1} if response.status_code != 202 else {}
        )
        assert ticket.channel == "chat"
    else:
        assert response.status_code == 400
        assert set(changed) <= {"GuardEvent"}


# --- the chat sockets -----------------------------------------------------------------------

CUSTOMER_HANDLERS = ChatConsumer.handlers
AGENT_HANDLERS = AgentConsumer.handlers
EVENT_TYPES = {"status", "message", "read", "typing", "error", "queue"}
# Sent last: its "unknown type" error, after those the frames earned, says all were handled.
SENTINEL = json.dumps({"type": "sentinel"})


def frames(handlers: dict, conversation_ids: st.SearchStrategy) -> st.SearchStrategy[str]:
    """Text frames: protocol-shaped objects with wrong, missing and huge values, other JSON,
    and text that is not JSON at all."""
    shaped = st.fixed_dictionaries(
        {"type": st.one_of(st.sampled_from(sorted(handlers)), st.text(CHARACTERS, max_size=10))},
        optional={
            "body": st.one_of(FIELD_TEXT, JSON_VALUES),
            "client_id": st.one_of(st.uuids().map(str), JSON_VALUES),
            "after": st.one_of(st.integers(min_value=-1), JSON_VALUES),
            "up_to": st.one_of(st.integers(min_value=-1), JSON_VALUES),
            "conversation": st.one_of(conversation_ids, JSON_VALUES),
            "availability": st.one_of(st.sampled_from(["online", "away", "offline"]), JSON_VALUES),
            "agent": JSON_VALUES,
            "team": JSON_VALUES,
        },
    )
    message = st.fixed_dictionaries(
        {"type": st.just("message"), "body": FIELD_TEXT, "client_id": st.uuids().map(str)},
        optional={"conversation": conversation_ids},
    )
    return st.one_of(
        shaped.map(json.dumps),
        message.map(json.dumps),  # well-formed, so that some are stored
        JSON_VALUES.map(json.dumps),
        st.text(CHARACTERS, max_size=60),
        hostile_frames(handlers),
    )


# Text JSON can carry but Unicode cannot: lone surrogates, written as \ud800 escapes.
SURROGATE_TEXT = st.text(st.characters(categories=("Cs",)) | CHARACTERS, min_size=1, max_size=8)


def hostile_frames(handlers: dict) -> st.SearchStrategy[str]:
    """What a hand-written attack sends: lone surrogates in any field, nesting deeper than any
    parser goes, integers of thousands of digits."""
    surrogate = st.fixed_dictionaries(
        {
            "type": st.one_of(st.sampled_from(sorted(handlers)), SURROGATE_TEXT),
            "body": SURROGATE_TEXT,
            "client_id": st.uuids().map(str),
        },
        optional={"conversation": SURROGATE_TEXT, "availability": SURROGATE_TEXT},
    ).map(json.dumps)
    field = st.sampled_from(["body", "after", "up_to", "conversation", "client_id", "type"])
    deep = st.tuples(st.sampled_from(sorted(handlers)), field, st.integers(900, 6000)).map(
        lambda drawn: (
            json.dumps({"type": drawn[0]})[:-1]
            + f', "{drawn[1]}": '
            + "[" * drawn[2]
            + "]" * drawn[2]
            + "}"
        )
    )
    huge = st.tuples(st.sampled_from(["after", "up_to"]), st.integers(4301, 5000)).map(
        lambda drawn: '{"type": "resume", "' + drawn[0] + '": ' + "9" * drawn[1] + "}"
    )
    return st.one_of(surrogate, deep, huge)


def parsed(frame: str) -> dict | None:
    """The frame as the consumer reads it: a JSON object within the size limit, or None."""
    if len(frame.encode()) > MAX_FRAME_BYTES:
        return None
    try:
        content = json.loads(frame)
    except (ValueError, RecursionError):
        return None
    if not isinstance(content, dict) or not valid_unicode(content):
        return None
    return content


def unknown_type_errors(sent: list[str], handlers: dict) -> int:
    return sum(
        1
        for frame in sent
        if (content := parsed(frame)) is not None
        and not (isinstance(content.get("type"), str) and content["type"] in handlers)
    )


async def exchange(socket, sent: list[str], handlers: dict) -> list[dict]:
    """Send each frame (then the sentinel) and collect what comes back until the sentinel is
    answered: the socket survived them all and still answers."""
    for frame in [*sent, SENTINEL]:
        # Not socket.send_to(): it refuses an empty frame, which a client may well send.
        await socket.send_input({"type": "websocket.receive", "text": frame})
    events, unknown = [], unknown_type_errors(sent, handlers) + 1
    while unknown:
        event = await socket.receive_json_from()
        events.append(event)
        unknown -= event.get("code") == "unknown_type"
    return events


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@settings(FUZZ, max_examples=30)
@given(data=st.data())
def test_chat_socket_survives_any_frame_and_stores_whole_messages(data):
    cache.clear()
    conversation = make_conversation("fuzz-visitor")
    cookie = visitor_cookie("fuzz-visitor")
    ids = st.sampled_from([str(conversation.public_id), "not-a-uuid"])
    sent = data.draw(st.lists(frames(CUSTOMER_HANDLERS, ids), min_size=1, max_size=6))
    resume = json.dumps({"type": "resume", "after": 0})
    first = conversation.ticket.messages.get()

    async def scenario():
        socket = communicator(f"/ws/chat/{conversation.public_id}/", cookie)
        assert (await socket.connect())[0]
        await socket.receive_json_from()
        events = await exchange(socket, [*sent, resume], CUSTOMER_HANDLERS)
        await socket.disconnect()
        return events

    events = run(scenario)

    assert {event["type"] for event in events} <= EVENT_TYPES
    assert all(event["message"] for event in events if event["type"] == "error")
    # Each stored message is one that was sent, whole, and the history gives it back.
    shown = {event["id"] for event in events if event["type"] == "message"}
    sent_messages = [
        (content.get("body"), str(content.get("client_id")))
        for frame in sent
        if (content := parsed(frame))
    ]
    for message in conversation.ticket.messages.exclude(pk=first.pk):
        assert (message.body, str(message.client_id)) in sent_messages
        assert message.id in shown
    stored = conversation.ticket.messages.count() - 1
    event(f"messages stored: {min(stored, 2)}{'+' if stored >= 2 else ''}")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@settings(FUZZ, max_examples=20)
@given(data=st.data())
def test_agent_socket_survives_any_frame(agent_for_sockets, data):
    cache.clear()
    conversation = make_conversation(f"visitor-{uuid4().hex}")
    ids = st.sampled_from([str(conversation.public_id), "not-a-uuid", ""])
    sent = data.draw(st.lists(frames(AGENT_HANDLERS, ids), min_size=1, max_size=6))

    async def scenario():
        socket = communicator("/ws/agent/", agent_for_sockets)
        assert (await socket.connect())[0]
        await socket.receive_json_from()
        events = await exchange(socket, sent, AGENT_HANDLERS)
        await socket.disconnect()
        return events

    events = run(scenario)

    assert {event["type"] for event in events} <= EVENT_TYPES
    assert all(event["message"] for event in events if event["type"] == "error")


@pytest.fixture
def agent_for_sockets(django_db_serialized_rollback, transactional_db) -> bytes:
    """The session cookie of an agent (with the second factor), kept for every example."""
    return staff_cookie(make_agent("transactions"))


# --- bugs the fuzzer found, pinned (the frames are left out of the fuzzing above) -----------


def answer_to(frame: dict, *, agent: bool = False) -> dict:
    conversation = make_conversation("bug-visitor")
    cookie = staff_cookie(make_agent("transactions")) if agent else visitor_cookie("bug-visitor")
    path = "/ws/agent/" if agent else f"/ws/chat/{conversation.public_id}/"

    async def scenario():
        socket = communicator(path, cookie)
        assert (await socket.connect())[0]
        await socket.receive_json_from()
        await socket.send_json_to(frame)
        # A consumer that died raises its exception here, when the wait ends.
        answer = await socket.receive_json_from()
        await socket.disconnect()
        return answer

    return run(scenario)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("kind", [[], {}], ids=["list", "object"])
def test_socket_frame_type_of_any_json_kind_gets_an_error_event(kind):
    assert answer_to({"type": kind})["code"] == "unknown_type"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_socket_huge_read_mark_gets_an_error_event():
    assert answer_to({"type": "read", "up_to": 10**30})["code"] == "invalid"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_socket_message_with_a_nul_character_is_refused():
    frame = {"type": "message", "body": "my\x00transfer", "client_id": new_client_id()}

    answer = answer_to(frame)

    assert answer["type"] == "error"
    # Checked in Python: SQLite's LIKE stops at a NUL, and PostgreSQL cannot hold one at all.
    assert not any("\x00" in body for body in Message.objects.values_list("body", flat=True))


@pytest.mark.django_db
def test_chat_page_message_with_a_nul_character_is_refused(client):
    conversation = make_conversation("bug-visitor")
    session = client.session
    session["chat_visitor"] = "bug-visitor"
    session.save()

    client.post(reverse("livechat:send", args=[conversation.public_id]), {"body": "my\x00transfer"})

    # Checked in Python: SQLite's LIKE stops at a NUL, and PostgreSQL cannot hold one at all.
    assert not any("\x00" in body for body in Message.objects.values_list("body", flat=True))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("kind", ["close", "transfer"])
def test_agent_socket_unknown_conversation_gets_an_error_event(kind):
    frame = {"type": kind, "conversation": str(uuid4()), "agent": "A0001"}

    assert answer_to(frame, agent=True)["type"] == "error"
