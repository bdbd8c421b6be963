"""A fake-contact report, from the form to the registry to every place that warns about it."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from livechat.models import Conversation
from tests.support import guard_corpus as corpus
from tests.support.factories import make_agent, png_upload
from tickets.models import Attachment, Message
from verification.admin import FakeReportAdmin
from verification.models import FakeReport, KnownFake

pytestmark = pytest.mark.django_db
ALWAYS_OPEN = [
    {"code": "live_chat", "hours": "always", "response_minutes": 3, "url_name": "livechat:chat"}
]


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
