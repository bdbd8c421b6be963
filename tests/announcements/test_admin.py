import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from announcements.models import Announcement
from tests.support.auth import login_with_second_factor
from tests.support.factories import make_announcement, make_ticket
from tickets.models import AuthorKind, Message, Status
from tickets.services import ticket_change_status

pytestmark = pytest.mark.django_db

REPLY = "Tron withdrawals are delayed and will arrive once the network recovers."


def reply_all_url(announcement) -> str:
    return reverse("admin:announcements_announcement_reply_all", args=[announcement.pk])


def add_form(**overrides) -> dict:
    data = {
        "severity": "critical",
        "is_published": "on",
        "title_en": "Fake support accounts on Telegram",
        "body_en": "We never message you first.",
        "title_zh_hans": "Telegram 上的假冒客服",
        "body_zh_hans": "我们不会主动联系您。",
        "starts_at_0": "2026-11-25",
        "starts_at_1": "09:00:00",
        "ends_at_0": "2026-11-26",
        "ends_at_1": "09:00:00",
        "problem_types": ["account_security", "abnormal_transaction"],
    }
    data.update(overrides)
    return data


def test_changelist_shows_severity_window_types_and_tagged_tickets(client, superuser):
    announcement = make_announcement(
        title_en="Tron withdrawals delayed", severity="critical", problem_types=["topup_withdrawal"]
    )
    announcement.tickets.add(make_ticket(), make_ticket())
    make_announcement(title_en="Unpublished draft", is_published=False)
    login_with_second_factor(client, superuser)

    response = client.get(reverse("admin:announcements_announcement_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Tron withdrawals delayed" in page
    assert "Critical" in page
    assert "Top-up or withdrawal" in page
    assert "All problem types" in page
    assert "until further notice" in page
    assert '<td class="field-tagged_ticket_count">2</td>' in page
    assert page.count('alt="True"') >= 1
    assert page.count('alt="False"') >= 1


@pytest.mark.parametrize(
    ("window", "shown"),
    [("live", "Live one"), ("upcoming", "Upcoming one"), ("ended", "Ended one")],
)
def test_changelist_filters_by_time_window(client, superuser, window, shown):
    now = timezone.now()
    make_announcement(title_en="Live one")
    make_announcement(title_en="Upcoming one", starts_at=now + timedelta(days=1))
    make_announcement(
        title_en="Ended one", starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
    )
    login_with_second_factor(client, superuser)

    response = client.get(
        reverse("admin:announcements_announcement_changelist"), {"window": window}
    )

    page = response.content.decode()
    listed = {title for title in ("Live one", "Upcoming one", "Ended one") if title in page}
    assert listed == {shown}


def test_staff_add_a_bilingual_announcement(client, superuser):
    login_with_second_factor(client, superuser)

    response = client.post(reverse("admin:announcements_announcement_add"), add_form())

    assert response.status_code == 302
    announcement = Announcement.objects.get()
    assert announcement.created_by == superuser
    assert announcement.problem_types == ["account_security", "abnormal_transaction"]
    assert announcement.title_zh_hans == "Telegram 上的假冒客服"
    # Entered in the site's time zone (Asia/Shanghai): 09:00 there is 01:00 UTC.
    assert announcement.starts_at.isoformat() == "2026-11-25T01:00:00+00:00"


def test_adding_an_announcement_that_ends_before_it_starts_saves_nothing(client, superuser):
    login_with_second_factor(client, superuser)

    response = client.post(
        reverse("admin:announcements_announcement_add"),
        add_form(ends_at_0="2026-11-24", ends_at_1="09:00:00"),
    )

    assert response.status_code == 200
    assert "The end must come after the start." in response.content.decode()
    assert not Announcement.objects.exists()


def test_adding_an_announcement_without_a_chinese_title_saves_nothing(client, superuser):
    login_with_second_factor(client, superuser)

    response = client.post(
        reverse("admin:announcements_announcement_add"), add_form(title_zh_hans="  ")
    )

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Announcement.objects.exists()


def test_change_page_offers_the_reply_to_all_tool(client, superuser):
    announcement = make_announcement()
    login_with_second_factor(client, superuser)

    response = client.get(
        reverse("admin:announcements_announcement_change", args=[announcement.pk])
    )

    assert response.status_code == 200
    assert reply_all_url(announcement) in response.content.decode()


def csrf_token_of(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_reply_all_form_sends_one_reply_per_open_ticket(
    superuser, django_capture_on_commit_callbacks
):
    announcement = make_announcement()
    open_ticket, other_open = make_ticket(), make_ticket()
    closed = make_ticket()
    ticket_change_status(ticket=closed, status=Status.CLOSED)
    announcement.tickets.add(open_ticket, other_open, closed)
    mail.outbox.clear()
    client = Client(enforce_csrf_checks=True)
    login_with_second_factor(client, superuser)

    form_page = client.get(reply_all_url(announcement))
    assert form_page.status_code == 200
    assert "2 open tickets" in form_page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reply_all_url(announcement),
            {"body_en": REPLY, "csrfmiddlewaretoken": csrf_token_of(form_page.content.decode())},
            follow=True,
        )

    assert response.redirect_chain[-1][0] == reverse(
        "admin:announcements_announcement_change", args=[announcement.pk]
    )
    assert "Your reply was sent on 2 open tickets." in response.content.decode()
    assert Message.objects.filter(author_kind=AuthorKind.AGENT, body=REPLY).count() == 2
    assert not closed.messages.filter(author_kind=AuthorKind.AGENT).exists()
    assert len(mail.outbox) == 2


def test_reply_all_without_a_csrf_token_is_refused(superuser):
    announcement = make_announcement()
    announcement.tickets.add(make_ticket())
    client = Client(enforce_csrf_checks=True)
    login_with_second_factor(client, superuser)

    response = client.post(reply_all_url(announcement), {"body_en": REPLY})

    assert response.status_code == 403
    assert not Message.objects.filter(author_kind=AuthorKind.AGENT).exists()


def test_reply_all_with_an_empty_reply_shows_an_error_and_sends_nothing(client, superuser):
    announcement = make_announcement()
    announcement.tickets.add(make_ticket())
    login_with_second_factor(client, superuser)

    response = client.post(reply_all_url(announcement), {"body_en": "   "})

    assert response.status_code == 200
    assert "Nothing was sent." in response.content.decode()
    assert not Message.objects.filter(author_kind=AuthorKind.AGENT).exists()


def test_reply_all_needs_the_right_to_change_tickets(client, staff_user):
    announcement = make_announcement()
    staff_user.user_permissions.add(
        Permission.objects.get(codename="change_announcement"),
        Permission.objects.get(codename="view_announcement"),
    )
    login_with_second_factor(client, staff_user)

    change_page = client.get(
        reverse("admin:announcements_announcement_change", args=[announcement.pk])
    )
    response = client.post(reply_all_url(announcement), {"body_en": REPLY})

    assert change_page.status_code == 200
    assert reply_all_url(announcement) not in change_page.content.decode()
    assert response.status_code == 403


def test_reply_all_has_a_text_box_for_each_language(client, superuser):
    announcement = make_announcement()
    announcement.tickets.add(make_ticket())
    login_with_second_factor(client, superuser)

    page = client.get(reply_all_url(announcement)).content.decode()

    assert 'name="body_en"' in page
    assert 'name="body_zh_hans"' in page
    assert 'lang="zh-Hans"' in page
