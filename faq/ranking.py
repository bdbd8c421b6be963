"""PostgreSQL search ranking from an index each worker keeps in memory, per help-centre version.

The articles' `search_vector` (faq.models.search_vector_expression) stays the one source of
truth: the index is what PostgreSQL would answer for it, read once per version of the help
centre (one statement), as one bitset per lexeme and field weight, an article being a bit in
(order, id) order. A query's units then become bitsets by a few big-integer operations (a
Chinese word is the AND of its bigrams; an English word the OR of the lexemes its stem begins,
plus the typos the vocabulary corrects), and articles fall into classes that share each unit's
best field, so the score of a class is the score of all its articles. Ranking costs a few
operations per class and per unit, however many articles match: "network fee", which matches
every article of the benchmark's 10,000, ranks in well under a millisecond.

Scores are those of `faq.text.query_score` on the same weights, computed in the same order, so
the results are the ones the per-article scoring gave (tests/faq/test_ranking.py).
"""

import re
import threading
import time
from bisect import bisect_left
from dataclasses import dataclass

from django.db import connection

from faq import text as faq_text

# PostgreSQL's default ts_rank weights for D, C, B, A (the SQLite fallback uses the same).
FIELD_WEIGHTS = {"A": 1.0, "B": 0.6, "C": 0.3, "D": 0.05}
# Trigram similarity a vocabulary word needs to count as the query word misspelt (`withdrawl`):
# stricter than pg_trgm's 0.3, which lets `anymore` stand for `many`.
TYPO_SIMILARITY = 0.5
# Without a shared cache (Redis away) the version cannot be read: the index is then rebuilt
# when it is this old, the longest an edit waits to be searchable during such an outage.
UNVERSIONED_SECONDS = 30.0

# One statement, so places and postings come from one snapshot. One row (fields -1) holds the
# article ids by place, (order, id); then one row per lexeme and the fields it is in (bit 1: A,
# 2: B, 4: C; D is any row), with the places of the articles that hold it so.
INDEX_SQL = """
    WITH published AS (
        SELECT article.id, article.search_vector,
            (row_number() OVER (ORDER BY article."order", article.id) - 1)::integer AS place
        FROM faq_article AS article
        JOIN faq_category AS category ON category.id = article.category_id
        WHERE article.status = 'published' AND category.is_published
    )
    SELECT NULL, -1, array_agg(published.id ORDER BY published.place) FROM published
    UNION ALL
    SELECT entry.lexeme,
        (CASE WHEN 'A' = ANY(entry.weights) THEN 1 ELSE 0 END)
        | (CASE WHEN 'B' = ANY(entry.weights) THEN 2 ELSE 0 END)
        | (CASE WHEN 'C' = ANY(entry.weights) THEN 4 ELSE 0 END),
        array_agg(published.place)
    FROM published, unnest(published.search_vector) AS entry
    GROUP BY 1, 2
"""
# Each English word's prefix query and its close words in the vocabulary, as PostgreSQL's English
# configuration reads them (stemmed, stop words dropped): one statement for the whole query.
ENGLISH_SQL = """
    SELECT term, to_tsquery('english', term || ':*')::text,
        to_tsquery('english', coalesce((
            SELECT string_agg(close.word, ' | ') FROM (
                SELECT word FROM faq_searchterm
                WHERE word %% term AND similarity(word, term) >= %s
                ORDER BY similarity(word, term) DESC LIMIT 3
            ) AS close
        ), ''))::text
    FROM unnest(%s::text[]) AS term
"""
LEXEME = re.compile(r"'((?:[^']|'')*)'(:\*)?")
SMALL_POSTING = 32


@dataclass(frozen=True)
class Levels:
    """A unit's articles by the best field it is found in (A, B, C, D), as bitsets."""

    a: int
    b: int
    c: int
    any: int

    def by_weight(self) -> list[tuple[float, int]]:
        """Disjoint (weight, articles) pairs, best field first, as the SQL CASE chose it."""
        above = self.a
        pairs = [(FIELD_WEIGHTS["A"], self.a)]
        for weight, bits in ((FIELD_WEIGHTS["B"], self.b), (FIELD_WEIGHTS["C"], self.c)):
            pairs.append((weight, bits & ~above))
            above |= bits
        pairs.append((FIELD_WEIGHTS["D"], self.any & ~above))
        return [(weight, bits) for weight, bits in pairs if bits]

    @property
    def matched(self) -> int:
        return self.a | self.b | self.c | self.any


NOTHING = Levels(0, 0, 0, 0)


@dataclass(frozen=True)
class RankingIndex:
    version: int | None
    built_at: float
    ids: tuple[int, ...]  # article ids by place: (order, id)
    lexemes: tuple[str, ...]  # sorted, for prefix ranges
    postings: dict[str, Levels]

    def exact(self, lexeme: str) -> Levels:
        return self.postings.get(lexeme, NOTHING)

    def prefix(self, stem: str) -> Levels:
        """Every lexeme that begins with `stem`, OR-ed: PostgreSQL's `stem:*`."""
        a = b = c = any_ = 0
        start = bisect_left(self.lexemes, stem)
        for lexeme in self.lexemes[start:]:
            if not lexeme.startswith(stem):
                break
            levels = self.postings[lexeme]
            a, b, c, any_ = a | levels.a, b | levels.b, c | levels.c, any_ | levels.any
        return Levels(a, b, c, any_)


