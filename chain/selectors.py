"""Reading a transaction's status: for the customer (one sentence and a help article), for the
agent (the chain's facts and where they disagree with what the customer typed). No lookups."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chain.models import TransactionCheck, TransactionState
from chain.providers import EVM_NETWORKS, Observation
from chain.services import as_decimal, chain_enabled
from faq.models import Article

# The help article that goes with each answer (faq/content).
ARTICLES = {
    TransactionState.CONFIRMED: "deposit-not-credited",
    TransactionState.PENDING: "transaction-stuck-pending",
    TransactionState.FAILED: "transaction-stuck-pending",
    TransactionState.NOT_FOUND: "transaction-hash-and-block-explorer",
}
CHECKING = "checking"
UNAVAILABLE = "unavailable"
# A customer rounds what the app showed; a difference beyond this share is not rounding.
AMOUNT_TOLERANCE = Decimal("0.001")

_ADDRESS = {
    "evm": re.compile(r"0x[0-9a-fA-F]{40}"),
    "bitcoin": re.compile(
        r"(?:bc1|tb1|bcrt1)[02-9ac-hj-np-zAC-HJ-NP-Z]{8,87}|[13mn2][1-9A-HJ-NP-Za-km-z]{25,34}"
    ),
    "tron": re.compile(r"T[1-9A-HJ-NP-Za-km-z]{33}"),
}


@dataclass
class CustomerStatus:
    state: str
    message: str
    to_address: str = ""
    confirmations: int = 0
    final: bool = False
    article_title: str = ""
    article_url: str = ""

    def as_json(self) -> dict:
        return {
            "state": self.state,
            "final": self.final,
            "confirmations": self.confirmations,
            "to_address": self.to_address or None,
            "message": self.message,
            "article": {"title": self.article_title, "url": self.article_url}
            if self.article_url
            else None,
        }


@dataclass
class AgentStatus:
    check: TransactionCheck
    customer: CustomerStatus
    to_address: str = ""
    amount: str = ""
    flags: list[str] = field(default_factory=list)


def _article(state: str) -> tuple[str, str]:
    slug = ARTICLES.get(state)
    if slug is None:
        return "", ""
    article = Article.objects.published().filter(slug=slug).select_related("category").first()
    if article is None:
        return "", ""
    return article.title, article.get_absolute_url()


def _message(state: str, *, address: str, confirmations: int) -> str:
    if state == TransactionState.CONFIRMED:
        return ngettext(
            "This transfer is confirmed on the chain (%(count)d confirmation). It was sent to "
            "%(address)s. If that address is an exchange's, the exchange credits it to your "
            "account there.",
            "This transfer is confirmed on the chain (%(count)d confirmations). It was sent to "
            "%(address)s. If that address is an exchange's, the exchange credits it to your "
            "account there.",
            confirmations,
        ) % {"count": confirmations, "address": address or "-"}
    if state == TransactionState.PENDING:
        return _(
            "The network has seen this transfer to %(address)s, but it is not confirmed yet. "
            "Most transfers confirm within minutes; check again later."
        ) % {"address": address or "-"}
    if state == TransactionState.FAILED:
        return _(
            "The network says this transfer failed: the funds did not move, only the network "
            "fee was spent. You can send it again."
        )
    if state == TransactionState.NOT_FOUND:
        return _("The network has not seen this hash: check that you copied it whole.")
    if state == UNAVAILABLE:
        return _(
            "We could not check this transfer on the chain yet. We will try again, and an "
            "agent will look at it."
        )
    return _("We are checking this transfer on the chain.")


def customer_status(
    *, state: str, to_address: str = "", confirmations: int = 0, final: bool = False
) -> CustomerStatus:
    title, url = _article(state)
    return CustomerStatus(
        state=state,
        message=_message(state, address=to_address, confirmations=confirmations),
        to_address=to_address,
        confirmations=confirmations,
        final=final,
        article_title=title,
        article_url=url,
    )


def observation_status(observation: Observation) -> CustomerStatus:
    """What the contact form says about a hash before the ticket is sent."""
    return customer_status(
        state=observation.state,
        to_address=observation.to_address,
        confirmations=observation.confirmations,
    )


def _check_state(check: TransactionCheck) -> str:
    if check.state != TransactionState.UNCHECKED:
        return check.state
    return UNAVAILABLE if check.failed_at is not None else CHECKING


def ticket_transaction_check(*, ticket) -> TransactionCheck | None:
    """The ticket's check, when the feature is on for its network (none otherwise)."""
    if not ticket.transaction_hash or not chain_enabled(network=ticket.transaction_network):
        return None
    return TransactionCheck.objects.filter(ticket=ticket).first()


