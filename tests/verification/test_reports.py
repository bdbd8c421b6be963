"""A fake-contact report, from the form to the registry to every place that warns about it."""

import pytest
from django.contrib.admin.sites import site
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from livechat.models import Conversation
from tests.support import guard_corpus as corpus
from tests.support.api import client_with, issue
from tests.support.channels import ALWAYS_OPEN
from tests.support.factories import contact_data, make_agent, png_upload
from tickets.links import ticket_private_url
from tickets.models import Attachment, Message, Ticket
from verification.admin import FakeReportAdmin
from verification.models import FakeReport, KnownFake

pytestmark = pytest.mark.django_db


def confirm(superuser, reports) -> None:
    request = RequestFactory().post("/admin/")
    request.user = superuser
    request._messages = type("Sink", (), {"add": lambda *args, **kwargs: None})()
    FakeReportAdmin(FakeReport, site).confirm_as_fake(request, reports)


def test_report_goes_from_the_form_to_verify_and_to_a_new_chat(
    client, superuser, settings, django_capture_on_commit_callbacks
):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    make_agent("account-security", console=True)
    make_agent("transactions", console=True)

    # Given a customer reports a Telegram account from the form, with a screenshot
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("verification:report"),
            {
                "contact": "https://t.me/WalletHelpDesk_Official",
                "where_seen": "telegram",
                "details": "They said my wallet needs to be synchronised.",
                "email": "reporter@example.com",
                "screenshot": png_upload(),
            },
        )
    assert response.status_code == 302
    report = FakeReport.objects.select_related("ticket").get()
    assert report.ticket.team.code == "account-security"
    assert Attachment.objects.filter(message__ticket=report.ticket).count() == 1
    assert report.normalised == "wallethelpdesk_official"
    assert (
        client.post(reverse("livechat:verify"), {"code": "@wallethelpdesk_official"})
        .context["result"]
        .answer
        == "not_ours"
    )

    # When an agent confirms it in one step
    confirm(superuser, FakeReport.objects.all())

    # Then /verify/ answers it as a known fake at once, /security/ lists it
    result = client.post(
        reverse("livechat:verify"), {"code": "t.me/wallethelpdesk_official"}
    ).context["result"]
    assert result.answer == "fake"
    assert result.reported_at == report.ticket.created_at
    assert "WalletHelpDesk_Official" in client.get(reverse("security")).content.decode()

    # And a new chat that mentions it carries the warning both sides see
    client.post(
        reverse("livechat:start"),
        {
            "name": "Mei",
            "email": "mei@example.com",
            "problem_type": "abnormal_transaction",
            "message": "@WalletHelpDesk_Official on Telegram says my transfer is frozen",
        },
    )
    conversation = Conversation.objects.get()
    warning = Message.objects.get(
        ticket=conversation.ticket, author_kind="system", is_internal=False
    )
    assert warning.system_line["key"] == "known_fake"
    assert "known fake" in warning.body
    assert KnownFake.objects.get().report == report.ticket
    badge = Message.objects.get(ticket=conversation.ticket, is_internal=True)
    assert "WalletHelpDesk_Official" in badge.body


def test_an_unreadable_report_is_not_confirmed(superuser, client):
    client.post(
        reverse("verification:report"),
        {"contact": "a man on the phone", "email": "reporter@example.com"},
    )

    confirm(superuser, FakeReport.objects.all())

    assert not KnownFake.objects.exists()


def test_report_form_refuses_a_recovery_phrase_and_files_nothing(client):
    phrase = " ".join(corpus.phrase_words("english", 12, seed=7))
    response = client.post(
        reverse("verification:report"),
        {"contact": "@fake", "details": phrase, "email": "reporter@example.com"},
    )

    assert response.status_code == 400
    assert phrase not in response.content.decode()
    assert not FakeReport.objects.exists()


@pytest.mark.parametrize("path", ["/faq/", "/contact/"])
def test_report_entry_points(client, path):
    assert reverse("verification:report") in client.get(path).content.decode()


