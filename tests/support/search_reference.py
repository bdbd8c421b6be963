"""The PostgreSQL ranking as it was before faq.ranking (main at acf6589): every candidate from the
GIN index, each unit's best field by a CASE per unit and field, scored one by one in Python. Kept
as the oracle that tests/faq/test_ranking.py compares the in-memory index with."""

from functools import reduce
from operator import or_

from django.contrib.postgres.search import SearchQuery as PgSearchQuery
from django.db.models import Case, FloatField, Q, Value, When

from faq import text as faq_text
from faq.models import Article
from faq.ranking import FIELD_WEIGHTS, TYPO_SIMILARITY


class TypoTolerantQuery(PgSearchQuery):
    """An English word as a prefix query, OR-ed with the closest words of the vocabulary."""

    def __init__(self, term: str) -> None:
        super().__init__(term, config="english", search_type="raw")
        self.term = term

    def as_sql(self, compiler, connection, **extra_context):
        sql = (
            "(to_tsquery('english', %s) || to_tsquery('english', coalesce(("
            "SELECT string_agg(close.word, ' | ') FROM ("
            "SELECT word FROM faq_searchterm WHERE word %% %s AND similarity(word, %s) >= %s "
            "ORDER BY similarity(word, %s) DESC LIMIT 3) AS close), '')))"
        )
        return sql, [f"{self.term}:*", self.term, self.term, TYPO_SIMILARITY, self.term]


def reference_ranked_ids(parsed: faq_text.SearchQuery, limit: int) -> list[int]:
    units: list[tuple[str, PgSearchQuery, list[PgSearchQuery]]] = []
    for term in parsed.english_terms:
        by_field = [
            PgSearchQuery(f"{term}:*{weight}", config="english", search_type="raw")
            for weight in "ABC"
        ]
        units.append((term, TypoTolerantQuery(term), by_field))
    for word in parsed.cjk_terms:
        pieces = faq_text.cjk_units(word)
        any_field = PgSearchQuery(" & ".join(pieces), config="simple", search_type="raw")
        by_field = [
            PgSearchQuery(
                " & ".join(f"{piece}:{weight}" for piece in pieces),
                config="simple",
                search_type="raw",
            )
            for weight in "ABC"
        ]
        units.append((word, any_field, by_field))
    any_unit = reduce(or_, [query for _, query, _ in units])
    columns = {}
    for index, (_, query, by_field) in enumerate(units):
        columns[f"unit_{index}"] = Case(
            *[
                When(Q(search_vector=field_query), then=Value(FIELD_WEIGHTS[weight]))
                for field_query, weight in zip(by_field, "ABC", strict=True)
            ],
            When(Q(search_vector=query), then=Value(FIELD_WEIGHTS["D"])),
            default=Value(0.0),
            output_field=FloatField(),
        )
    rows = (
        Article.objects.published()
        .filter(search_vector=any_unit)
        .annotate(**columns)
        .values_list("pk", "order", *columns)
    )
    frequency = dict.fromkeys(parsed.units, 0)
    candidates = []
    for pk, order, *weights in rows:
        pairs = zip(units, weights, strict=True)
        matched = {unit: weight for (unit, _, _), weight in pairs if weight}
        for unit in matched:
            frequency[unit] += 1
        candidates.append((pk, order, matched))
    idf = faq_text.inverse_frequencies(frequency, total=max(len(candidates), 1))
    scored = []
    for pk, order, matched in candidates:
        score = faq_text.query_score(parsed, matched, idf)
        if score is not None:
            scored.append((-score, order, pk))
    return [pk for *_, pk in sorted(scored)[:limit]]
