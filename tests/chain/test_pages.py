"""The chain's answer where people read it: the customer's ticket page and contact form, the
agent's workspace and the API, in both languages; and nothing at all when the feature is off."""

import pytest
from django.urls import reverse

from chain.models import TransactionCheck
from faq.services import help_centre_load
from tests.support.api import client_with, issue
from tests.support.auth import login_with_second_factor
from tickets.links import ticket_token
from tickets.models import Channel, ProblemType
from tickets.services import ticket_create, ticket_email_verify

ACCOUNT_ID = "WA-10023"


@pytest.fixture
def help_centre(db):
    help_centre_load()


@pytest.fixture
def api_secret(settings) -> None:
    settings.API_TOKEN_SECRET = "a-test-secret-for-the-wallet-backend-tokens"


def _file(tx_hash: str, django_capture_on_commit_callbacks, *, network="ethereum", **evidence):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            problem_type=ProblemType.ABNORMAL_TRANSACTION,
            channel=Channel.WEB,
            subject="My transfer to the exchange is missing",
            description="I sent it to my exchange account this morning; nothing is credited.",
            customer_email="li.wei@example.com",
            customer_name="Li Wei",
            wallet_account_id=ACCOUNT_ID,
            evidence={"network": network, "transaction_hash": tx_hash, **evidence},
            transaction_hash=tx_hash,
            transaction_network=network,
        )
    return ticket


def _page(client, ticket, language: str) -> str:
    response = client.get(
        reverse("tickets:detail", args=[ticket_token(ticket)]), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_customer_reads_the_confirmed_status_in_both_languages(
    client, ethereum, help_centre, django_capture_on_commit_callbacks
):
    recipient = ethereum.accounts[4]
    tx_hash = ethereum.send_ether(to=recipient, wei=3 * 10**18)
    ticket = _file(tx_hash, django_capture_on_commit_callbacks)
    asked = len(ethereum.requests)

    english = _page(client, ticket, "en")
    chinese = _page(client, ticket, "zh-hans")

    assert "This transfer is confirmed on the chain (1 confirmation)." in english
    assert f"It was sent to {recipient}" in english
    assert "the exchange credits it" in english
    assert "/faq/top-up-and-withdrawal/deposit-not-credited/" in english
    assert "这笔转账已在链上确认" in chinese
    assert recipient in chinese
    assert "交易所会为您入账" in chinese
    # The pages read the stored status: they never ask the network.
    assert len(ethereum.requests) == asked


@pytest.mark.django_db
def test_customer_told_to_check_a_hash_the_network_has_not_seen(
    client, ethereum, help_centre, django_capture_on_commit_callbacks
):
    ticket = _file("0x" + "cd" * 32, django_capture_on_commit_callbacks)

    english = _page(client, ticket, "en")
    chinese = _page(client, ticket, "zh-hans")

    assert "The network has not seen this hash: check that you copied it whole." in english
    assert "/faq/abnormal-transactions/transaction-hash-and-block-explorer/" in english
    assert "网络上没有这个哈希" in chinese


@pytest.mark.django_db
def test_agent_sees_the_chain_and_a_wrong_destination_flagged(
    client, superuser, ethereum, django_capture_on_commit_callbacks
):
    real_recipient = ethereum.accounts[5]
    typed = "0x" + "77" * 20
    tx_hash = ethereum.send_ether(to=real_recipient, wei=125 * 10**16)
    ticket = _file(
        tx_hash, django_capture_on_commit_callbacks, counterparty=typed, amount="1.25", asset="ETH"
    )
    login_with_second_factor(client, superuser)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert 'data-chain-status="confirmed"' in english
    assert real_recipient in english
    assert "1.25 ETH" in english
    assert f"The customer gave the address {typed}, but the chain says" in english
    # The amount agrees: no amount flag.
    assert "The customer gave the amount" not in english
    assert "客户给出的地址" in chinese
    assert "链上" in chinese


@pytest.mark.django_db
def test_agent_flag_for_a_wrong_amount_of_a_token(
    client, superuser, ethereum, django_capture_on_commit_callbacks
):
    token = ethereum.deploy_token(symbol="TUSD", decimals=6)
    recipient = ethereum.accounts[6]
    tx_hash = ethereum.send_token(token=token, to=recipient, amount=40_000_000)
    ticket = _file(
        tx_hash,
        django_capture_on_commit_callbacks,
        counterparty=recipient,
        amount="400",
        asset="tusd",
    )
    login_with_second_factor(client, superuser)

    page = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()

    assert "40 TUSD" in page
    assert token in page
    assert "The customer gave the amount 400, but the chain says 40 TUSD." in page
    assert "The customer gave the address" not in page


@pytest.mark.django_db
def test_every_provider_down_pages_and_api_still_answer(
    client, superuser, silent, settings, api_secret, django_capture_on_commit_callbacks
):
    settings.CHAIN_PROVIDERS = dict.fromkeys(("ethereum", "bsc", "bitcoin", "tron"), silent.url)
    settings.CHAIN_PROVIDER_TIMEOUT_SECONDS = 0.3
    ticket = _file("0x" + "ef" * 32, django_capture_on_commit_callbacks)
    ticket_email_verify(ticket=ticket)
    assert TransactionCheck.objects.get(ticket=ticket).could_not_check

    english = _page(client, ticket, "en")
    chinese = _page(client, ticket, "zh-hans")
    api = client_with(issue()).get(f"/api/v1/tickets/{ticket.reference}/")
    login_with_second_factor(client, superuser)
    agent = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))

    assert "We could not check this transfer on the chain yet." in english
    assert "我们暂时无法在链上核对这笔转账" in chinese
    assert api.status_code == 200
    assert api.json()["transaction_status"]["state"] == "unavailable"
    assert agent.status_code == 200
    assert "Could not check yet" in agent.content.decode()


