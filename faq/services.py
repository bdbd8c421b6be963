"""Writes of the help centre."""

import atexit
import logging
import threading
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.utils import timezone

from common.cache import OUTAGE_ERRORS
from common.page_cache import page_cache_forget
from faq.models import Article, ArticleVote, Category, SearchLog
from faq.selectors import SYNONYMS_CACHE_KEY, search_synonyms_forget_process
from guard.detect import scan_text

logger = logging.getLogger(__name__)

CONTENT_DIR = Path(__file__).resolve().parent / "content"
CATEGORY_FIELDS = (
    "order",
    "icon",
    "title_en",
    "title_zh_hans",
    "description_en",
    "description_zh_hans",
)
ARTICLE_FIELDS = (
    "order",
    "title_en",
    "title_zh_hans",
    "summary_en",
    "summary_zh_hans",
    "body_en",
    "body_zh_hans",
    "keywords_en",
    "keywords_zh_hans",
)


class HelpCentreContentError(Exception):
    """The shipped content files are malformed."""


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class VoteOutcome:
    recorded: bool
    helpful: bool


def help_centre_load(*, directory: Path = CONTENT_DIR, update: bool = False) -> LoadReport:
    """Load the shipped help centre; rerunning creates nothing twice.

    Rows that exist are left as editors made them unless `update` is set.
    """
    report = LoadReport()
    with transaction.atomic():
        for data in _read(directory / "categories.toml", "category"):
            category = _upsert(Category, data, CATEGORY_FIELDS, update, report)
            for article_data in _read(directory / f"{category.slug}.toml", "article"):
                _upsert(
                    Article,
                    article_data,
                    ARTICLE_FIELDS,
                    update,
                    report,
                    category=category,
                    status=Article.Status.PUBLISHED,
                )
    return report


def _read(path: Path, table: str) -> list[dict]:
    try:
        with path.open("rb") as content:
            return tomllib.load(content)[table]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as error:
        raise HelpCentreContentError(f"{path.name}: {error}") from error


def _upsert(model, data: dict, fields: tuple[str, ...], update: bool, report: LoadReport, **extra):
    try:
        values = {field: data[field] for field in fields if field in data}
        slug = data["slug"]
    except KeyError as error:
        raise HelpCentreContentError(f"missing {error} in {data.get('slug', data)}") from error
    values.update(extra)
    instance = model.objects.filter(slug=slug).first()
    if instance is None:
        instance = model(slug=slug, **values)
        instance.full_clean()
        instance.save()
        report.created += 1
    elif update and any(getattr(instance, key) != value for key, value in values.items()):
        for key, value in values.items():
            setattr(instance, key, value)
        instance.full_clean()
        instance.save()
        report.updated += 1
    else:
        report.unchanged += 1
    return instance


VIEW_COUNT_KEY = "faq:views:{pk}"
VIEW_FLUSH_CHUNK = 500


def articles_status_set(*, articles: QuerySet[Article], status: str) -> int:
    """Publish or unpublish many articles at once (the admin's actions). One UPDATE sends no
    post_save, so the public pages and kept search rankings are forgotten here."""
    count = articles.update(status=status, updated_at=timezone.now())
    page_cache_forget()
    return count


# Views are added up in the process and pushed to the shared cache at most every second: a
# round trip per view was a third of a cached article's cost (docs/benchmarks.md, issue 19). A
# process that stops pushes what it holds; one that is killed loses at most its last second.
VIEW_PUSH_SECONDS = 1.0
_views_pending: Counter = Counter()
_views_lock = threading.Lock()
_views_pushed_at = 0.0


def article_record_view(*, article_id: int) -> None:
    """Count a view. With a shared cache the count goes there and `article_views_flush` adds it
    to the row every minute: a row write per view made concurrent readers of one article queue
    on its lock. On the embedded default (one process, no beat) the row is written directly."""
    if not settings.FAQ_VIEW_COUNTS_BATCHED:
        _views_add_to_row(article_id, 1)
        return
    with _views_lock:
        _views_pending[article_id] += 1
        due = time.monotonic() - _views_pushed_at >= VIEW_PUSH_SECONDS
    if due:
        article_views_push()


def _views_add_to_row(article_id: int, count: int) -> None:
    Article.objects.filter(pk=article_id).update(view_count=F("view_count") + count)


