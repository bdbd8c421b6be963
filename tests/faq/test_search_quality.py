"""The labelled queries (tests/faq/data/) answered well enough, in each language, by the search
box and by the contact form's suggestions; bench/search_quality.py prints the same figures."""

import pytest
from django.urls import reverse

from faq.selectors import help_search
from tests.support.search_quality import LANGUAGES, evaluate, labelled_queries

RECALL_AT_3 = 0.95
MRR = 0.85


def search_slugs(query: str) -> list[str]:
    return [result.article.slug for result in help_search(query=query, limit=10).results]


@pytest.mark.parametrize("language", LANGUAGES)
def test_labelled_queries_are_many_and_name_real_articles(language):
    from faq.services import CONTENT_DIR

    slugs = {
        line.split('"')[1]
        for path in CONTENT_DIR.glob("*.toml")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("slug = ")
    }
    queries = labelled_queries("queries", language)

    assert len(queries) >= 150
    assert len({query.text for query in queries}) == len(queries)
    assert all(query.answers <= slugs for query in queries)
    assert all(query.answers <= slugs for query in labelled_queries("suggest", language))


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_search_quality_on_the_labelled_queries(help_centre, language):
    quality = evaluate(labelled_queries("queries", language), search_slugs)

    assert quality.recall_at_3 >= RECALL_AT_3, quality.misses
    assert quality.mrr >= MRR, quality.misses


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_suggest_quality_from_subject_and_description(client, help_centre, language):
    def suggested(text: str) -> list[str]:
        response = client.post(reverse("faq:suggest"), {"q": text, "context": "ticket"})
        return [
            result["url"].rstrip("/").rsplit("/", 1)[-1] for result in response.json()["results"]
        ]

    quality = evaluate(labelled_queries("suggest", language), suggested)

    assert quality.recall_at_3 >= RECALL_AT_3, quality.misses
    assert quality.mrr >= MRR, quality.misses
