"""Search in Chinese and English, ranked, highlighted, on PostgreSQL and on SQLite."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from faq.selectors import article_search
from tests.support.factories import make_article, make_category
from tests.support.leaks import phrase_found, recovery_phrase


def top_slugs(query: str, count: int = 3) -> list[str]:
    return [result.article.slug for result in article_search(query=query)[:count]]


def top_categories(query: str, count: int = 3) -> list[str]:
    return [result.article.category.slug for result in article_search(query=query)[:count]]


@pytest.mark.django_db
def test_search_chinese_withdrawal_finds_withdrawal_articles(help_centre):
    categories = top_categories("提现")

    assert categories
    assert all(slug == "top-up-and-withdrawal" for slug in categories)


@pytest.mark.django_db
def test_search_chinese_stolen_account_finds_stolen_account_article(help_centre):
    assert top_slugs("账户被盗")[0] == "stolen-account-first-minutes"


@pytest.mark.django_db
def test_search_chinese_abnormal_transaction_finds_that_category(help_centre):
    categories = top_categories("交易异常", 5)

    assert categories[:2] == ["abnormal-transactions"] * 2
    assert categories.count("abnormal-transactions") >= 3


@pytest.mark.django_db
def test_search_english_withdrawal_and_typo(help_centre):
    assert all(slug == "top-up-and-withdrawal" for slug in top_categories("withdrawal"))
    assert top_categories("withdrawl")
    assert all(slug == "top-up-and-withdrawal" for slug in top_categories("withdrawl"))


@pytest.mark.django_db
def test_search_english_stolen_account(help_centre):
    assert "stolen-account-first-minutes" in top_slugs("stolen account", 2)


@pytest.mark.django_db
def test_search_fake_support_in_both_languages(help_centre):
    assert top_slugs("fake support")[0] == "fake-support-scams"
    assert top_slugs("someone claiming to be support asked me to sync my wallet")[0] == (
        "fake-support-scams"
    )
    assert top_slugs("冒充客服")[0] == "fake-support-scams"


@pytest.mark.django_db
def test_search_results_highlight_matched_words(help_centre):
    results = article_search(query="提现")

    assert "<mark>提现</mark>" in results[0].snippet


@pytest.mark.django_db
def test_search_ignores_drafts(help_centre):
    category = make_category()
    make_article(category, status="draft", title_en="Zyxwv draft", title_zh_hans="草稿")

    assert article_search(query="zyxwv") == []


@pytest.mark.django_db
def test_search_runs_the_same_queries_whatever_the_content_size(help_centre):
    article_search(query="warm up")  # the synonym groups are read once, then cached
    with CaptureQueriesContext(connection) as small:
        article_search(query="withdrawal 提现")
    category = make_category()
    for _ in range(25):
        make_article(category)
    article_search(query="warm up")  # PostgreSQL: the new version's index (faq.ranking)
    with CaptureQueriesContext(connection) as large:
        article_search(query="withdrawal 提现")

    # SQLite: one query; PostgreSQL: the English words' stems and typos, then the best articles.
    assert len(small) == (2 if connection.vendor == "postgresql" else 1)
    assert len(large) == len(small)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type a few words"),
        ("x" * 501, "too long"),
        ("!!! ??? ……", "No article matches"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ],
    ids=["empty", "too-long", "punctuation", "script"],
)
def test_search_page_bad_input_gets_a_clear_page(client, help_centre, query, message):
    response = client.post(reverse("faq:search"), {"q": query})

    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert "<script>alert(1)</script>" not in content


@pytest.mark.django_db
def test_search_page_renders_results_in_chinese(client, help_centre):
    response = client.get(reverse("faq:search"), {"q": "提现"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    content = response.content.decode()
    assert response.status_code == 200
    assert "<mark>提现</mark>" in content
    assert 'lang="zh-hans"' in content


@pytest.mark.django_db
def test_suggest_returns_five_best_as_json(client, help_centre):
    response = client.post(reverse("faq:suggest"), {"q": "withdrawal"})

    body = response.json()
    assert response.status_code == 200
    assert 1 <= len(body["results"]) <= 5
    first = body["results"][0]
    assert set(first) == {"title", "url", "snippet"}
    assert first["url"].startswith("/faq/top-up-and-withdrawal/")


@pytest.mark.django_db
def test_suggest_bad_input_is_an_empty_list(client, help_centre):
    for query in ("", "x" * 600, "???"):
        response = client.post(reverse("faq:suggest"), {"q": query})
        assert response.status_code == 200
        assert response.json()["results"] == []


# --- what is typed never goes into an address (issue 17) ------------------------------------


@pytest.mark.django_db
def test_suggest_refuses_the_query_in_the_address(client, help_centre):
    response = client.get(reverse("faq:suggest"), {"q": "withdrawal"})

    assert response.status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/faq/", "/faq/search/", "/contact/?type=other"])
def test_type_ahead_posts_with_the_pages_csrf_token(help_centre, path):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    refused = browser.post(reverse("faq:suggest"), {"q": "withdrawal"})
    answered = browser.post(reverse("faq:suggest"), {"q": "withdrawal"}, HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert answered.status_code == 200
    assert answered.json()["results"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/faq/", "/faq/account-security/", "/faq/search/"])
def test_search_box_posts_so_the_query_is_never_in_an_address(client, help_centre, path):
    page = client.get(path).content.decode()
    form = re.search(r'<form class="search"[^>]*>(.*?)</form>', page, re.S)

    assert 'method="post"' in form.group(0)
    assert 'name="csrfmiddlewaretoken"' in form.group(1)


@pytest.mark.django_db
def test_search_page_answers_a_posted_query_without_javascript(help_centre):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/faq/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = browser.post(reverse("faq:search"), {"q": "提现", "csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert "<mark>提现</mark>" in response.content.decode()


@pytest.mark.parametrize("script", ["faq.js", "contact.js"])
def test_type_ahead_scripts_post_and_never_build_a_query_string(script):
    from django.conf import settings

    source = (settings.BASE_DIR / "static" / "js" / script).read_text()

    assert '"?q="' not in source
    assert "?context=" not in source
    assert 'method: "POST"' in source
    assert '"X-CSRFToken"' in source


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "warning"), [("en", "recovery phrase"), ("zh-hans", "助记词")]
)
def test_type_ahead_warns_of_a_phrase_while_it_is_typed_and_sends_it_back_nowhere(
    client, help_centre, language, warning
):
    phrase = recovery_phrase("english" if language == "en" else "chinese_simplified")

    response = client.post(
        reverse("faq:suggest"),
        {"q": f"support asked for my words {phrase}", "context": "ticket"},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    body = response.json()
    assert warning in body["warning"]
    assert body["results"] == []
    assert body["query"] == ""
    assert phrase_found(json.dumps(body, ensure_ascii=False), phrase) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "warning"), [("en", "recovery phrase"), ("zh-hans", "助记词")]
)
def test_search_page_refuses_a_phrase_and_shows_it_nowhere(client, help_centre, language, warning):
    phrase = recovery_phrase("english" if language == "en" else "chinese_simplified")

    response = client.post(reverse("faq:search"), {"q": phrase}, HTTP_ACCEPT_LANGUAGE=language)

    page = response.content.decode()
    assert response.status_code == 200
    assert warning in page
    assert phrase_found(page, phrase) is None
