"""A query's results are kept per language under the help centre's version
(faq.selectors.article_search): the same query again costs no query at all, and every way an
editor changes the help centre (a save, the admin's bulk publish and unpublish) retires every
kept result at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from faq.models import Article
from faq.selectors import article_search
from faq.services import articles_status_set
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


def test_the_same_query_again_costs_no_query(fees):
    first, queries_first = search("network fees")
    again, queries = search("network fees")

    assert again == first
    assert len(first) == 5
    assert queries_first >= 1
    assert queries == 0


def test_a_query_written_another_way_shares_the_ranking(fees):
    first, _ = search("network fees")
    again, queries = search("  Network   FEES ")

    assert again == first
    assert queries == 0


def test_an_editors_save_retires_the_kept_ranking(fees):
    search("confirmations")
    newest = make_article(
        fees[0].category, slug="confirmations-explained", order=0, title_en="Confirmations"
    )

    found, _ = search("confirmations")

    assert found[0] == newest.slug


def test_an_article_unpublished_by_the_admins_action_leaves_the_kept_results(fees):
    found, _ = search("network fees")
    articles_status_set(articles=Article.objects.filter(slug=found[0]), status=Article.Status.DRAFT)

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
