"""A query's ranking is kept under the help centre's version (faq.selectors._ranked): the same
query again skips the scan of every matching article, an editor's save retires every kept
ranking, and what is shown (published articles, snippets in the visitor's language) is read
fresh each time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from faq.models import Article
from faq.selectors import article_search
from tests.support.factories import make_article, make_category

pytestmark = pytest.mark.django_db


@pytest.fixture
def fees():
    category = make_category(slug="fees")
    return [make_article(category, slug=f"fee-{number}") for number in range(30)]


def search(query: str) -> tuple[list[str], int]:
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        results = article_search(query=query, limit=5)
    return [result.article.slug for result in results], len(queries)


def test_the_same_query_again_reads_only_the_articles_it_shows(fees):
    first, _ = search("network fees")
    again, queries = search("network fees")

    assert again == first
    assert len(first) == 5
    ranking_queries = [
        query["sql"] for query in connection.queries if "search_vector" in query["sql"]
    ]
    assert queries <= 2  # the synonyms are cached too: the articles' read, at most one more
    assert not ranking_queries


def test_a_query_written_another_way_shares_the_ranking(fees):
    first, _ = search("network fees")
    again, queries = search("  Network   FEES ")

    assert again == first
    assert queries <= 2


def test_an_editors_save_retires_the_kept_ranking(fees):
    search("confirmations")
    newest = make_article(
        fees[0].category, slug="confirmations-explained", order=0, title_en="Confirmations"
    )

    found, _ = search("confirmations")

    assert found[0] == newest.slug


def test_an_article_unpublished_without_signals_is_not_shown_from_a_kept_ranking(fees):
    found, _ = search("network fees")
    Article.objects.filter(slug=found[0]).update(status=Article.Status.DRAFT)

    again, _ = search("network fees")

    assert found[0] not in again


def test_snippets_follow_the_visitors_language_on_a_kept_ranking(fees):
    with translation.override("en"):
        english = article_search(query="fees 手续费", limit=1)
    with translation.override("zh-hans"):
        chinese = article_search(query="fees 手续费", limit=1)

    assert english[0].article == chinese[0].article
    assert "<mark>fees</mark>" in english[0].snippet
    assert "<mark>手续费</mark>" in chinese[0].snippet