def article_views_push() -> None:
    """Add this process's counted views to the shared cache's counts."""
    global _views_pushed_at
    with _views_lock:
        taken = dict(_views_pending)
        _views_pending.clear()
        _views_pushed_at = time.monotonic()
    for article_id, count in taken.items():
        key = VIEW_COUNT_KEY.format(pk=article_id)
        try:
            try:
                cache.incr(key, count)
            except ValueError:  # the first view since the last flush
                if not cache.add(key, count, timeout=None):
                    cache.incr(key, count)
        except OUTAGE_ERRORS:
            # Redis is away: the views go on the row, as on the embedded default.
            _views_add_to_row(article_id, count)


def article_views_forget_process() -> None:
    """Drop the views this process has not pushed yet (tests)."""
    global _views_pushed_at
    with _views_lock:
        _views_pending.clear()
        _views_pushed_at = 0.0


def _views_push_at_exit() -> None:
    if not settings.FAQ_VIEW_COUNTS_BATCHED:
        return
    try:
        article_views_push()
    except Exception:  # Redis gone at shutdown: these views are lost, the stop goes on
        logger.warning("article views of this process not pushed at exit", exc_info=True)


atexit.register(_views_push_at_exit)


def article_views_flush() -> int:
    """Add the views counted in the cache to the articles' rows; returns how many were added.

    Each count is taken from the cache (decremented by what was read) before it is added, so a
    view counted meanwhile stays for the next flush and none is added twice; a flush that dies
    between the two loses at most its own counts, never doubles them.
    """
    article_views_push()  # this process's own, if it served any
    ids = list(Article.objects.values_list("pk", flat=True).order_by("pk"))
    added = 0
    for start in range(0, len(ids), VIEW_FLUSH_CHUNK):
        keys = {VIEW_COUNT_KEY.format(pk=pk): pk for pk in ids[start : start + VIEW_FLUSH_CHUNK]}
        taken = {}
        for key, count in cache.get_many(list(keys)).items():
            if count and count > 0:
                cache.decr(key, count)
                taken[keys[key]] = count
        if taken:
            Article.objects.filter(pk__in=taken).update(
                view_count=F("view_count")
                + Case(
                    *[When(pk=pk, then=Value(count)) for pk, count in taken.items()],
                    default=Value(0),
                )
            )
            added += sum(taken.values())
    return added


def article_vote(*, article: Article, visitor: str, helpful: bool) -> VoteOutcome:
    """Record a visitor's "Was this helpful?" answer; a second answer changes nothing."""
    try:
        with transaction.atomic():
            ArticleVote.objects.create(article=article, visitor=visitor, helpful=helpful)
            counter = "helpful_count" if helpful else "not_helpful_count"
            Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    except IntegrityError:
        existing = ArticleVote.objects.get(article=article, visitor=visitor)
        return VoteOutcome(recorded=False, helpful=existing.helpful)
    return VoteOutcome(recorded=True, helpful=helpful)


POOR_RESULT_COUNT = 1
SEARCH_LOG_QUERY_CHARACTERS = 200


def search_record(*, query: str, language: str, source: str, result_count: int) -> bool:
    """Keep a search that found nothing or one article, for editors to see what is missing.

    The guard's scan runs again here, whatever the caller checked: a recovery phrase, key or
    card number is never stored. Returns whether a row was written.
    """
    if result_count > POOR_RESULT_COUNT:
        return False
    text = " ".join(query.split())[:SEARCH_LOG_QUERY_CHARACTERS]
    if not text or scan_text(query):
        return False
    today = timezone.localdate()
    SearchLog.objects.create(
        query=text,
        language=language[:10],
        source=source,
        result_count=result_count,
        week=today - timedelta(days=today.weekday()),
    )
    return True


def article_vote_explain(*, article: Article, visitor: str | None, missing: str) -> bool:
    """Add "what was missing?" to the visitor's own "No" vote, once; anything else is ignored."""
    if not visitor or scan_text(missing):
        return False
    updated = ArticleVote.objects.filter(
        article=article, visitor=visitor, helpful=False, missing=""
    ).update(missing=missing[:1000])
    return bool(updated)


def search_synonyms_changed() -> None:
    """Drop the cached synonym groups so the next search reads the edited ones."""
    cache.delete(SYNONYMS_CACHE_KEY)
    search_synonyms_forget_process()