_index: RankingIndex | None = None
_index_lock = threading.Lock()


def ranking_index(*, version: int | None) -> RankingIndex:
    """The index of the published articles at this help-centre version, built when it moved."""
    global _index
    with _index_lock:
        index = _index
        if index is None or not _is_current(index, version):
            index = _index = _build(version)
        return index


def ranking_index_forget() -> None:
    """Drop this process's index (tests)."""
    global _index
    with _index_lock:
        _index = None


def _is_current(index: RankingIndex, version: int | None) -> bool:
    if version is None:
        return index.version is None and time.monotonic() - index.built_at < UNVERSIONED_SECONDS
    return index.version == version


def _build(version: int | None) -> RankingIndex:
    with connection.cursor() as cursor:
        cursor.execute(INDEX_SQL)
        rows = cursor.fetchall()
    ids = tuple(next(places for _, labels, places in rows if labels < 0) or ())
    size = (len(ids) + 7) // 8
    fields: dict[str, list[int]] = {}
    for lexeme, labels, places in rows:
        if labels < 0:
            continue
        bits = _bitset(places, size)
        entry = fields.setdefault(lexeme, [0, 0, 0, 0])
        entry[3] |= bits
        for slot in range(3):
            if labels & (1 << slot):
                entry[slot] |= bits
    postings = {lexeme: Levels(*entry) for lexeme, entry in fields.items()}
    return RankingIndex(version, time.monotonic(), ids, tuple(sorted(postings)), postings)


def _bitset(places: list[int], size: int) -> int:
    if len(places) < SMALL_POSTING:
        bits = 0
        for place in places:
            bits |= 1 << place
        return bits
    array = bytearray(size)
    for place in places:
        array[place >> 3] |= 1 << (place & 7)
    return int.from_bytes(array, "little")


def _tsquery_lexemes(tsquery: str) -> list[tuple[str, bool]]:
    """(lexeme, is a prefix) of a tsquery's text (`'withdraw':*`)."""
    return [(m.group(1).replace("''", "'"), bool(m.group(2))) for m in LEXEME.finditer(tsquery)]


def _english_levels(index: RankingIndex, terms: tuple[str, ...]) -> dict[str, Levels]:
    """Each English word's articles: fields from its prefix query, `any` also from its typos."""
    if not terms:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(ENGLISH_SQL, [TYPO_SIMILARITY, list(terms)])
        rows = cursor.fetchall()
    found = {}
    for term, prefix_query, close_query in rows:
        parts = [
            index.prefix(lexeme) if prefix else index.exact(lexeme)
            for lexeme, prefix in _tsquery_lexemes(prefix_query)
        ]
        prefixed = _all_of(parts) if parts else NOTHING
        close = 0
        for lexeme, _prefix in _tsquery_lexemes(close_query):
            close |= index.exact(lexeme).any
        found[term] = Levels(prefixed.a, prefixed.b, prefixed.c, prefixed.any | close)
    return found


def _all_of(parts: list[Levels]) -> Levels:
    """Articles holding every part, in each field (PostgreSQL's `x:A & y:A`)."""
    a, b, c, any_ = parts[0].a, parts[0].b, parts[0].c, parts[0].any
    for part in parts[1:]:
        a, b, c, any_ = a & part.a, b & part.b, c & part.c, any_ & part.any
    return Levels(a, b, c, any_)


def _cjk_levels(index: RankingIndex, word: str) -> Levels:
    return _all_of([index.exact(piece) for piece in faq_text.cjk_units(word)])


def ranked_ids(*, parsed: faq_text.SearchQuery, limit: int, version: int | None) -> list[int]:
    """The ids of the best `limit` published articles for a parsed query, best first."""
    index = ranking_index(version=version)
    english = _english_levels(index, parsed.english_terms)
    units = [(term, english[term]) for term in parsed.english_terms]
    units += [(word, _cjk_levels(index, word)) for word in parsed.cjk_terms]
    candidates = 0
    for _, levels in units:
        candidates |= levels.any
    frequency = dict.fromkeys(parsed.units, 0)
    for unit, levels in units:
        frequency[unit] = (levels.matched & candidates).bit_count()
    idf = faq_text.inverse_frequencies(frequency, total=max(candidates.bit_count(), 1))
    # Split the candidates by each unit's best field: every article of a class scores the same.
    classes: list[tuple[int, dict[str, float]]] = [(candidates, {})] if candidates else []
    for unit, levels in units:
        by_weight = levels.by_weight()
        if not by_weight:
            continue
        split = []
        for bits, weights in classes:
            rest = bits
            for weight, level_bits in by_weight:
                if part := bits & level_bits:
                    split.append((part, {**weights, unit: weight}))
                    rest &= ~level_bits
            if rest:
                split.append((rest, weights))
        classes = split
    scored: dict[float, int] = {}
    for bits, weights in classes:
        score = faq_text.query_score(parsed, weights, idf)
        if score is not None:
            scored[score] = scored.get(score, 0) | bits
    best: list[int] = []
    for score in sorted(scored, reverse=True):
        bits = scored[score]
        while bits and len(best) < limit:
            lowest = bits & -bits
            best.append(index.ids[lowest.bit_length() - 1])
            bits ^= lowest
        if len(best) >= limit:
            break
    return best
