"""Where the chain and the customer disagree, as the agent reads it (chain.selectors)."""

import pytest
from django.utils import translation

from chain.models import TransactionCheck, TransactionState
from chain.selectors import ticket_agent_status, ticket_customer_status
from tickets.models import Channel, ProblemType
from tickets.services import ticket_create

TXID = "a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d"
EXCHANGE = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
SENDER = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
SECOND = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"


@pytest.fixture
def bitcoin(settings):
    settings.CHAIN_PROVIDERS = {"bitcoin": "http://127.0.0.1:9"}


def _checked(**evidence):
    ticket = ticket_create(
        problem_type=ProblemType.ABNORMAL_TRANSACTION,
        channel=Channel.WEB,
        subject="BTC not credited",
        description="I sent BTC to the exchange yesterday and it is not in my account there.",
        customer_email="li.wei@example.com",
        evidence={"network": "bitcoin", "transaction_hash": TXID, "asset": "BTC", **evidence},
        transaction_hash=TXID,
        transaction_network="bitcoin",
    )
    TransactionCheck.objects.filter(ticket=ticket).update(
        state=TransactionState.CONFIRMED,
        confirmations=3,
        block_number=871210,
        from_address=SENDER,
        to_address=EXCHANGE,
        amount="0.01505",
        asset="BTC",
        outputs=[[EXCHANGE, "0.01505"], [SECOND, "0.2"], [SENDER, "0.0099386"]],
    )
    return ticket


@pytest.mark.django_db
def test_the_output_the_customer_named_is_the_destination(bitcoin):
    ticket = _checked(counterparty=SECOND, amount="0.2")

    status = ticket_agent_status(ticket=ticket)

    assert (status.to_address, status.amount) == (SECOND, "0.2")
    assert status.flags == []
    assert ticket_customer_status(ticket=ticket).to_address == SECOND


@pytest.mark.django_db
def test_rounding_is_not_a_disagreement_but_a_wrong_amount_is(bitcoin):
    rounded = ticket_agent_status(ticket=_checked(counterparty=EXCHANGE, amount="0.01506"))
    wrong = ticket_agent_status(ticket=_checked(counterparty=EXCHANGE, amount="0.15"))

    assert rounded.flags == []
    assert wrong.flags == ["The customer gave the amount 0.15, but the chain says 0.01505 BTC."]


@pytest.mark.django_db
def test_another_asset_is_flagged_instead_of_its_amount(bitcoin):
    status = ticket_agent_status(ticket=_checked(counterparty=EXCHANGE, amount="150", asset="USDT"))

    assert status.flags == ["The customer said the asset was USDT, but the chain moved BTC."]


@pytest.mark.django_db
def test_an_address_pasted_with_invisible_characters_is_still_compared(bitcoin):
    pasted = "\u200b" + "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh" + " \u2060"

    status = ticket_agent_status(ticket=_checked(counterparty=pasted, amount="0.01505"))

    assert len(status.flags) == 1
    assert "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh" in status.flags[0]
    assert "\u200b" not in status.flags[0]


@pytest.mark.django_db
def test_an_account_name_is_not_an_address_to_flag(bitcoin):
    status = ticket_agent_status(
        ticket=_checked(counterparty="my Binance account", amount="0.01505")
    )

    assert status.flags == []


@pytest.mark.django_db
def test_the_flag_reads_in_chinese(bitcoin):
    ticket = _checked(counterparty="bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", amount="0.01505")

    with translation.override("zh-hans"):
        status = ticket_agent_status(ticket=ticket)

    assert status.flags[0].startswith("客户给出的地址是 bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh")
