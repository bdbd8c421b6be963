"""Reads of the help centre. Every function runs a fixed number of SQL queries."""

import hashlib
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404

from common import page_cache
from common.i18n import language_suffix
from faq import ranking, scams
from faq import text as faq_text
from faq.models import Article, ArticleVote, Category, SearchSynonym

SEARCH_RESULT_LIMIT = 20
INDEX_ARTICLES = 8
CATEGORY_PAGE_SIZE = 30
SUGGEST_LIMIT = 5
RELATED_LIMIT = 4
SNIPPET_SOURCE_CHARACTERS = 2000
BODY_CACHE_SECONDS = 24 * 60 * 60
FIELD_WEIGHTS = ranking.FIELD_WEIGHTS


@dataclass(frozen=True)
class SearchResult:
    article: Article
    snippet: str


def category_list() -> list[Category]:
    """Published categories, each with its first INDEX_ARTICLES articles (`published_articles`)
    and how many it has (`published_count`): what the index shows stays the same size however
    large the help centre grows (two queries)."""
    in_category = {"partition_by": [F("category_id")]}
    listed = (
        Article.objects.published()
        .defer(*LISTING_DEFERRED)
        .annotate(
            place=Window(RowNumber(), order_by=[F("order"), F("id")], **in_category),
            in_category=Window(Count("id"), **in_category),
        )
        .filter(place__lte=INDEX_ARTICLES)
        .order_by("category_id", "place")
    )
    by_category: dict[int, list[Article]] = {}
    for article in listed:
        by_category.setdefault(article.category_id, []).append(article)
    categories = list(Category.objects.filter(is_published=True))
    for category in categories:
        category.published_articles = by_category.get(category.pk, [])
        for article in category.published_articles:
            article.category = category  # their links need its slug: no query per article
        category.published_count = (
            category.published_articles[0].in_category if category.published_articles else 0
        )
    return categories


def category_get(*, slug: str) -> Category:
    return get_object_or_404(Category, slug=slug, is_published=True)


def category_articles(*, category: Category, page: str | int | None = 1) -> Page:
    """One page of a category's published articles, in editorial order (two queries)."""
    articles = (
        Article.objects.published()
        .filter(category=category)
        .defer(*LISTING_DEFERRED)
        .order_by("order", "id")
    )
    return Paginator(articles, CATEGORY_PAGE_SIZE).get_page(page)


def article_get(*, slug: str) -> Article:
    articles = Article.objects.published().select_related("category").defer(*SEARCH_COLUMNS)
    return get_object_or_404(articles, slug=slug)


def article_body_html(*, article: Article) -> str:
    """The article's body as safe HTML in the active language, cached until it is edited."""
    suffix = language_suffix()
    key = f"faq:body:{article.pk}:{article.updated_at.timestamp()}:{suffix}"
    html = cache.get(key)
    if html is None:
        html = faq_text.render_markdown(article.body)
        cache.set(key, html, BODY_CACHE_SECONDS)
    return html


def article_related(*, article: Article) -> list[Article]:
    """Other articles of the same category, in their order."""
    return list(
        Article.objects.published()
        .filter(category_id=article.category_id)
        .exclude(pk=article.pk)
        .select_related("category")
        .only("slug", "title_en", "title_zh_hans", "category__slug")
        .order_by("order", "id")[:RELATED_LIMIT]
    )


def article_vote_of(*, article: Article, visitor: str | None) -> ArticleVote | None:
    if not visitor:
        return None
    return ArticleVote.objects.filter(article=article, visitor=visitor).first()


SEARCH_COLUMNS = ("search_vector", "search_words")
# What lists of articles never show: the search columns and the bodies.
LISTING_DEFERRED = (*SEARCH_COLUMNS, "body_en", "body_zh_hans", "keywords_en", "keywords_zh_hans")
SYNONYMS_CACHE_KEY = "faq:synonyms:v1"
SYNONYMS_CACHE_SECONDS = 10 * 60


