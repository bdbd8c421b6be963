"""The ticket's transaction status in the wallet app's API (chain.selectors)."""

import pytest

from faq.services import help_centre_load
from tests.support.api import client_with
from tickets.models import Channel, ProblemType
from tickets.services import ticket_create, ticket_email_verify


def _file(tx_hash, django_capture_on_commit_callbacks, network="ethereum"):
    with django_capture_on_commit_callbacks(execute=True):
        return ticket_create(
            problem_type=ProblemType.ABNORMAL_TRANSACTION,
            channel=Channel.WEB,
            subject="My transfer to the exchange is missing",
            description="I sent it to my exchange account this morning; nothing is credited.",
            customer_email="li.wei@example.com",
            wallet_account_id="WA-10023",
            evidence={"network": network, "transaction_hash": tx_hash},
            transaction_hash=tx_hash,
            transaction_network=network,
        )


@pytest.mark.django_db
def test_api_gives_the_ticket_status(ethereum, token, django_capture_on_commit_callbacks):
    help_centre_load()
    tx_hash = ethereum.send_ether(to=ethereum.accounts[7], wei=10**18)
    ticket = _file(tx_hash, django_capture_on_commit_callbacks)
    ticket_email_verify(ticket=ticket)

    response = client_with(token, "zh-hans").get(f"/api/v1/tickets/{ticket.reference}/")

    assert response.status_code == 200
    status = response.json()["transaction_status"]
    assert status["state"] == "confirmed"
    assert status["to_address"].lower() == ethereum.accounts[7].lower()
    assert status["final"] is False
    assert "这笔转账已在链上确认" in status["message"]
    assert status["article"]["url"].endswith("/deposit-not-credited/")


@pytest.mark.django_db
def test_api_status_is_null_for_a_network_without_provider(
    api, ethereum, django_capture_on_commit_callbacks
):
    ticket = _file("0x" + "ab" * 32, django_capture_on_commit_callbacks, network="bsc")
    ticket_email_verify(ticket=ticket)

    response = api.get(f"/api/v1/tickets/{ticket.reference}/")

    assert response.status_code == 200
    assert response.json()["transaction_status"] is None
    assert ethereum.requests == []