def ticket_customer_status(*, ticket) -> CustomerStatus | None:
    """The sentence the customer reads on the ticket page and in the app; None when off."""
    if not ticket.transaction_hash or not chain_enabled(network=ticket.transaction_network):
        return None
    check = TransactionCheck.objects.filter(ticket=ticket).first()
    if check is None:
        # Filed before the feature was on, or the check is still being written: beat fills it.
        return customer_status(state=CHECKING)
    to_address, _amount = _destination(check, ticket)
    return customer_status(
        state=_check_state(check),
        to_address=to_address,
        confirmations=check.confirmations,
        final=check.is_final,
    )


def _typed(value: object) -> str:
    """What the customer typed, without spaces or invisible characters pasted along with it."""
    text = str(value or "")
    return "".join(
        ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in {"Cf", "Cc"}
    )


def _kind(network: str) -> str:
    return "evm" if network in EVM_NETWORKS else network


def looks_like_address(text: str, *, network: str) -> bool:
    pattern = _ADDRESS.get(_kind(network))
    return bool(pattern and pattern.fullmatch(text))


def same_address(first: str, second: str, *, network: str) -> bool:
    if not first or not second:
        return False
    if network in EVM_NETWORKS or first.lower().startswith(("bc1", "tb1", "bcrt1")):
        return first.lower() == second.lower()
    return first == second


def _destination(check: TransactionCheck, ticket) -> tuple[str, str]:
    """Where the chain says the funds went, and how much: for Bitcoin the output the customer
    named, if there is one."""
    given = _typed((ticket.evidence or {}).get("counterparty"))
    for output in check.outputs or []:
        if len(output) == 2 and same_address(output[0], given, network=check.network):
            return output[0], output[1]
    return check.to_address, check.amount


def ticket_agent_status(*, ticket) -> AgentStatus | None:
    """The chain's facts for the agent's workspace, with what disagrees with the customer."""
    check = ticket_transaction_check(ticket=ticket)
    if check is None:
        return None
    to_address, amount = _destination(check, ticket)
    status = AgentStatus(
        check=check,
        customer=customer_status(
            state=_check_state(check),
            to_address=to_address,
            confirmations=check.confirmations,
            final=check.is_final,
        ),
        to_address=to_address,
        amount=amount,
    )
    if check.state in {TransactionState.UNCHECKED, TransactionState.NOT_FOUND}:
        return status
    evidence = ticket.evidence or {}
    given_address = _typed(evidence.get("counterparty"))
    if looks_like_address(given_address, network=check.network) and not any(
        same_address(given_address, known, network=check.network)
        for known in [check.from_address, to_address, *(o[0] for o in check.outputs or [])]
    ):
        status.flags.append(
            _(
                "The customer gave the address %(given)s, but the chain says the transfer went "
                "from %(sender)s to %(recipient)s."
            )
            % {
                "given": given_address,
                "sender": check.from_address or "-",
                "recipient": to_address or "-",
            }
        )
    given_asset = str(evidence.get("asset", "")).strip()
    chain_asset = check.asset
    same_asset = not given_asset or not chain_asset or given_asset.upper() == chain_asset.upper()
    if not same_asset:
        status.flags.append(
            _("The customer said the asset was %(given)s, but the chain moved %(chain)s.")
            % {"given": given_asset, "chain": chain_asset}
        )
    given_amount = as_decimal(evidence.get("amount", ""))
    chain_amount = as_decimal(amount)
    if (
        same_asset
        and given_amount is not None
        and chain_amount is not None
        and abs(given_amount - chain_amount) > abs(chain_amount) * AMOUNT_TOLERANCE
    ):
        status.flags.append(
            _("The customer gave the amount %(given)s, but the chain says %(chain)s %(asset)s.")
            % {"given": evidence.get("amount"), "chain": amount, "asset": chain_asset}
        )
    return status
