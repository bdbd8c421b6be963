"""Rate limits (security/ratelimit.py): every scope refuses past its limit with 429, Retry-After
and a clear message, keeps what the visitor typed and saves nothing; address and session keys,
the window, and the chat socket."""

import json
import logging
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django_ratelimit.core import _split_rate

from faq.models import Article, ArticleVote
from faq.services import help_centre_load
from guard.models import GuardEvent
from livechat.models import Conversation
from security.ratelimit import SCOPES, RateLimited, client_address, rate_limit_hit_client
from tests.support import guard_corpus as corpus
from tests.support.channels import ALWAYS_OPEN
from tests.support.chat import communicator, new_client_id, run, visitor_cookie
from tests.support.factories import VALID_BTC_TXID, contact_data, make_agent, make_conversation
from tickets import services
from tickets.links import ticket_token
from tickets.models import Channel, Message, ProblemType, Status, Ticket

SESSION_LIMIT = 3
ADDRESS_LIMIT = 6
LANGUAGES = ["en", "zh-hans"]
CONTACT = reverse("tickets:contact") + f"?type={ProblemType.OTHER}"
CHAT_START = {
    "name": "Mei",
    "email": "mei@example.com",
    "problem_type": "abnormal_transaction",
    "message": "My USDT transfer shows completed but the exchange did not receive it.",
}


@pytest.fixture(autouse=True)
def tight_limits(settings):
    """Small limits, the same for every scope, so a test reaches them in a few posts."""
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {
        scope: {"address": f"{ADDRESS_LIMIT}/10m", "session": f"{SESSION_LIMIT}/10m"}
        for scope in SCOPES
    }


def visitor(language: str = "en") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language)


def expected_message(response, language: str) -> str:
    """The refusal text as the lead's translation will show it (English until then)."""
    with translation.override(language):
        return RateLimited(scope="any", retry_after=int(response["Retry-After"])).message


def assert_limited(response, language: str) -> str:
    """A 429 with Retry-After (seconds left in the window) and the message in the page."""
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 600
    message = expected_message(response, language)
    if response["Content-Type"].startswith("application/json"):
        assert response.json() == {
            "error": {"code": "rate_limited", "message": message, "retry_after": retry_after}
        }
    else:
        content = response.content.decode()
        assert f'<html lang="{language}"' in content
        assert escape(message) in content
    if language == "en":
        assert message == (
            f"Too many attempts. Please try again in {retry_after} second"
            + ("s." if retry_after != 1 else ".")
        )
    return response.content.decode()


def row_counts() -> dict[str, int]:
    models = (Ticket, Message, GuardEvent, Conversation, ArticleVote)
    return {model.__name__: model.objects.count() for model in models}


def a_ticket() -> Ticket:
    return services.ticket_create(
        problem_type=ProblemType.OTHER,
        channel=Channel.WEB,
        subject="Cannot change my phone number",
        description="The app says my new phone number is already in use by another account.",
        customer_email="li.wei@example.com",
        customer_name="Li Wei",
    )


@pytest.fixture
def chat_open(settings, db):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    return make_agent("transactions", console=True)


# The contact form


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_contact_refused_past_the_session_limit_keeps_the_input_and_saves_nothing(language):
    given = visitor(language)
    too_short = contact_data(ProblemType.OTHER, description="Too short.")
    for _ in range(SESSION_LIMIT):  # invalid attempts count as well
        assert given.post(CONTACT, too_short).status_code == 400
    before = row_counts()

    data = contact_data(ProblemType.OTHER, subject="Withdrawal stuck since 9:00")
    response = given.post(CONTACT, data)

    content = assert_limited(response, language)
    assert 'value="Withdrawal stuck since 9:00"' in content
    assert escape(data["description"]) in content
    assert f'value="{data["submission_key"]}"' in content  # the same submission when re-sent
    assert 'class="field__error' not in content  # not validated: the limit is the one error
    assert row_counts() == before


@pytest.mark.django_db
def test_contact_refused_form_never_sends_a_secret_back_but_keeps_the_transaction_hash():
    given = visitor()
    url = reverse("tickets:contact") + f"?type={ProblemType.ABNORMAL_TRANSACTION}"
    for _ in range(SESSION_LIMIT):
        given.post(url, contact_data(ProblemType.ABNORMAL_TRANSACTION, description="Short."))
    phrase = " ".join(corpus.phrase_words("english", 12, seed=7))
    data = contact_data(ProblemType.ABNORMAL_TRANSACTION, description=f"My words: {phrase} help")

    response = given.post(url, data)

    content = assert_limited(response, "en")
    assert phrase not in content
    assert f'value="{VALID_BTC_TXID}"' in content  # a hash, not a private key
    assert 'value="Problem with my wallet"' in content
    assert GuardEvent.objects.count() == 0


