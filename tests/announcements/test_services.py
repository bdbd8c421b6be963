from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from announcements.services import (
    AnnouncementError,
    announcement_reply_all,
    announcement_tag_ticket,
)
from tests.support.factories import make_announcement, make_ticket
from tickets.models import AuthorKind, Message, Status
from tickets.services import ticket_change_status

pytestmark = pytest.mark.django_db

REPLY = (
    "Withdrawals on Tron are delayed; yours will arrive once the network recovers. 波场提现延迟。"
)


def test_tagging_links_a_ticket_to_the_live_announcements_about_its_problem():
    now = timezone.now()
    # Filed first, so only the service under test links it (ticket_create tags on its own).
    ticket = make_ticket("topup_withdrawal")
    general = make_announcement(title_en="phishing wave", problem_types=[])
    withdrawals = make_announcement(title_en="tron", problem_types=["topup_withdrawal"])
    make_announcement(title_en="2FA", problem_types=["account_security"])
    make_announcement(title_en="draft", is_published=False)
    make_announcement(title_en="later", starts_at=now + timedelta(hours=1))
    make_announcement(
        title_en="over", starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
    )

    tagged = announcement_tag_ticket(ticket=ticket)

    assert {announcement.pk for announcement in tagged} == {general.pk, withdrawals.pk}
    assert set(ticket.announcements.all()) == {general, withdrawals}
    assert list(withdrawals.tickets.all()) == [ticket]


def test_tagging_with_nothing_live_tags_nothing():
    ticket = make_ticket("account_security")
    make_announcement(problem_types=["topup_withdrawal"])

    assert announcement_tag_ticket(ticket=ticket) == []
    assert ticket.announcements.count() == 0


def test_tagging_twice_links_once():
    ticket = make_ticket()
    announcement = make_announcement()

    announcement_tag_ticket(ticket=ticket)
    announcement_tag_ticket(ticket=ticket)

    assert announcement.tickets.count() == 1


def test_filing_a_ticket_tags_it_with_the_live_announcements():
    withdrawals = make_announcement(problem_types=["topup_withdrawal"])
    security = make_announcement(problem_types=["account_security"])

    ticket = make_ticket("topup_withdrawal")

    assert list(ticket.announcements.all()) == [withdrawals]
    assert not security.tickets.exists()


def tagged_tickets(announcement, statuses: list[str]):
    tickets = []
    for status in statuses:
        ticket = make_ticket()
        if status != Status.NEW:
            ticket_change_status(ticket=ticket, status=status)
        announcement.tickets.add(ticket)
        tickets.append(ticket)
    return tickets


def test_reply_all_answers_every_open_tagged_ticket_and_emails_each_customer(
    superuser, django_capture_on_commit_callbacks
):
    announcement = make_announcement(problem_types=["topup_withdrawal"])
    new, pending, resolved, closed = tagged_tickets(
        announcement, [Status.NEW, Status.PENDING, Status.RESOLVED, Status.CLOSED]
    )
    untagged = make_ticket("account_security")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        answered = announcement_reply_all(
            announcement=announcement, author=superuser, bodies={"en": REPLY}
        )

    assert answered == 2
    replies = Message.objects.filter(author_kind=AuthorKind.AGENT, body=REPLY)
    assert {reply.ticket_id for reply in replies} == {new.pk, pending.pk}
    assert all(reply.author == superuser and not reply.is_internal for reply in replies)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [new.customer_email, pending.customer_email]
    )
    for skipped in (resolved, closed, untagged):
        assert not skipped.messages.filter(author_kind=AuthorKind.AGENT).exists()
    new.refresh_from_db()
    assert new.status == Status.OPEN
    assert new.first_responded_at is not None


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_reply_all_refuses_an_empty_reply_and_sends_nothing(
    superuser, body, django_capture_on_commit_callbacks
):
    announcement = make_announcement()
    tagged_tickets(announcement, [Status.NEW])
    mail.outbox.clear()

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(AnnouncementError) as refused,
    ):
        announcement_reply_all(
            announcement=announcement, author=superuser, bodies={"en": body, "zh_hans": body}
        )

    assert refused.value.code == "empty_body"
    assert not Message.objects.filter(author_kind=AuthorKind.AGENT).exists()
    assert mail.outbox == []


def test_reply_all_with_no_open_ticket_answers_none(superuser):
    announcement = make_announcement()
    tagged_tickets(announcement, [Status.CLOSED])

    assert (
        announcement_reply_all(announcement=announcement, author=superuser, bodies={"en": REPLY})
        == 0
    )


def test_reply_all_answers_each_customer_in_their_language(
    superuser, django_capture_on_commit_callbacks
):
    announcement = make_announcement()
    english = make_ticket(language="en")
    chinese = make_ticket(language="zh-hans")
    announcement.tickets.add(english, chinese)

    with django_capture_on_commit_callbacks(execute=True):
        answered = announcement_reply_all(
            announcement=announcement,
            author=superuser,
            bodies={"en": "Tron withdrawals are delayed.", "zh_hans": "波场提现延迟。"},
        )

    assert answered == 2
    agent_bodies = {
        ticket.pk: list(
            ticket.messages.filter(author_kind=AuthorKind.AGENT).values_list("body", flat=True)
        )
        for ticket in (english, chinese)
    }
    assert agent_bodies == {
        english.pk: ["Tron withdrawals are delayed."],
        chinese.pk: ["波场提现延迟。"],
    }


def test_reply_all_without_the_text_for_a_ticket_language_sends_nothing(superuser):
    announcement = make_announcement()
    announcement.tickets.add(make_ticket(language="en"), make_ticket(language="zh-hans"))

    with pytest.raises(AnnouncementError) as refused:
        announcement_reply_all(
            announcement=announcement,
            author=superuser,
            bodies={"en": "Tron withdrawals are delayed.", "zh_hans": " \u200b "},
        )

    assert refused.value.code == "empty_body"
    assert "Chinese" in refused.value.message
    assert not Message.objects.filter(author_kind=AuthorKind.AGENT).exists()
