"""Builders for announcements and the tickets they concern."""

from datetime import timedelta
from itertools import count

from django.utils import timezone

from announcements.models import Announcement
from tickets.models import Channel, ProblemType, Ticket
from tickets.services import ticket_create

_numbers = count(1)


def make_announcement(**overrides) -> Announcement:
    """A published announcement that started an hour ago and has no end."""
    number = next(_numbers)
    values = {
        "severity": "warning",
        "title_en": f"Withdrawals on Tron are delayed ({number})",
        "title_zh_hans": f"波场网络提现延迟（{number}）",
        "body_en": "We are working with the network operators.",
        "body_zh_hans": "我们正在与网络运营方处理。",
        "starts_at": timezone.now() - timedelta(hours=1),
        "problem_types": [],
    }
    values.update(overrides)
    announcement = Announcement(**values)
    announcement.full_clean()
    announcement.save()
    return announcement


def make_ticket(problem_type: str = ProblemType.TOPUP_WITHDRAWAL, **overrides) -> Ticket:
    number = next(_numbers)
    values = {
        "problem_type": problem_type,
        "channel": Channel.WEB,
        "subject": f"My withdrawal {number} has not arrived",
        "description": "I withdrew to my bank card this morning and nothing has arrived yet.",
        "customer_email": f"customer{number}@example.com",
        "customer_name": f"Customer {number}",
    }
    values.update(overrides)
    return ticket_create(**values)