@pytest.mark.django_db
def test_contact_page_views_are_not_counted():
    given = visitor()
    for _ in range(SESSION_LIMIT + 2):
        assert given.get(CONTACT).status_code == 200

    assert given.post(CONTACT, contact_data(ProblemType.OTHER)).status_code == 302


@pytest.mark.django_db
def test_contact_limited_after_the_window_again_accepted():
    given = visitor()
    with time_machine.travel("2026-11-25 09:00:00 +0000", tick=False) as clock:
        for _ in range(SESSION_LIMIT):
            given.post(CONTACT, contact_data(ProblemType.OTHER, description="Too short."))
        refused = given.post(CONTACT, contact_data(ProblemType.OTHER))
        assert refused.status_code == 429

        clock.shift(timedelta(seconds=int(refused["Retry-After"])))
        accepted = given.post(CONTACT, contact_data(ProblemType.OTHER))

    assert accepted.status_code == 302
    assert Ticket.objects.count() == 1


def test_retry_after_is_exactly_when_the_count_resets(settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "verify": {"address": "1/10m", "session": "1/10m"},
    }
    with time_machine.travel("2026-11-25 09:00:00 +0000", tick=False) as clock:
        assert rate_limit_hit_client("verify", address="192.0.2.1", session_key=None) is None
        limited = rate_limit_hit_client("verify", address="192.0.2.1", session_key=None)

        clock.shift(timedelta(seconds=limited.retry_after - 1))
        assert rate_limit_hit_client("verify", address="192.0.2.1", session_key=None)
        clock.shift(timedelta(seconds=1))
        assert rate_limit_hit_client("verify", address="192.0.2.1", session_key=None) is None


# Session and address keys


@pytest.mark.django_db
def test_a_new_session_from_the_same_address_is_still_limited_by_the_address():
    for _ in range(ADDRESS_LIMIT):
        response = visitor().post(CONTACT, contact_data(ProblemType.OTHER, description="Short."))
        assert response.status_code == 400

    fresh = visitor().post(CONTACT, contact_data(ProblemType.OTHER))
    elsewhere = visitor().post(CONTACT, contact_data(ProblemType.OTHER), REMOTE_ADDR="192.0.2.8")

    assert_limited(fresh, "en")
    assert elsewhere.status_code == 302
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_the_same_session_from_other_addresses_is_still_limited_by_the_session():
    given = visitor()
    for number in range(SESSION_LIMIT):
        given.post(
            CONTACT,
            contact_data(ProblemType.OTHER, description="Short."),
            REMOTE_ADDR=f"198.51.100.{number}",
        )

    response = given.post(CONTACT, contact_data(ProblemType.OTHER), REMOTE_ADDR="203.0.113.50")

    assert_limited(response, "en")
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_ipv6_addresses_of_one_64_network_share_the_address_limit():
    for host in range(ADDRESS_LIMIT):
        visitor().post(
            CONTACT,
            contact_data(ProblemType.OTHER, description="Short."),
            REMOTE_ADDR=f"2001:db8:1:2::{host + 1:x}",
        )

    same_network = visitor().post(
        CONTACT, contact_data(ProblemType.OTHER), REMOTE_ADDR="2001:db8:1:2:ffff::9"
    )
    next_network = visitor().post(
        CONTACT, contact_data(ProblemType.OTHER), REMOTE_ADDR="2001:db8:1:3::1"
    )

    assert same_network.status_code == 429
    assert next_network.status_code == 302


