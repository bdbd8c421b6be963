"""Agents open tickets for phone calls and social-media messages from the admin."""

import pytest
from django.urls import reverse

from tests.support.auth import login_with_second_factor
from tickets.models import Ticket


@pytest.mark.django_db
def test_agent_opens_a_phone_ticket_from_the_admin(
    client, superuser, django_capture_on_commit_callbacks
):
    login_with_second_factor(client, superuser)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:tickets_ticket_add"),
            {
                "channel": "phone",
                "problem_type": "account_security",
                "subject": "Caller reports a stolen account",
                "customer_email": "caller@example.com",
                "customer_name": "Caller",
                "wallet_account_id": "",
                "language": "zh-hans",
                "description": "The customer called: unknown log-in from another city an hour ago.",
            },
        )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.channel == "phone"
    assert ticket.priority == "urgent"
    assert ticket.messages.get().author == superuser
    assert client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).status_code == 200


@pytest.mark.django_db
def test_admin_refuses_a_recovery_phrase_typed_by_an_agent(client, superuser):
    from tests.support import guard_corpus as corpus

    login_with_second_factor(client, superuser)
    phrase = " ".join(corpus.phrase_words("english", 12, 3))

    response = client.post(
        reverse("admin:tickets_ticket_add"),
        {
            "channel": "social",
            "problem_type": "other",
            "subject": "DM",
            "customer_email": "dm@example.com",
            "language": "en",
            "description": phrase,
        },
    )

    assert response.status_code == 200
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_inbound_mail_log_is_for_admins_and_read_only(client, superuser):
    from tests.support.factories import make_agent

    login_with_second_factor(client, superuser)
    url = "/admin/inbound/inboundemail/"

    assert client.get(url).status_code == 200
    assert client.get(f"{url}add/").status_code == 403
    agent_client = type(client)()
    login_with_second_factor(agent_client, make_agent("transactions"))
    assert agent_client.get(url).status_code == 403
