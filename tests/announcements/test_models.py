from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone, translation

from announcements.models import Announcement
from tests.support.factories import make_announcement

# full_clean checks the model's constraints in the database.
pytestmark = pytest.mark.django_db


def announcement(**overrides) -> Announcement:
    values = {
        "severity": "info",
        "title_en": "Long waits this evening",
        "title_zh_hans": "今晚排队较久",
        "starts_at": timezone.now(),
    }
    values.update(overrides)
    return Announcement(**values)


def errors_of(candidate: Announcement) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        candidate.full_clean()
    return caught.value.message_dict


def test_announcement_clean_refuses_an_end_before_the_start():
    start = timezone.now()

    errors = errors_of(announcement(starts_at=start, ends_at=start - timedelta(minutes=1)))

    assert errors["ends_at"] == ["The end must come after the start."]


def test_announcement_clean_refuses_an_end_equal_to_the_start():
    start = timezone.now()

    assert "ends_at" in errors_of(announcement(starts_at=start, ends_at=start))


@pytest.mark.parametrize("problem_types", [["withdrawals"], "topup_withdrawal", [1]])
def test_announcement_clean_refuses_unknown_problem_types(problem_types):
    errors = errors_of(announcement(problem_types=problem_types))

    assert errors["problem_types"] == ["Choose problem types from the list."]


def test_announcement_clean_keeps_known_problem_types_once_in_a_fixed_order():
    candidate = announcement(
        problem_types=["topup_withdrawal", "account_security", "topup_withdrawal"]
    )

    candidate.full_clean()

    assert candidate.problem_types == ["account_security", "topup_withdrawal"]


@pytest.mark.parametrize("field", ["title_en", "title_zh_hans"])
@pytest.mark.parametrize("value", ["", "   "])
def test_announcement_needs_a_title_in_both_languages(field, value):
    errors = errors_of(announcement(**{field: value}))

    assert list(errors) == [field]


def test_announcement_text_in_one_language_only_is_refused():
    errors = errors_of(announcement(body_en="Withdrawals on Tron are slow.", body_zh_hans=""))

    assert errors == {"body_zh_hans": ["Write the text in both languages, or leave both empty."]}


def test_announcement_without_text_is_valid():
    announcement(body_en="", body_zh_hans="").full_clean()


def test_database_refuses_an_end_before_the_start_even_without_clean():
    start = timezone.now()

    with pytest.raises(IntegrityError):
        announcement(starts_at=start, ends_at=start - timedelta(hours=1)).save()


def test_database_refuses_an_unknown_severity():
    with pytest.raises(IntegrityError):
        announcement(severity="urgent").save()


def test_announcement_reads_in_the_visitor_language_with_a_fallback():
    candidate = announcement(body_en="Slow withdrawals.", body_zh_hans="")

    with translation.override("zh-hans"):
        assert candidate.title == "今晚排队较久"
        assert candidate.body == "Slow withdrawals."
    with translation.override("en"):
        assert candidate.title == "Long waits this evening"


def test_announcement_is_live_only_inside_its_window_and_when_published():
    now = timezone.now()
    live = announcement(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))

    assert live.is_live(now=now)
    assert not live.is_live(now=now + timedelta(hours=1))
    assert not live.is_live(now=now - timedelta(hours=2))
    live.is_published = False
    assert not live.is_live(now=now)


def test_announcement_without_problem_types_concerns_every_problem():
    general = announcement(problem_types=[])
    withdrawals = announcement(problem_types=["topup_withdrawal"])

    assert general.concerns("account_security")
    assert withdrawals.concerns("topup_withdrawal")
    assert not withdrawals.concerns("account_security")
    assert withdrawals.concerns(None)


def test_factory_announcement_is_valid_and_saved():
    saved = make_announcement(problem_types=["account_frozen"])

    assert Announcement.objects.get(pk=saved.pk).problem_types == ["account_frozen"]
