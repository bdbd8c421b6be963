"""Private pages send `Cache-Control: no-store`; public ones stay cacheable."""

import pytest
from django.contrib.auth import get_user_model

from tests.support.factories import make_ticket
from tickets.links import ticket_private_url
from wallet_support.middleware import is_private_view


@pytest.mark.parametrize(
    "view_name",
    [
        "tickets:detail",
        "tickets:submitted",
        "tickets:attachment",
        "tickets:owned",
        "livechat:agent_console",
        "livechat:conversation",
        "livechat:attachment",
        "livechat:transcript",
        "livechat:verify",
        "dashboard:index",
        "dashboard:export",
        "privacy:request",
        "privacy:confirm",
        "privacy:export",
        "api:ticket",
        "api:tickets",
        "api:ticket-attachment",
        "admin:tickets_ticket_changelist",
        "security:login",
    ],
)
def test_private_views_are_never_cached(view_name):
    assert is_private_view(view_name, [view_name.split(":")[0]])


@pytest.mark.parametrize(
    "view_name", ["tickets:contact", "livechat:chat", "faq:index", "home", "api:faq", "api:docs"]
)
def test_public_views_may_be_cached(view_name):
    namespaces = view_name.split(":")[:1] if ":" in view_name else []
    assert not is_private_view(view_name, namespaces)


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_ticket_page_sends_no_store(client):
    ticket = make_ticket()

    response = client.get(ticket_private_url(ticket))

    assert response.status_code == 200
    assert _no_store(response)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/agent/chat/", "/agent/dashboard/", "/admin/tickets/ticket/"])
def test_staff_pages_send_no_store(client, path):
    admin = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-long-1234")
    client.force_login(admin)

    response = client.get(path)

    assert _no_store(response), (path, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/verify/", "/privacy/", "/api/v1/tickets/", "/agent/login/"])
def test_private_public_entry_points_send_no_store(client, path):
    assert _no_store(client.get(path))


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/faq/", "/contact/", "/chat/", "/security/"])
def test_public_pages_are_not_marked_no_store(client, path):
    assert not _no_store(client.get(path))