@dataclass(frozen=True)
class SearchOutcome:
    results: list[SearchResult]
    warning: str | None


# (until, groups): the synonym groups as last read from the shared cache, reused for
# PAGE_CACHE_STATE_MS as the pages' state is (a round trip and an unpickling per search saved).
_synonyms_memo: tuple[float, list | None] = (0.0, None)


def search_synonyms() -> faq_text.Synonyms:
    """The active synonym groups, cached (the admin clears the cache when they change)."""
    global _synonyms_memo
    until, groups = _synonyms_memo
    now = time.monotonic()
    if groups is None or now >= until:
        groups = cache.get(SYNONYMS_CACHE_KEY)
        if groups is None:
            groups = [
                (synonym.term, synonym.variant_list())
                for synonym in SearchSynonym.objects.filter(is_active=True)
            ]
            cache.set(SYNONYMS_CACHE_KEY, groups, SYNONYMS_CACHE_SECONDS)
        _synonyms_memo = (now + settings.PAGE_CACHE_STATE_MS / 1000, groups)
    return _synonyms_of(tuple((term, tuple(variants)) for term, variants in groups))


def search_synonyms_forget_process() -> None:
    """Read the synonym groups from the shared cache at the next search (an edit, tests)."""
    global _synonyms_memo
    _synonyms_memo = (0.0, None)


@lru_cache(maxsize=8)
def _synonyms_of(groups: tuple[tuple[str, tuple[str, ...]], ...]) -> faq_text.Synonyms:
    return faq_text.Synonyms.from_groups([(term, list(variants)) for term, variants in groups])


def help_search(*, query: str, limit: int = SEARCH_RESULT_LIMIT) -> SearchOutcome:
    """What the search page, the type-ahead and the app show for a query: the best articles,
    and when the query describes a fake-support scam, the scam article first with a warning."""
    results = article_search(query=query, limit=limit)
    if not scams.looks_like_fake_support(query):
        return SearchOutcome(results, None)
    results = with_article_first(results, slug=scams.FAKE_SUPPORT_ARTICLE_SLUG)
    return SearchOutcome(results, str(scams.WARNING))


def article_search(*, query: str, limit: int = SEARCH_RESULT_LIMIT) -> list[SearchResult]:
    """Published articles matching a query in either language, best first, with snippets."""
    parsed = faq_text.parse_query(query, search_synonyms())
    if parsed.is_empty:
        return []
    facts = (parsed.english_terms, parsed.cjk_terms, parsed.cjk_phrases, limit, language_suffix())
    key = "faq:search:" + hashlib.sha256(repr((facts, connection.vendor)).encode()).hexdigest()[:32]
    keep = settings.FAQ_SEARCH_RESULTS_SECONDS
    found = cache.get_many([page_cache.VERSION_KEY, key] if keep else [page_cache.VERSION_KEY])
    version = page_cache.page_cache_version(found=found.get(page_cache.VERSION_KEY))
    kept = found.get(key)
    if version is not None and kept is not None and kept[0] == version:
        return kept[1]
    if connection.vendor == "postgresql":
        articles = _search_postgres(parsed, limit, version)
    else:
        articles = _search_portable(parsed, limit)
    results = [SearchResult(article, _snippet(article, parsed)) for article in articles]
    # Customers in an incident search the same few words again and again: their results are kept
    # per language under the help centre's version, which every editor's change moves on
    # (faq/signals.py, services.articles_status_set), so an edit retires them all at once.
    if version is not None and keep:
        cache.set(key, (version, results), keep)
    return results


def with_article_first(results: list[SearchResult], *, slug: str) -> list[SearchResult]:
    """The results with one article moved (or added) to the top, keeping the length."""
    rest = [result for result in results if result.article.slug != slug]
    first = next((result for result in results if result.article.slug == slug), None)
    if first is None:
        article = (
            Article.objects.published()
            .select_related("category")
            .defer(*SEARCH_COLUMNS)
            .filter(slug=slug)
            .first()
        )
        if article is None:
            return results
        first = SearchResult(
            article, faq_text.highlight_snippet(article.summary, faq_text.parse_query(""))
        )
    return [first, *rest][: max(len(results), 1)]


