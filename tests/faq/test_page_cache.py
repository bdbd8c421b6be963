"""Public help-centre pages from the cache (common.page_cache): rendered once per language and
state, forgotten when an editor publishes, and never carrying one visitor's state to another."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from announcements import selectors as announcements_selectors
from faq.models import Article
from faq.tasks import flush_article_views
from livechat import selectors as livechat_selectors
from livechat.selectors import AVAILABILITY_CACHE_KEY
from tests.support.factories import make_announcement
from verification.models import KnownFake

ARTICLE = "/faq/account-security/stolen-account-first-minutes/"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')


def queries_counted() -> CaptureQueriesContext:
    """Counts the queries of a block. The log keeps 9,000 queries and loading the help centre
    fills it, after which every block would count zero: start from an empty log."""
    connection.queries_log.clear()
    return CaptureQueriesContext(connection)


def get(url: str, client: Client | None = None, language: str = "en", **extra):
    client = client or Client(enforce_csrf_checks=True)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language, **extra)
    return client, response, response.content.decode()


@pytest.mark.parametrize("url", [ARTICLE, "/faq/", "/faq/account-security/", "/security/"])
def test_a_second_visitor_is_served_without_a_query(help_centre, url, monkeypatch):
    # The chat's open-now state and the announcements are cached for seconds; on a loaded
    # machine they could expire between the two visits and be read again.
    monkeypatch.setattr(livechat_selectors, "AVAILABILITY_CACHE_SECONDS", 600)
    monkeypatch.setattr(announcements_selectors, "CACHE_SECONDS", 600)
    get(url)

    with queries_counted() as queries:
        _, response, html = get(url)

    assert response.status_code == 200
    # At most the view count's row write, on the embedded default (the cache counts it else).
    assert len(queries) <= (1 if url == ARTICLE else 0)
    assert "<html" in html


def test_each_visitor_gets_a_csrf_token_of_their_own_that_works(help_centre):
    _first, _, first_html = get(ARTICLE)
    second, response, second_html = get(ARTICLE)

    first_token, second_token = TOKEN.search(first_html)[1], TOKEN.search(second_html)[1]
    assert first_token != second_token
    assert "page-cache" not in second_html
    assert response.cookies["csrftoken"].value
    # The second visitor votes with the token of the cached page, without JavaScript.
    vote = second.post(f"{ARTICLE}vote/", {"helpful": "yes", "csrfmiddlewaretoken": second_token})
    assert vote.status_code == 302
    assert Article.objects.get(slug="stolen-account-first-minutes").helpful_count == 1


def test_each_language_has_its_own_page(help_centre):
    article = Article.objects.get(slug="stolen-account-first-minutes")
    get(ARTICLE, language="en")

    _, _, chinese = get(ARTICLE, language="zh-hans")
    _, _, english = get(ARTICLE, language="en")

    assert article.title_zh_hans in chinese
    assert article.title_en not in chinese
    assert article.title_en in english
    assert 'lang="en"' in english


def test_a_visitors_vote_and_message_stay_theirs(help_centre):
    voter, _, html = get(ARTICLE)
    voter.post(f"{ARTICLE}vote/", {"helpful": "no", "csrfmiddlewaretoken": TOKEN.search(html)[1]})

    _, _, own = get(ARTICLE, client=voter)
    _, _, stranger = get(ARTICLE)

    thanks = "What was missing?"
    assert thanks in own
    assert thanks not in stranger
    assert "data-helpful-form" in stranger


def test_publishing_an_edit_forgets_the_pages(help_centre):
    article = Article.objects.get(slug="stolen-account-first-minutes")
    get(ARTICLE)
    get("/faq/")

    article.title_en = "Your account was taken: the first ten minutes"
    article.save()

    assert article.title_en in get(ARTICLE)[2]
    assert article.title_en in get("/faq/")[2]
    article.status = Article.Status.DRAFT
    article.save()
    assert get(ARTICLE)[1].status_code == 404


def test_an_announcement_appears_and_ends_on_the_cached_pages(help_centre):
    get(ARTICLE)
    ends = timezone.now() + timedelta(minutes=5)

    make_announcement(title_en="Tron withdrawals delayed", ends_at=ends)

    assert "Tron withdrawals delayed" in get(ARTICLE)[2]
    with time_machine.travel(ends + timedelta(seconds=1)):
        assert "Tron withdrawals delayed" not in get(ARTICLE)[2]


def test_the_chat_launcher_follows_chat_availability(help_centre):
    cache.set(AVAILABILITY_CACHE_KEY, False, 60)
    offline = get(ARTICLE)[2]
    cache.set(AVAILABILITY_CACHE_KEY, True, 60)
    online = get(ARTICLE)[2]

    assert "data-available" not in offline
    assert "data-available" in online


def test_a_confirmed_fake_is_listed_on_the_cached_security_page(db):
    get("/security/")

    KnownFake.objects.create(
        kind="phone", value="+86 138 0013 8000", normalised="+8613800138000",
        reported_at=datetime(2026, 3, 4, tzinfo=UTC),
    )  # fmt: skip

    assert "+86 138 0013 8000" in get("/security/")[2]


def test_signed_in_staff_never_get_or_leave_a_cached_page(help_centre, django_user_model):
    staff_user = django_user_model.objects.create_user(
        "lin.editor", "lin@example.com", "a long password", is_staff=True
    )
    staff = Client()
    staff.force_login(staff_user)
    _, _, before = get(ARTICLE)

    _, own_response, _ = get(ARTICLE, client=staff)
    _, _, after = get(ARTICLE)

    assert own_response.status_code == 200
    assert own_response.wsgi_request.user == staff_user
    assert not hasattr(own_response.wsgi_request, "_page_cache_key")  # neither looked up nor kept
    assert TOKEN.sub("", after) == TOKEN.sub("", before)


@pytest.mark.parametrize("query", ["?utm_source=x", "?page=1&page=2", "?page=<b>", "?next=/evil"])
def test_addresses_with_other_query_strings_are_rendered_not_stored(help_centre, query):
    url = f"/faq/account-security/{query}"
    get(url)

    with queries_counted() as queries:
        _, response, _ = get(url)

    assert response.status_code == 200
    assert len(queries) > 0  # rendered again: nothing kept under that address
    assert "evil" not in get("/faq/account-security/")[2]


def test_category_pages_are_cached_per_page_number(help_centre):
    get("/faq/account-security/?page=1")

    with queries_counted() as queries:
        _, response, _ = get("/faq/account-security/?page=1")

    assert response.status_code == 200
    assert len(queries) == 0


def test_views_of_cached_articles_are_counted(help_centre):
    for _ in range(3):
        get(ARTICLE)
    flush_article_views()

    assert Article.objects.get(slug="stolen-account-first-minutes").view_count == 3


@pytest.mark.parametrize("action", ["unpublish", "publish"])
def test_the_admins_bulk_actions_forget_the_cached_pages(help_centre, superuser, action):
    """The actions change many rows in one UPDATE, which sends no post_save: they must forget
    the cached pages themselves, or an unpublished article stays on the index."""
    from django.contrib.admin import site
    from django.test import RequestFactory

    from faq.admin import ArticleAdmin

    article = Article.objects.get(slug=ARTICLE.rstrip("/").rsplit("/", 1)[1])
    if action == "publish":
        Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    _, _, before = get("/faq/")
    request = RequestFactory().post("/admin/")
    request.user = superuser
    request._messages = type("Sink", (), {"add": lambda *args, **kwargs: None})()

    getattr(ArticleAdmin(Article, site), action)(request, Article.objects.filter(pk=article.pk))

    _, _, after = get("/faq/")
    listed = f'href="{article.get_absolute_url()}"'
    assert (listed in before, listed in after) == (
        (True, False) if action == "unpublish" else (False, True)
    )


KEY = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"')
CONTACT = "/contact/?type=abnormal_transaction"


@pytest.mark.parametrize("url", ["/", "/contact/", CONTACT])
def test_home_and_the_contact_form_are_served_without_a_query(help_centre, url):
    get(url)

    with queries_counted() as queries:
        _, response, html = get(url)

    assert response.status_code == 200
    assert len(queries) == 0
    assert "page-cache" not in html


def test_each_visitor_of_the_cached_contact_form_gets_a_key_and_token_of_their_own(db):
    _first, _, first_html = get(CONTACT)
    second, _, second_html = get(CONTACT)

    assert KEY.search(first_html)[1] != KEY.search(second_html)[1]
    assert TOKEN.search(first_html)[1] != TOKEN.search(second_html)[1]
    # The second visitor files a ticket with the cached page's token and key, no JavaScript.
    filed = second.post(
        "/contact/",
        {
            "csrfmiddlewaretoken": TOKEN.search(second_html)[1],
            "submission_key": KEY.search(second_html)[1],
            "problem_type": "other",
            "email": "mei@example.com",
            "subject": "Cannot find the export button",
            "description": "Where do I export my transaction history as a spreadsheet?",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert filed.status_code == 302, filed.content.decode()[:500]


@pytest.mark.parametrize("query", ["?type=unknown", "?type=other&type=other", "?type=<b>"])
def test_contact_addresses_with_other_values_are_rendered_not_stored(db, query):
    get(f"/contact/{query}")

    with queries_counted():
        _, response, _ = get(f"/contact/{query}")

    assert response.status_code == 200
    assert not hasattr(response.wsgi_request, "_page_cache_key")


def test_a_signed_in_customer_gets_the_contact_form_rendered_for_them(db, django_user_model):
    customer = django_user_model.objects.create_user("mei", "mei@example.com", "a long password")
    client = Client()
    client.force_login(customer)
    get(CONTACT)

    _, response, _ = get(CONTACT, client=client)

    assert response.wsgi_request.user == customer
    assert not hasattr(response.wsgi_request, "_page_cache_key")


def test_home_is_kept_a_minute_at_most(help_centre):
    with time_machine.travel(datetime(2026, 3, 2, 1, 59, 30, tzinfo=UTC), tick=False):
        get("/")
        with queries_counted():
            _, first, _ = get("/")
    with time_machine.travel(datetime(2026, 3, 2, 2, 0, 30, tzinfo=UTC), tick=False):
        _, later, _ = get("/")

    assert first.wsgi_request._page_cache_key != later.wsgi_request._page_cache_key


def test_the_state_is_reused_for_a_moment_but_a_publish_here_shows_at_once(help_centre, settings):
    settings.PAGE_CACHE_STATE_MS = 60_000
    article = Article.objects.get(slug="stolen-account-first-minutes")
    with time_machine.travel(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), tick=False):
        get(ARTICLE)  # the state parts' first reads fill the cache
        get(ARTICLE)  # and this one keeps what it found
        # Another server process publishes: its bump reaches this one within the window.
        Article.objects.filter(pk=article.pk).update(title_en="Edited elsewhere")
        cache.set("page-cache:version", 1, timeout=None)
        assert "Edited elsewhere" not in get(ARTICLE)[2]
    with time_machine.travel(datetime(2026, 3, 2, 1, 1, 1, tzinfo=UTC), tick=False):
        assert "Edited elsewhere" in get(ARTICLE)[2]

        article.refresh_from_db()
        article.title_en = "Edited here"
        article.save()

        assert "Edited here" in get(ARTICLE)[2]


def test_messages_of_one_visitor_never_reach_a_cached_contact_form(db):
    voter = Client()
    voter.get("/faq/")
    session_cookie = {"sessionid": "x"}
    get(CONTACT)

    voter.cookies.load({"messages": "pretend", **session_cookie})
    _, own, _ = get(CONTACT, client=voter)
    _, _, stranger = get(CONTACT)

    assert not hasattr(own.wsgi_request, "_page_cache_key")
    assert "pretend" not in stranger