def test_client_address_masks_ipv6_to_its_64_and_keeps_ipv4():
    assert client_address("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::"
    assert client_address("203.0.113.9") == "203.0.113.9"
    assert client_address("") is None
    assert client_address("unix-socket") is None


@pytest.mark.django_db
def test_limits_switched_off_never_refuse(settings):
    settings.RATE_LIMITS_ENABLED = False
    given = visitor()

    responses = [
        given.post(CONTACT, contact_data(ProblemType.OTHER, description="Short."))
        for _ in range(SESSION_LIMIT + 2)
    ]

    assert {response.status_code for response in responses} == {400}


def test_a_broken_cache_lets_the_attempt_through_and_logs_it(caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    # On the backend's class, inside the test: the settings fixture swaps the cache object itself.
    backend_class = type(caches["default"])

    with (
        # Both ways of counting (django-ratelimit's, the Redis pipeline) make their keys here.
        mock.patch.object(backend_class, "make_and_validate_key", broken),
        caplog.at_level(logging.WARNING, logger="security.ratelimit"),
    ):
        limited = rate_limit_hit_client("contact", address="192.0.2.1", session_key="abc")

    assert limited is None
    assert "rate limit contact/address not counted" in caplog.text


def test_unknown_scope_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown rate-limit scope"):
        rate_limit_hit_client("contcat", address="192.0.2.1", session_key="abc")


def test_configured_limits_cover_every_scope_and_trust_addresses_more_than_sessions():
    from wallet_support import settings as project_settings

    for scope in SCOPES:
        address_count, address_seconds = _split_rate(project_settings.RATE_LIMITS[scope]["address"])
        session_count, session_seconds = _split_rate(project_settings.RATE_LIMITS[scope]["session"])
        assert address_seconds == session_seconds
        assert address_count >= 5 * session_count, scope


@translation.override("en")
def test_message_counts_seconds_in_the_singular_and_plural():
    assert RateLimited("contact", 1).message == "Too many attempts. Please try again in 1 second."
    assert RateLimited("contact", 42).message == (
        "Too many attempts. Please try again in 42 seconds."
    )


# The ticket page: replies, status changes and ratings share one limit


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_ticket_reply_refused_keeps_the_reply_and_saves_nothing(language):
    ticket = a_ticket()
    token = ticket_token(ticket)
    given = visitor(language)
    for number in range(SESSION_LIMIT):
        given.post(reverse("tickets:reply", args=[token]), {"body": f"Any news? ({number})"})
    before = row_counts()

    response = given.post(reverse("tickets:reply", args=[token]), {"body": "Please hurry up."})

    content = assert_limited(response, language)
    assert "Please hurry up.</textarea>" in content
    assert 'class="field__error"' in content  # shown as the reply's error
    assert row_counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_ticket_status_change_refused_shows_the_limit_page(language):
    ticket = a_ticket()
    token = ticket_token(ticket)
    given = visitor(language)
    for _ in range(SESSION_LIMIT):  # replies and status changes count together
        given.post(reverse("tickets:reply", args=[token]), {"body": ""})

    response = given.post(reverse("tickets:change_status", args=[token, "close"]))

    content = assert_limited(response, language)
    assert 'class="error-page"' in content
    assert f'href="{reverse("tickets:detail", args=[token])}"' in content
    ticket.refresh_from_db()
    assert ticket.status != Status.CLOSED


@pytest.mark.django_db
def test_ticket_rating_refused_keeps_the_comment():
    ticket = a_ticket()
    services.ticket_change_status(ticket=ticket, status=Status.CLOSED)
    token = ticket_token(ticket)
    given = visitor()
    for rating in range(1, SESSION_LIMIT + 1):
        given.post(reverse("tickets:rate", args=[token]), {"rating": str(rating)})
    ticket.refresh_from_db()
    rated = ticket.satisfaction_rating

    response = given.post(
        reverse("tickets:rate", args=[token]), {"rating": "5", "comment": "Quick and kind."}
    )

    content = assert_limited(response, "en")
    assert "Quick and kind.</textarea>" in content
    ticket.refresh_from_db()
    assert ticket.satisfaction_rating == rated


# Live chat over HTTP


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_chat_start_form_refused_keeps_the_input(chat_open, language):
    given = visitor(language)
    for _ in range(SESSION_LIMIT):
        given.post(reverse("livechat:start"), {**CHAT_START, "email": "not-an-email"})
    before = row_counts()

    response = given.post(reverse("livechat:start"), CHAT_START)

    content = assert_limited(response, language)
    assert 'value="mei@example.com"' in content
    assert escape(CHAT_START["message"]) in content
    assert row_counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_chat_start_json_refused_answers_json(chat_open, language):
    given = visitor(language)
    start = reverse("livechat:start")
    for _ in range(SESSION_LIMIT):
        given.post(start, "not json", content_type="application/json")

    response = given.post(start, json.dumps(CHAT_START), content_type="application/json")

    assert_limited(response, language)
    assert Conversation.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_chat_send_without_javascript_refused_keeps_the_message(chat_open, language):
    given = visitor(language)
    given.post(reverse("livechat:start"), CHAT_START)
    conversation = Conversation.objects.get()
    send = reverse("livechat:send", args=[conversation.public_id])
    for number in range(SESSION_LIMIT):
        given.post(send, {"body": f"Still waiting ({number})."})
    before = row_counts()

    response = given.post(send, {"body": "Hello? Anyone there?"})

    content = assert_limited(response, language)
    assert ">Hello? Anyone there?</textarea>" in content
    assert f'action="{send}"' in content  # one click sends it again once the wait is over
    assert row_counts() == before


# Help-centre votes


@pytest.fixture
def vote_url(db) -> str:
    help_centre_load()
    article = Article.objects.select_related("category").get(slug="fake-support-scams")
    return reverse("faq:vote", args=[article.category.slug, article.slug])


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_faq_vote_refused_answers_json_to_javascript(vote_url, language):
    given = visitor(language)
    for _ in range(SESSION_LIMIT):
        given.post(vote_url, {"helpful": "maybe"}, HTTP_ACCEPT="application/json")

    response = given.post(vote_url, {"helpful": "yes"}, HTTP_ACCEPT="application/json")

    assert_limited(response, language)
    assert ArticleVote.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_faq_vote_refused_without_javascript_links_back_to_the_article(vote_url, language):
    given = visitor(language)
    for _ in range(SESSION_LIMIT):
        given.post(vote_url, {"helpful": "maybe"})

    response = given.post(vote_url, {"helpful": "yes"})

    content = assert_limited(response, language)
    assert f'href="{vote_url.removesuffix("vote/")}#helpful"' in content
    assert ArticleVote.objects.count() == 0


# /verify/


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_verify_refused_past_the_limit_keeps_the_code_and_tells_nothing(language):
    ticket = a_ticket()
    given = visitor(language)
    for _ in range(5):
        assert given.get(reverse("livechat:verify")).status_code == 200  # views are free
    for number in range(SESSION_LIMIT):
        given.post(reverse("livechat:verify"), {"code": f"WS-GUESS{number}"})

    response = given.post(reverse("livechat:verify"), {"code": ticket.reference})

    content = assert_limited(response, language)
    assert f'value="{ticket.reference}"' in content
    assert response.context["result"] is None  # no answer about the code


# The chat socket

socket_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


async def next_event(socket, kind: str) -> dict:
    while True:
        event = await socket.receive_json_from(timeout=3)
        if event["type"] == kind:
            return event


@socket_db
def test_chat_socket_flood_is_refused_past_the_session_limit_and_stores_nothing_more():
    conversation = make_conversation("visitor-1")
    cookie = visitor_cookie("visitor-1")

    async def scenario():
        socket = communicator(f"/ws/chat/{conversation.public_id}/", cookie)
        socket.scope["client"] = ["203.0.113.7", 50123]
        assert (await socket.connect())[0]
        await socket.receive_json_from()  # status
        for number in range(SESSION_LIMIT):
            body = f"message {number}"
            await socket.send_json_to(
                {"type": "message", "body": body, "client_id": new_client_id()}
            )
            assert (await next_event(socket, "message"))["body"] == body
        refused = []
        for number in range(2):
            await socket.send_json_to(
                {"type": "message", "body": f"flood {number}", "client_id": new_client_id()}
            )
            refused.append(await next_event(socket, "error"))
        await socket.disconnect()
        return refused

    refused = run(scenario)

    for error in refused:
        assert error["code"] == "rate_limited"
        assert 1 <= error["retry_after"] <= 600
        # The socket speaks the site's default language (no cookie, no Accept-Language sent).
        with translation.override("en"):
            assert error["message"] == RateLimited("chat_message", error["retry_after"]).message
    stored = Message.objects.filter(ticket=conversation.ticket, channel="chat")
    assert stored.count() == 1 + SESSION_LIMIT  # the first message, then the allowed ones
    assert not stored.filter(body__startswith="flood").exists()


@socket_db
def test_chat_sockets_of_other_sessions_share_their_address_limit(settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "chat_message": {"address": "2/10m", "session": "100/10m"},
    }
    first = make_conversation("visitor-a")
    second = make_conversation("visitor-b")

    cookies = {key: visitor_cookie(key) for key in ("visitor-a", "visitor-b")}

    async def send_one(conversation, key: str, address: str) -> dict:
        socket = communicator(f"/ws/chat/{conversation.public_id}/", cookies[key])
        socket.scope["client"] = [address, 40000]
        assert (await socket.connect())[0]
        await socket.receive_json_from()
        await socket.send_json_to({"type": "message", "body": "hi", "client_id": new_client_id()})
        event = await socket.receive_json_from(timeout=3)
        await socket.disconnect()
        return event

    async def scenario():
        return [
            await send_one(first, "visitor-a", "203.0.113.7"),
            await send_one(second, "visitor-b", "203.0.113.7"),
            await send_one(second, "visitor-b", "203.0.113.7"),
            await send_one(second, "visitor-b", "198.51.100.1"),
        ]

    events = run(scenario)

    assert [event["type"] for event in events] == ["message", "message", "error", "message"]
    assert events[2]["code"] == "rate_limited"


@pytest.fixture
def round_trips():
    from redis.client import Pipeline

    real_execute = Pipeline.execute
    seen = []

    def counted(pipeline, *args, **kwargs):
        seen.append(len(pipeline.command_stack))
        return real_execute(pipeline, *args, **kwargs)

    with mock.patch.object(Pipeline, "execute", counted):
        yield seen


def test_on_redis_both_keys_are_counted_in_one_round_trip(redis_url, settings, round_trips):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "verify": {"address": "3/10m", "session": "2/10m"},
    }
    caches["default"].clear()
    answers = [
        rate_limit_hit_client("verify", address="192.0.2.7", session_key="s-1") for _ in range(3)
    ]
    other_session = rate_limit_hit_client("verify", address="192.0.2.7", session_key="s-2")

    assert round_trips == [4, 4, 4, 4]  # SET NX + INCR for each key, one pipeline per attempt
    assert answers[:2] == [None, None]
    assert 1 <= answers[2].retry_after <= 600  # the session's limit of 2
    assert other_session is not None  # the address's limit of 3 was reached


# --- the chat socket's batched counts (security.ratelimit.BatchedCounts) ----------------------


@pytest.fixture
def on_redis(redis_url, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "chat_message": {"address": "100/10m", "session": "5/10m"},
    }
    caches["default"].clear()
    return caches["default"]


def chat_hit(session_key="s-1", address="192.0.2.7"):
    return rate_limit_hit_client(
        "chat_message", address=address, session_key=session_key, batched=True
    )


def test_batched_counts_ask_redis_nothing_within_the_second_and_refuse_exactly(
    on_redis, round_trips
):
    from security.ratelimit import BatchedCounts

    with mock.patch.object(BatchedCounts, "SETTLE_SECONDS", 3600):
        allowed = [chat_hit() for _ in range(5)]
        assert round_trips == []  # five attempts, all counted in memory
        refused = chat_hit()
        # The sixth would pass the session's limit of 5: that key (SET NX, INCRBY) is settled
        # at once, and the attempt refused on Redis's total.
        assert round_trips == [2]
        again = chat_hit()
        assert round_trips == [2]  # Redis confirmed the key at its limit: no need to ask

    assert allowed == [None] * 5
    assert 1 <= refused.retry_after <= 600
    assert again is not None
    assert chat_hit(session_key="s-2") is None  # another session, same address: within 100


def test_batched_counts_settle_once_a_second_and_meet_other_processes_counts(on_redis):
    from security.ratelimit import BatchedCounts, batched_counts

    here = batched_counts()
    elsewhere = BatchedCounts(on_redis)  # another server process on the same Redis
    for _ in range(3):
        elsewhere.hit("chat_message", {"session": "s-1"})
    elsewhere.settle()
    for _ in range(2):
        assert chat_hit() is None
    here.settle()  # its 2, added to the other's 3: the session's limit of 5 is reached

    assert chat_hit() is not None
    here.settle()
    [key] = [key for key in here.known if ":session:" in key]
    assert int(on_redis._cache.get_client().get(key)) == 6  # every attempt counted, once


def test_batched_counts_are_settled_when_due_without_being_asked(on_redis, round_trips):
    from security.ratelimit import BatchedCounts, batched_counts

    with mock.patch.object(BatchedCounts, "SETTLE_SECONDS", 0):
        chat_hit()
    counts = batched_counts()
    assert round_trips == [4]
    assert counts.pending == {}
    assert sorted(counts.known.values()) == [1, 1]


def test_batched_counts_let_messages_through_when_redis_is_down(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "chat_message": {"address": "100/10m", "session": "1/10m"},
    }
    with caplog.at_level(logging.WARNING, logger="security.ratelimit"):
        answers = [chat_hit() for _ in range(3)]
    assert answers == [None, None, None]
    assert "chat rate limits not counted" in caplog.text