def _search_postgres(
    parsed: faq_text.SearchQuery, limit: int, version: int | None
) -> list[Article]:
    """Ranked from the worker's index of the help centre (faq.ranking), then one query loads the
    best articles."""
    best = ranking.ranked_ids(parsed=parsed, limit=limit, version=version)
    articles = Article.objects.select_related("category").defer(*SEARCH_COLUMNS).in_bulk(best)
    return [articles[pk] for pk in best if pk in articles]


def _search_portable(parsed: faq_text.SearchQuery, limit: int) -> list[Article]:
    """The same rules in Python, for the SQLite default: one query, ranked in memory."""
    rows = []
    frequency = dict.fromkeys(parsed.units, 0)
    for article in Article.objects.published().select_related("category"):
        fields, words = _portable_document(article)
        weights = {}
        for unit in parsed.cjk_terms:
            found = [FIELD_WEIGHTS[w] for w, text in fields.items() if unit in text]
            if found:
                weights[unit] = max(found)
        for term in parsed.english_terms:
            if weight := _english_term_weight(term, words):
                weights[term] = weight
        for unit in weights:
            frequency[unit] += 1
        if weights:
            rows.append((article, weights))
    idf = faq_text.inverse_frequencies(frequency, total=max(len(rows), 1))
    scored = []
    for article, weights in rows:
        score = faq_text.query_score(parsed, weights, idf)
        if score is not None:
            scored.append((-score, article.order, article.pk, article))
    scored.sort(key=lambda row: row[:3])
    return [row[-1] for row in scored[:limit]]


_PORTABLE_DOCUMENTS: dict[tuple[int, float], tuple[dict, dict]] = {}
PORTABLE_DOCUMENTS_KEPT = 20000


def _portable_document(article: Article) -> tuple[dict[str, str], dict[str, frozenset[str]]]:
    """An article's lower-cased fields and their words, kept per process until it is edited."""
    key = (article.pk, article.updated_at.timestamp())
    document = _PORTABLE_DOCUMENTS.get(key)
    if document is None:
        if len(_PORTABLE_DOCUMENTS) >= PORTABLE_DOCUMENTS_KEPT:
            _PORTABLE_DOCUMENTS.clear()
        fields = {weight: text.lower() for weight, text in article.weighted_texts().items()}
        words = {w: frozenset(faq_text.LATIN_WORD.findall(text)) for w, text in fields.items()}
        document = _PORTABLE_DOCUMENTS[key] = (fields, words)
    return document


def _english_term_weight(term: str, words: dict[str, frozenset[str]]) -> float:
    stem = faq_text.english_stem(term)
    best = 0.0
    for weight, field_words in words.items():
        if any(word.startswith(stem) for word in field_words):
            best = max(best, FIELD_WEIGHTS[weight])
    if best:
        return best
    for weight, field_words in words.items():
        if any(faq_text.is_close_word(term, word) for word in field_words):
            best = max(best, FIELD_WEIGHTS[weight] * 0.5)
    return best


def _snippet(article: Article, parsed: faq_text.SearchQuery) -> str:
    """A highlighted excerpt in the visitor's language, else in the language that matched."""
    own = language_suffix()
    for suffix in (own, "zh_hans" if own == "en" else "en"):
        # The first match is what the excerpt shows; long bodies need not be scanned whole.
        body = getattr(article, f"body_{suffix}")[:SNIPPET_SOURCE_CHARACTERS]
        text = f"{getattr(article, f'summary_{suffix}')} {faq_text.markdown_to_text(body)}"
        snippet = faq_text.highlight_snippet(text, parsed)
        if "<mark>" in snippet:
            return snippet
    return faq_text.highlight_snippet(f"{article.summary}", parsed)


def articles_for_listing() -> QuerySet[Article]:
    return Article.objects.published().select_related("category")
