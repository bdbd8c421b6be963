"""PostgreSQL ranking from the worker's in-memory index (faq.ranking): the same articles in the
same order as scoring every candidate one by one (tests/support/search_reference.py), a fixed
number of statements whatever the help centre's size, and a new index when the version moves."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common import page_cache
from faq import ranking
from faq import text as faq_text
from faq.selectors import article_search, search_synonyms
from tests.support.factories import make_article, make_category
from tests.support.search_quality import LANGUAGES, labelled_queries
from tests.support.search_reference import reference_ranked_ids

pytestmark = pytest.mark.django_db

EXTRA_QUERIES = (
    "network fee",
    "网络手续费",
    "withdrawl 提现",
    "fees 手续费 confirmation",
    "zyxwv",
    "2fa tx kyc",
    "the",
)


def version() -> int | None:
    return page_cache.page_cache_version(found=None)


@pytest.fixture
def fillers(help_centre):
    """Articles that share words, fields and `order` values with the help centre and each
    other (ties are broken by order, then id), plus a draft and an unpublished category."""
    fees = make_category(slug="fees")
    for number in range(60):
        make_article(
            fees,
            slug=f"fee-{number}",
            order=number % 7,
            title_en=f"Network fee note {number}" if number % 3 else "Confirmations",
            title_zh_hans="网络手续费说明" if number % 2 else "确认数",
            summary_en="How network fees and withdrawals work." if number % 5 else "Fees.",
            keywords_en="withdrawal fee" if number % 4 == 0 else "",
            body_en="Network fees and confirmation times vary with congestion. " * (number % 3),
            body_zh_hans="网络拥堵时手续费和确认时间会变化。提现" * (number % 2),
        )
    make_article(fees, slug="fee-draft", status="draft", title_en="Network fee draft")
    hidden = make_category(slug="hidden", is_published=False)
    make_article(hidden, slug="fee-hidden", title_en="Network fee hidden")


@pytest.mark.parametrize("language", LANGUAGES)
def test_ranking_equals_scoring_every_candidate(postgres, fillers, language):
    synonyms = search_synonyms()
    texts = [
        query.text for kind in ("queries", "suggest") for query in labelled_queries(kind, language)
    ]
    differing = []
    for text in [*texts, *EXTRA_QUERIES]:
        parsed = faq_text.parse_query(text, synonyms)
        if parsed.is_empty:
            continue
        expected = reference_ranked_ids(parsed, 20)
        if ranking.ranked_ids(parsed=parsed, limit=20, version=version()) != expected:
            differing.append(text)

    assert differing == []


def test_ranking_costs_the_same_statements_at_ten_thousand_articles(postgres, help_centre):
    parsed = faq_text.parse_query("withdrawl network 提现", search_synonyms())
    ranking.ranked_ids(parsed=parsed, limit=20, version=version())
    with CaptureQueriesContext(connection) as small:
        ranking.ranked_ids(parsed=parsed, limit=20, version=version())
    category = make_category(slug="fillers")
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO faq_article (category_id, slug, "order", status, title_en, '
            "title_zh_hans, summary_en, summary_zh_hans, body_en, body_zh_hans, keywords_en, "
            "keywords_zh_hans, created_at, updated_at, view_count, helpful_count, "
            "not_helpful_count, search_words, search_vector) "
            "SELECT %s, 'filler-' || n, n, 'published', 'Network fee ' || n, '提现', '', '', "
            "'', '', '', '', now(), now(), 0, 0, 0, '', "
            "to_tsvector('english', 'Network fee ' || n) || to_tsvector('simple', '提 现 提现') "
            "FROM generate_series(1, 10000) AS n",
            [category.pk],
        )
    page_cache.page_cache_bump()
    with CaptureQueriesContext(connection) as build:
        built = ranking.ranked_ids(parsed=parsed, limit=20, version=version())
    with CaptureQueriesContext(connection) as large:
        again = ranking.ranked_ids(parsed=parsed, limit=20, version=version())
    chinese = faq_text.parse_query("提现", search_synonyms())
    with CaptureQueriesContext(connection) as cjk_only:
        ranking.ranked_ids(parsed=chinese, limit=20, version=version())

    assert len(build) == len(small) + 1  # the index: one statement per version
    assert len(large) == len(small) == 1  # the English words' stems and typos
    assert len(cjk_only) == 0
    assert again == built == reference_ranked_ids(parsed, 20)


def test_an_edit_is_searchable_at_once(postgres, help_centre):
    assert article_search(query="zyxwv") == []

    article = make_article(make_category(), slug="zyxwv-article", title_en="Zyxwv wallets")

    assert [result.article for result in article_search(query="zyxwv")] == [article]


def test_without_a_version_the_index_is_kept_a_while(postgres, help_centre, monkeypatch):
    parsed = faq_text.parse_query("withdrawal", search_synonyms())
    first = ranking.ranking_index(version=None)

    assert ranking.ranking_index(version=None) is first
    monkeypatch.setattr(ranking, "UNVERSIONED_SECONDS", 0.0)
    assert ranking.ranking_index(version=None) is not first
    assert ranking.ranked_ids(parsed=parsed, limit=5, version=None)
