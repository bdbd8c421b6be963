"""Builders of the desk's rows for tests: agents and teams, tickets, help-centre articles,
announcements, chats, customers' data requests, webhook subscriptions."""

import io
from datetime import timedelta
from itertools import count

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from agents.models import AgentProfile, Team, TeamMembership
from announcements.models import Announcement
from faq.models import Article, Category
from livechat.models import Conversation
from privacy.models import DataRequest
from privacy.selectors import email_fingerprint
from tickets.models import Channel, ProblemType, Ticket
from tickets.services import ticket_create
from webhooks.events import EventType
from webhooks.models import Subscription
from webhooks.selectors import subscriptions_forget

# One sequence for every builder: usernames, slugs and addresses never collide in a test.
_numbers = count(1)


def make_agent(
    team_code: str,
    *,
    availability: str = AgentProfile.Availability.ONLINE,
    capacity: int = 20,
    is_lead: bool = False,
    email: str | None = None,
    console: bool = False,
):
    """A staff member on a team with an agent profile; `console` also opens an agent console for
    them (as its socket would), which is what makes them available for live chat."""
    number = next(_numbers)
    user = get_user_model().objects.create_user(
        username=f"agent{number}",
        email=email or f"agent{number}@support.example",
        password="a-long-test-password",
        is_staff=True,
    )
    AgentProfile.objects.create(
        user=user,
        display_name=f"Agent {number}",
        availability=availability,
        capacity=capacity,
    )
    TeamMembership.objects.create(team=Team.objects.get(code=team_code), user=user, is_lead=is_lead)
    if console:
        open_console(user)
    return user


def open_console(user, channel_name: str | None = None) -> str:
    """What an agent console socket does on connect (livechat.consumers.AgentConsumer)."""
    from livechat.services import console_open

    channel_name = channel_name or f"test-console-{user.pk}-{next(_numbers)}"
    console_open(agent=user, channel_name=channel_name)
    return channel_name


def make_category(**overrides) -> Category:
    number = next(_numbers)
    values = {
        "slug": f"category-{number}",
        "order": number,
        "title_en": f"Category {number}",
        "title_zh_hans": f"分类{number}",
    }
    values.update(overrides)
    return Category.objects.create(**values)


def make_article(category: Category, **overrides) -> Article:
    number = next(_numbers)
    values = {
        "category": category,
        "slug": f"article-{number}",
        "order": number,
        "status": Article.Status.PUBLISHED,
        "title_en": f"Filler article {number} about fees",
        "title_zh_hans": f"关于手续费的文章{number}",
        "summary_en": "A filler summary.",
        "summary_zh_hans": "一段填充摘要。",
        "body_en": "Some body text about network fees and confirmations.",
        "body_zh_hans": "关于网络手续费和确认数的正文。",
    }
    values.update(overrides)
    article = Article(**values)
    article.save()
    return article


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


VALID_BTC_TXID = "a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d"


def png_upload(name: str = "screenshot.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 80, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def contact_data(problem_type: str, **overrides) -> dict:
    """A complete, valid contact form for a problem type."""
    data = {
        "problem_type": problem_type,
        "submission_key": "6f1c8d9e-1234-4a5b-9c3d-111111111111",
        "email": "li.wei@example.com",
        "name": "Li Wei",
        "wallet_account_id": "WA-10023",
        "subject": "Problem with my wallet",
        "description": "I cannot log in; the app says the password is wrong since this morning.",
    }
    data.update(
        {
            ProblemType.ACCOUNT_SECURITY: {
                "security_issue": "unrecognised_activity",
                "noticed_at": "2026-11-20T09:30",
                "funds_moved": "no",
            },
            ProblemType.ABNORMAL_TRANSACTION: {
                "transaction_at": "2026-11-20T09:30",
                "amount": "150.5",
                "asset": "BTC",
                "network": "bitcoin",
                "counterparty": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                "transaction_hash": VALID_BTC_TXID,
                "status_shown": "completed_not_received",
            },
            ProblemType.TOPUP_WITHDRAWAL: {
                "direction": "withdrawal",
                "method": "bank_card",
                "amount": "2000",
                "occurred_at": "2026-11-21T14:00",
                "error_message": "Daily limit exceeded",
            },
            ProblemType.ACCOUNT_FROZEN: {
                "notice_text": "Your account is frozen for a security review.",
                "notice_date": "2026-11-19",
            },
        }.get(problem_type, {})
    )
    data.update(overrides)
    return data


def make_conversation(visitor_key: str = "visitor-1", problem_type: str = "abnormal_transaction"):
    ticket = ticket_create(
        problem_type=problem_type,
        channel="chat",
        subject="Live chat: my transfer is stuck",
        description="My transfer is stuck since this morning, can someone check it?",
        customer_email="visitor@example.com",
        customer_name="Mei",
    )
    return Conversation.objects.create(
        ticket=ticket, visitor_key=visitor_key, visitor_name="Mei", problem_type=problem_type
    )


def make_data_request(
    kind: str = DataRequest.Kind.EXPORT,
    *,
    email: str | None = None,
    export: bytes | None = None,
    **overrides,
) -> DataRequest:
    """A customer's data request as the services record it; `export` gives it an export file
    in private storage, as carrying it out would."""
    email = email or f"customer{next(_numbers)}@example.com"
    data_request = DataRequest.objects.create(
        **{"kind": kind, "email": email, "email_hash": email_fingerprint(email), **overrides}
    )
    if export is not None:
        data_request.export_file.save("export.json", ContentFile(export))
    return data_request


WEBHOOK_SECRET = "whsec-test-5f0c2b7e9a1d4c3b8e6f0a2d"


def make_subscription(url: str, *, events=None, secret: str = WEBHOOK_SECRET, **overrides):
    """An active subscription to every event (or to `events`), its cached list forgotten."""
    subscription = Subscription.objects.create(
        name=overrides.pop("name", f"receiver {next(_numbers)}"),
        url=url,
        secret=secret,
        events=list(EventType.values if events is None else events),
        **overrides,
    )
    subscriptions_forget()
    return subscription
