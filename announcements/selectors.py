"""Reads of service announcements: what is live now, for a page or a problem type."""

from collections.abc import Iterable
from datetime import datetime

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from announcements.models import Announcement
from tickets.models import ProblemType, Status, Ticket

CACHE_KEY = "announcements:current"
CACHE_SECONDS = 30
CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED)

# Help-centre categories (faq/content/categories.toml) about one kind of problem; the other
# categories show only the announcements that concern every problem type.
CATEGORY_PROBLEM_TYPES: dict[str, str] = {
    "account-security": ProblemType.ACCOUNT_SECURITY,
    "abnormal-transactions": ProblemType.ABNORMAL_TRANSACTION,
    "top-up-and-withdrawal": ProblemType.TOPUP_WITHDRAWAL,
    "frozen-and-locked-accounts": ProblemType.ACCOUNT_FROZEN,
}


def announcement_list_live(
    *, problem_type: str | None = None, now: datetime | None = None
) -> list[Announcement]:
    """The live announcements concerning a problem type (None: all), read from the database."""
    now = now or timezone.now()
    rows = Announcement.objects.filter(is_published=True, starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    return live_among(rows, problem_type=problem_type, now=now)


def announcement_list_live_cached(
    *, problem_type: str | None = None, now: datetime | None = None
) -> list[Announcement]:
    """announcement_list_live through the cache: every page asks for it.

    The cache holds every published announcement that has not ended yet, upcoming ones
    included, and the time window is applied on each read, so one starts and ends on time
    whatever the cache's age; saving or deleting one clears the cache (announcements.signals).
    """
    candidates = cache.get(CACHE_KEY)
    if candidates is None:
        candidates = list(
            Announcement.objects.filter(is_published=True).filter(
                Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now())
            )
        )
        cache.set(CACHE_KEY, candidates, CACHE_SECONDS)
    return live_among(candidates, problem_type=problem_type, now=now)


def announcement_list_for_category(
    *, category_slug: str, announcements: Iterable[Announcement] | None = None
) -> list[Announcement]:
    """The live announcements for a help-centre category's pages."""
    if announcements is None:
        announcements = announcement_list_live_cached()
    problem_type = CATEGORY_PROBLEM_TYPES.get(category_slug)
    if problem_type is None:
        return [announcement for announcement in announcements if not announcement.problem_types]
    return [announcement for announcement in announcements if announcement.concerns(problem_type)]


def live_among(
    announcements: Iterable[Announcement],
    *,
    problem_type: str | None = None,
    now: datetime | None = None,
) -> list[Announcement]:
    """The live ones concerning a problem type, most severe first, then the newest first."""
    now = now or timezone.now()
    chosen = [
        announcement
        for announcement in announcements
        if announcement.is_live(now=now) and announcement.concerns(problem_type)
    ]
    chosen.sort(key=lambda announcement: (-announcement.starts_at.timestamp(), -announcement.pk))
    chosen.sort(key=lambda announcement: announcement.severity_rank)
    return chosen


def announcement_cache_clear() -> None:
    cache.delete(CACHE_KEY)


def announcement_open_tickets(*, announcement: Announcement) -> QuerySet[Ticket]:
    """The tagged tickets a reply to all would answer: not resolved or closed."""
    return announcement.tickets.exclude(status__in=CLOSED_STATUSES).order_by("pk")