def test_a_contact_form_ticket_naming_a_known_fake_gets_the_agents_badge():
    from datetime import UTC, datetime

    from tests.support.factories import make_ticket

    KnownFake.objects.create(
        kind="phone", value="+86 138 0013 8000", normalised="+8613800138000",
        reported_at=datetime(2026, 3, 4, tzinfo=UTC),
    )  # fmt: skip

    flagged = make_ticket(description="Support called me from +86 138 0013 8000 about a refund.")
    clean = make_ticket()

    note = Message.objects.get(ticket=flagged, is_internal=True)
    assert "+86 138 0013 8000" in note.body
    assert not Message.objects.filter(ticket=clean, is_internal=True).exists()


# A new ticket naming a known fake: the customer's warning on every channel, the agent's badge.

FAKE_HANDLE = "@wallet_support_desk"


@pytest.fixture
def fake_handle():
    from datetime import UTC, datetime

    return KnownFake.objects.create(
        kind="handle", platform="telegram", value=FAKE_HANDLE, normalised="wallet_support_desk",
        reported_at=datetime(2026, 3, 4, tzinfo=UTC),
    )  # fmt: skip


WARNING = {"en": "is a known fake that poses as us", "zh-hans": "是已确认的假冒账号"}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_contact_form_ticket_naming_a_known_fake_warns_the_customer(
    client, fake_handle, language, django_capture_on_commit_callbacks
):
    data = contact_data(
        "other", description="A man on t.me/wallet_support_desk says my wallet must be synced."
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{reverse('tickets:contact')}?type=other",
            data,
            HTTP_ACCEPT_LANGUAGE=language,
            follow=True,
        )

    confirmation = response.content.decode()
    ticket = Ticket.objects.get()
    assert WARNING[language] in confirmation
    assert FAKE_HANDLE in confirmation
    page = client.get(ticket_private_url(ticket), HTTP_ACCEPT_LANGUAGE=language)
    assert WARNING[language] in page.content.decode()
    badge = Message.objects.get(ticket=ticket, is_internal=True)
    assert FAKE_HANDLE in badge.body
    # The warning is the desk's own line on the page, never mailed as sender-chosen text.
    assert all(FAKE_HANDLE not in sent.body for sent in mail.outbox)


def test_a_clean_contact_form_ticket_shows_no_warning(client, fake_handle):
    response = client.post(
        f"{reverse('tickets:contact')}?type=other", contact_data("other"), follow=True
    )

    assert WARNING["en"] not in response.content.decode()
    assert not Message.objects.filter(author_kind="system").exists()


def test_an_app_ticket_naming_a_known_fake_carries_the_warning(settings, fake_handle):
    settings.API_TOKEN_SECRET = "a-test-secret-of-enough-length-for-hmac"
    body = {
        "problem_type": "other",
        "subject": "Support on Telegram",
        "description": "wallet_support_desk on Telegram? No: @wallet_support_desk wrote to me.",
    }
    response = client_with(issue(), "zh-hans").post("/api/v1/tickets/", body, format="json")

    assert response.status_code == 201, response.content
    system = [m for m in response.json()["messages"] if m["sender"] == "system"]
    assert len(system) == 1
    assert WARNING["zh-hans"] in system[0]["body"]


def test_an_offline_chat_naming_a_known_fake_still_warns(client, fake_handle, settings):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN  # open, but no agent online: the chat is a ticket
    response = client.post(
        reverse("livechat:start"),
        {
            "name": "Mei",
            "email": "mei@example.com",
            "problem_type": "other",
            "message": "@wallet_support_desk asked me for my phrase",
        },
    )

    assert response.status_code == 202
    ticket = Ticket.objects.get()
    assert Message.objects.filter(ticket=ticket, system_line__key="known_fake").count() == 1
    assert Message.objects.filter(ticket=ticket, is_internal=True).exists()


def test_a_mailed_ticket_naming_a_known_fake_carries_the_warning(fake_handle, settings):
    from inbound.services import inbound_email_receive

    raw = (
        b"From: Mei <mei@example.com>\r\nTo: help@support.wallet.example\r\n"
        b"Subject: Is this you?\r\nMessage-ID: <fake-1@example.com>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"t.me/wallet_support_desk wants my recovery words\r\n"
    )

    inbound_email_receive(raw=raw)

    ticket = Ticket.objects.get()
    warning = Message.objects.get(ticket=ticket, system_line__key="known_fake")
    assert not warning.is_internal
    assert Message.objects.filter(ticket=ticket, is_internal=True).exists()
