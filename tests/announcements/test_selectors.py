from datetime import timedelta

import pytest
from django.utils import timezone

from announcements import selectors
from announcements.models import Announcement
from tests.support.factories import make_announcement

pytestmark = pytest.mark.django_db


def titles(announcements) -> list[str]:
    return [announcement.title_en for announcement in announcements]


def test_live_list_holds_only_published_announcements_inside_their_window():
    now = timezone.now()
    make_announcement(title_en="live, open-ended")
    make_announcement(title_en="live until tonight", ends_at=now + timedelta(hours=3))
    make_announcement(title_en="not started", starts_at=now + timedelta(minutes=5))
    make_announcement(
        title_en="ended",
        starts_at=now - timedelta(days=1),
        ends_at=now - timedelta(minutes=1),
    )
    make_announcement(title_en="draft", is_published=False)

    live = selectors.announcement_list_live(now=now)

    assert sorted(titles(live)) == ["live until tonight", "live, open-ended"]


def test_live_list_for_a_problem_type_includes_the_announcements_for_every_type():
    make_announcement(title_en="phishing wave", problem_types=[])
    make_announcement(title_en="tron withdrawals", problem_types=["topup_withdrawal"])
    make_announcement(title_en="2FA resets slow", problem_types=["account_security"])

    withdrawal = selectors.announcement_list_live(problem_type="topup_withdrawal")
    everything = selectors.announcement_list_live()

    assert sorted(titles(withdrawal)) == ["phishing wave", "tron withdrawals"]
    assert len(everything) == 3


def test_live_list_is_most_severe_first_then_newest_first():
    now = timezone.now()
    make_announcement(title_en="old info", severity="info", starts_at=now - timedelta(hours=5))
    make_announcement(
        title_en="old warning", severity="warning", starts_at=now - timedelta(hours=4)
    )
    make_announcement(
        title_en="new warning", severity="warning", starts_at=now - timedelta(hours=1)
    )
    make_announcement(title_en="critical", severity="critical", starts_at=now - timedelta(hours=9))

    live = selectors.announcement_list_live(now=now)

    assert titles(live) == ["critical", "new warning", "old warning", "old info"]


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("top-up-and-withdrawal", ["phishing wave", "tron withdrawals"]),
        ("account-security", ["2FA resets slow", "phishing wave"]),
        ("abnormal-transactions", ["phishing wave"]),
        ("contact-channels", ["phishing wave"]),
    ],
)
def test_category_pages_show_their_problem_types_and_the_general_ones(slug, expected):
    make_announcement(title_en="phishing wave", problem_types=[])
    make_announcement(title_en="tron withdrawals", problem_types=["topup_withdrawal"])
    make_announcement(title_en="2FA resets slow", problem_types=["account_security"])

    shown = selectors.announcement_list_for_category(category_slug=slug)

    assert sorted(titles(shown)) == expected


def test_cached_list_is_read_from_the_database_once(django_assert_num_queries):
    make_announcement(title_en="phishing wave")
    assert titles(selectors.announcement_list_live_cached()) == ["phishing wave"]

    with django_assert_num_queries(0):
        again = selectors.announcement_list_live_cached(problem_type="account_security")

    assert titles(again) == ["phishing wave"]


def test_saving_an_announcement_clears_the_cache():
    announcement = make_announcement(title_en="phishing wave")
    assert len(selectors.announcement_list_live_cached()) == 1

    announcement.is_published = False
    announcement.save()
    assert selectors.announcement_list_live_cached() == []

    make_announcement(title_en="tron withdrawals")
    assert titles(selectors.announcement_list_live_cached()) == ["tron withdrawals"]


def test_deleting_announcements_clears_the_cache():
    make_announcement(title_en="phishing wave")
    make_announcement(title_en="tron withdrawals")
    assert len(selectors.announcement_list_live_cached()) == 2

    Announcement.objects.filter(title_en="phishing wave").delete()
    assert titles(selectors.announcement_list_live_cached()) == ["tron withdrawals"]

    Announcement.objects.get().delete()
    assert selectors.announcement_list_live_cached() == []


def test_cached_announcements_start_and_end_on_time(django_assert_num_queries):
    now = timezone.now()
    make_announcement(
        title_en="maintenance",
        starts_at=now + timedelta(minutes=10),
        ends_at=now + timedelta(minutes=20),
    )
    assert selectors.announcement_list_live_cached() == []

    # The cache holds upcoming rows too and applies the window on each read.
    with django_assert_num_queries(0):
        during = selectors.announcement_list_live_cached(now=now + timedelta(minutes=11))
        after = selectors.announcement_list_live_cached(now=now + timedelta(minutes=21))

    assert titles(during) == ["maintenance"]
    assert after == []