@pytest.mark.django_db
def test_feature_off_changes_nothing(
    client, superuser, settings, api_secret, django_capture_on_commit_callbacks
):
    settings.CHAIN_PROVIDERS = {}
    ticket = _file("0x" + "ab" * 32, django_capture_on_commit_callbacks)
    ticket_email_verify(ticket=ticket)

    page = _page(client, ticket, "en")
    form = client.get(reverse("tickets:contact") + "?type=abnormal_transaction").content.decode()
    api = client_with(issue()).get(f"/api/v1/tickets/{ticket.reference}/").json()
    login_with_second_factor(client, superuser)
    agent = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()

    assert not TransactionCheck.objects.exists()
    for html in (page, form, agent):
        assert "data-chain" not in html
        assert "chain-check.js" not in html
    assert api["transaction_status"] is None


@pytest.mark.django_db
def test_contact_form_offers_the_check_only_for_configured_networks(client, ethereum):
    page = client.get(reverse("tickets:contact") + "?type=abnormal_transaction").content.decode()
    other = client.get(reverse("tickets:contact") + "?type=account_frozen").content.decode()

    assert 'data-chain-networks="ethereum"' in page
    assert f'data-chain-url="{reverse("chain:status")}"' in page
    assert "chain-check.js" in page
    assert "data-chain" not in other


@pytest.mark.django_db
def test_status_costs_the_ticket_page_two_queries(
    client, ethereum, settings, help_centre, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = _file(
        ethereum.send_ether(to=ethereum.accounts[1], wei=9), django_capture_on_commit_callbacks
    )
    url = reverse("tickets:detail", args=[ticket_token(ticket)])
    client.get(url)  # the session and the held tickets settle on the first visit

    with CaptureQueriesContext(connection) as on:
        assert client.get(url).status_code == 200
    settings.CHAIN_PROVIDERS = {}
    with CaptureQueriesContext(connection) as off:
        assert client.get(url).status_code == 200

    # The ticket's check and the help article; no network call.
    assert len(on) - len(off) == 2


@pytest.mark.django_db
def test_without_javascript_the_page_after_sending_says_it(
    client, ethereum, help_centre, django_capture_on_commit_callbacks
):
    from tests.support.factories import contact_data

    tx_hash = ethereum.send_ether(to=ethereum.accounts[3], wei=10**17)
    data = contact_data(
        "abnormal_transaction", network="ethereum", transaction_hash=tx_hash, asset="ETH"
    )
    data["counterparty"] = ethereum.accounts[3]
    data["amount"] = "0.1"

    # The lookup runs after the ticket's transaction commits (here: as the block ends).
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("tickets:contact") + "?type=abnormal_transaction", data)
    response = client.get(sent["Location"])

    page = response.content.decode()
    assert sent.status_code == 302
    assert response.status_code == 200
    assert "This transfer is confirmed on the chain" in page
    assert ethereum.accounts[3] in page
