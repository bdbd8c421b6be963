"""The help centre through the API, in the language the app asks for; no token needed."""

import pytest

from faq.models import Article
from faq.scams import FAKE_SUPPORT_ARTICLE_SLUG
from faq.selectors import INDEX_ARTICLES
from faq.services import help_centre_load
from faq.tasks import flush_article_views
from tests.support.api import client_with
from tests.support.factories import make_article, make_category


@pytest.fixture
def help_centre(db, api_secret):
    return help_centre_load()


@pytest.mark.parametrize(
    ("language", "title_field"), [("en", "title_en"), ("zh-hans", "title_zh_hans")]
)
def test_index_lists_categories_and_articles_in_the_requested_language(
    help_centre, language, title_field, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        response = client_with(None, language).get("/api/v1/faq/")

    assert response.status_code == 200
    categories = response.json()
    assert len(categories) == 9
    first = categories[0]["articles"][0]
    article = Article.objects.get(slug=first["slug"])
    assert first["title"] == getattr(article, title_field)
    assert first["url"] == article.get_absolute_url()


def test_index_is_bounded_and_says_how_many_articles_a_category_has(help_centre):
    category = make_category(slug="fees")
    for number in range(12):
        make_article(category, order=number)

    body = client_with(None).get("/api/v1/faq/").json()

    fees = next(entry for entry in body if entry["slug"] == "fees")
    assert len(fees["articles"]) == INDEX_ARTICLES
    assert fees["article_count"] == 12
    shipped = next(entry for entry in body if entry["slug"] == "account-security")
    assert shipped["article_count"] == len(shipped["articles"])


def test_article_has_sanitised_html_and_counts_a_view(help_centre):
    article = Article.objects.published().first()

    response = client_with(None).get(f"/api/v1/faq/articles/{article.slug}/")

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == article.title_en
    assert "<script" not in body["body_html"]
    assert body["body_html"].startswith("<")
    flush_article_views()  # where views are counted in the shared cache first
    article.refresh_from_db()
    assert article.view_count == 1


def test_unknown_or_draft_article_is_404(help_centre):
    draft = Article.objects.first()
    draft.status = Article.Status.DRAFT
    draft.save()

    for slug in ("no-such-article", draft.slug):
        response = client_with(None).get(f"/api/v1/faq/articles/{slug}/")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", ["提现", "withdrawl"])
def test_search_finds_chinese_and_misspelt_words(help_centre, query):
    response = client_with(None).post("/api/v1/faq/search/", {"q": query})

    assert response.status_code == 200
    body = response.json()
    assert body["results"], query
    assert body["warning"] is None
    assert "<mark>" in body["results"][0]["snippet"]


def test_search_for_a_fake_agent_warns_and_puts_the_scam_article_first(help_centre):
    response = client_with(None).post(
        "/api/v1/faq/search/", {"q": "support agent messaged me to validate my wallet"}
    )

    body = response.json()
    assert body["warning"]
    assert body["results"][0]["slug"] == FAKE_SUPPORT_ARTICLE_SLUG


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 501}, {"q": ["提现"]}, {"q": 7}])
def test_search_without_a_usable_query_is_a_clear_400(help_centre, params):
    response = client_with(None, "zh-hans").post("/api/v1/faq/search/", params)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["q"]


def test_search_by_address_still_answers_for_apps_that_use_it(help_centre):
    response = client_with(None).get("/api/v1/faq/search/", {"q": "withdrawl"})

    assert response.status_code == 200
    assert response.json()["results"]


def test_a_bad_token_is_refused_even_where_none_is_needed(help_centre):
    response = client_with("forged.token.value").get("/api/v1/faq/")

    assert response.status_code == 401
