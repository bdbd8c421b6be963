"""The cached pages' CSRF tokens (common.csrf): Django's own middleware takes them as its own,
refuses them altered or under another visitor's cookie, and these tests fail the day Django's
token format or its marking of the request changes."""

import secrets
from collections import Counter

import pytest
from django.http import HttpResponse
from django.middleware import csrf as django_csrf
from django.test import RequestFactory

from common import csrf
from common.csrf import ALPHABET, SECRET_LENGTH, csrf_token, random_letters

factory = RequestFactory()


def _view(request):
    return HttpResponse("ok")


def _middleware() -> django_csrf.CsrfViewMiddleware:
    return django_csrf.CsrfViewMiddleware(_view)


def _page_for(cookie: str | None = None):
    """A GET as the middleware sees it, the page's token and the cookie it would set."""
    request = factory.get("/", **({"HTTP_COOKIE": f"csrftoken={cookie}"} if cookie else {}))
    middleware = _middleware()
    middleware.process_request(request)
    token = csrf_token(request)
    response = middleware.process_response(request, HttpResponse("page"))
    return token, response.cookies["csrftoken"].value


def _post_refused(*, cookie: str, field: str | None = None, header: str | None = None) -> bool:
    """Whether Django's CsrfViewMiddleware refuses a POST (its failure page reads the database)."""
    extra = {"HTTP_COOKIE": f"csrftoken={cookie}"}
    if header is not None:
        extra["HTTP_X_CSRFTOKEN"] = header
    data = {} if field is None else {"csrfmiddlewaretoken": field}
    request = factory.post("/contact/", data, **extra)
    request._dont_enforce_csrf_checks = False
    middleware = _middleware()
    middleware.process_request(request)
    refusal = middleware.process_view(request, _view, (), {})
    return refusal is not None and refusal.status_code == 403


def test_csrf_token_of_a_new_visitor_is_accepted_in_a_form_and_in_the_header():
    token, cookie = _page_for()

    assert len(token) == 2 * SECRET_LENGTH
    assert len(cookie) == SECRET_LENGTH
    assert set(token + cookie) <= set(ALPHABET)
    assert not _post_refused(cookie=cookie, field=token)
    assert not _post_refused(cookie=cookie, header=token)


def test_csrf_token_of_a_returning_visitor_keeps_their_cookie_and_is_accepted():
    _, cookie = _page_for()

    token, renewed = _page_for(cookie)

    assert renewed == cookie
    assert not _post_refused(cookie=cookie, field=token)
    # Django's own token of the same secret works too: one format.
    request = factory.get("/", HTTP_COOKIE=f"csrftoken={cookie}")
    _middleware().process_request(request)
    assert not _post_refused(cookie=cookie, field=django_csrf.get_token(request))


@pytest.mark.parametrize("position", [0, SECRET_LENGTH - 1, SECRET_LENGTH, 2 * SECRET_LENGTH - 1])
def test_csrf_token_altered_in_one_letter_is_refused(db, position):
    token, cookie = _page_for()
    letter = token[position]
    other = ALPHABET[(ALPHABET.index(letter) + 1) % len(ALPHABET)]
    altered = token[:position] + other + token[position + 1 :]

    assert _post_refused(cookie=cookie, field=altered)
    assert _post_refused(cookie=cookie, header=altered)


def test_csrf_token_of_one_visitor_is_refused_with_another_visitors_cookie(db):
    first_token, _first_cookie = _page_for()
    _second_token, second_cookie = _page_for()

    assert _post_refused(cookie=second_cookie, field=first_token)
    assert _post_refused(cookie=second_cookie, header=first_token)


def test_csrf_token_is_masked_afresh_each_time():
    _, cookie = _page_for()

    tokens = {_page_for(cookie)[0] for _ in range(20)}

    assert len(tokens) == 20  # a fixed token would let a page's bytes reveal the secret (BREACH)


def test_csrf_token_marks_the_request_exactly_as_djangos_get_token():
    # If Django renames or adds a mark, the middleware would no longer set our visitors' cookie:
    # this fails first.
    for cookie in (None, random_letters(SECRET_LENGTH)):
        ours = factory.get("/", **({"HTTP_COOKIE": f"csrftoken={cookie}"} if cookie else {}))
        theirs = factory.get("/", **({"HTTP_COOKIE": f"csrftoken={cookie}"} if cookie else {}))
        for request in (ours, theirs):
            _middleware().process_request(request)
        before = set(ours.META)

        ours_token, theirs_token = csrf_token(ours), django_csrf.get_token(theirs)

        assert set(ours.META) - before == set(theirs.META) - before
        assert ours.META["CSRF_COOKIE_NEEDS_UPDATE"] is theirs.META["CSRF_COOKIE_NEEDS_UPDATE"]
        assert len(ours.META["CSRF_COOKIE"]) == len(theirs.META["CSRF_COOKIE"])
        assert len(ours_token) == len(theirs_token)
        if cookie:
            assert ours.META["CSRF_COOKIE"] == theirs.META["CSRF_COOKIE"] == cookie
        # Django reads our token back to the secret it set.
        assert django_csrf._unmask_cipher_token(ours_token) == ours.META["CSRF_COOKIE"]


def test_csrf_format_is_still_djangos():
    assert django_csrf.CSRF_ALLOWED_CHARS == ALPHABET
    assert django_csrf.CSRF_SECRET_LENGTH == SECRET_LENGTH
    assert django_csrf.CSRF_TOKEN_LENGTH == 2 * SECRET_LENGTH


def test_csrf_token_with_sessions_is_djangos_own(settings, monkeypatch):
    settings.CSRF_USE_SESSIONS = True
    request = factory.get("/")
    called = []
    monkeypatch.setattr(csrf, "get_token", lambda request: called.append(request) or "t")

    assert csrf_token(request) == "t"
    assert called == [request]


def test_random_letters_are_uniform_over_the_alphabet():
    # 62 letters from bytes: taking every byte modulo 62 would make the first 8 letters 25 %
    # likelier (5 bytes map to each against 4); this would see it.
    counts = Counter(random_letters(124_000))
    expected = 124_000 / len(ALPHABET)

    chi_square = sum((counts[letter] - expected) ** 2 / expected for letter in ALPHABET)

    assert set(counts) == set(ALPHABET)
    # 61 degrees of freedom: 110 is beyond the 99.99th percentile.
    assert chi_square < 110


def test_random_letters_draw_again_when_too_many_bytes_are_dropped(monkeypatch):
    draws = iter([bytes([250] * 84), bytes(range(84))])
    monkeypatch.setattr(secrets, "token_bytes", lambda n: next(draws)[:n])

    letters = random_letters(64)

    assert letters == "".join(ALPHABET[byte % 62] for byte in range(64))
