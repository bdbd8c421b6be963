"""Asking a network about one transaction: the three protocols the desk speaks.

* EVM chains over standard JSON-RPC: `eth_getTransactionByHash`, `eth_getTransactionReceipt`,
  `eth_blockNumber`, `eth_getBlockByNumber` (the block time) and, for a token, `eth_call` of the
  contract's `decimals()` and `symbol()`. A token transfer is read from the receipt's ERC-20
  `Transfer` log, not from the call's input, so a contract that moved something else says so.
* Bitcoin through an Esplora-compatible REST API (`/tx/<txid>`, `/blocks/tip/height`).
* TRON through its HTTP API (`/wallet/gettransactionbyid`, `/wallet/gettransactioninfobyid`,
  `/wallet/getnowblock`); TRC-20 transfers from the `Transfer` log as on the EVM.

Each lookup returns an `Observation` or raises `ProviderUnavailable` (time-out, refused
connection, an HTTP error, an answer that is not the protocol's). Nothing here touches the
database or the cache: `chain.services` does.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings

from common.outbound import opener_within

logger = logging.getLogger(__name__)

# keccak256("Transfer(address,address,uint256)"): the ERC-20 and TRC-20 event.
TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
DECIMALS_CALL = "0x313ce567"
SYMBOL_CALL = "0x95d89b41"

EVM_NATIVE = {"ethereum": "ETH", "bsc": "BNB", "polygon": "POL", "arbitrum": "ETH"}
EVM_NETWORKS = frozenset(EVM_NATIVE)
KINDS = {**dict.fromkeys(EVM_NETWORKS, "evm"), "bitcoin": "esplora", "tron": "tron"}
# TRC-20 contracts answer `symbol()` only through a second, state-reading call; the tokens
# customers send are few, so they are named here (base58 contract address: symbol, decimals).
TRON_TOKENS = {
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t": ("USDT", 6),
    "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8": ("USDC", 6),
}
TRON_NATIVE_DECIMALS = 6
BITCOIN_DECIMALS = 8
ETHER_DECIMALS = 18


class ProviderUnavailable(Exception):
    """The provider did not give a usable answer; the reason is for logs, never a customer."""


class State:
    NOT_FOUND = "not_found"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    FAILED = "failed"


@dataclass(frozen=True)
class Observation:
    """What the chain says about one hash, in the network's own units turned into decimals."""

    state: str
    confirmations: int = 0
    block_number: int | None = None
    block_time: str | None = None  # ISO 8601, UTC
    from_address: str = ""
    to_address: str = ""
    amount: str = ""  # a decimal as text, so it survives JSON and the cache unchanged
    asset: str = ""
    token_contract: str = ""
    # Bitcoin: every output as [address, amount], so the one the customer named can be found.
    outputs: tuple = ()

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Observation:
        values = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        values["outputs"] = tuple(tuple(output) for output in values.get("outputs") or ())
        return cls(**values)


def network_kind(network: str) -> str | None:
    return KINDS.get(network)


def timeout_seconds() -> float:
    return float(getattr(settings, "CHAIN_PROVIDER_TIMEOUT_SECONDS", 5))


def _http(url: str, *, body: dict | None = None) -> tuple[int, bytes]:
    """One request with the provider time-out; (status, body) for any HTTP answer."""
    data = json.dumps(body).encode() if body is not None else None
    try:
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            url,
            data=data,
            method="POST" if data is not None else "GET",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
    except ValueError as error:
        # Its message holds the URL, and a hosted node's key is in the URL.
        raise ProviderUnavailable("the provider URL is not an http(s) URL") from error
    timeout = timeout_seconds()
    # The time-out bounds each socket operation; the whole lookup ends at three times it, so a
    # provider answering a byte at a time cannot hold the worker (or the form's check).
    with opener_within(timeout * 3) as (opener, expired):
        try:
            with opener.open(request, timeout=timeout) as response:
                answer = response.status, response.read(2 * 1024 * 1024)
            if expired.is_set():  # cut off: what was read is not the whole answer
                raise ProviderUnavailable("TotalTimeout")
            return answer
        except urllib.error.HTTPError as error:
            try:
                return error.code, error.read(64 * 1024)
            except (OSError, http.client.HTTPException):
                return error.code, b""
        except (OSError, http.client.HTTPException, ValueError) as error:
            # URLError, time-outs and refusals are OSErrors; an answer that is not HTTP raises
            # HTTPException (BadStatusLine, LineTooLong...), a URL http.client refuses ValueError.
            cause = "TotalTimeout" if expired.is_set() else type(error).__name__
            raise ProviderUnavailable(cause) from error


# The characters that open or close a level or a string: one pass over them measures how deep an
# answer nests (linear, whatever the answer holds).
_JSON_MARK = re.compile(rb'[\[\]{}"\\]')
# The protocols' answers nest a few levels; json's C decoder recurses once per level, and in a
# process whose recursion limit was raised (py-evm raises it) a deep answer overflows the stack.
MAX_JSON_DEPTH = 32


def _too_deep(raw: bytes) -> bool:
    depth = 0
    in_string = False
    escaped_at = -1
    for mark in _JSON_MARK.finditer(raw):
        char, at = mark.group(), mark.start()
        if in_string:
            if at == escaped_at:
                continue
            if char == b"\\":
                escaped_at = at + 1
            elif char == b'"':
                in_string = False
        elif char == b'"':
            in_string = True
        elif char in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


def _json(raw: bytes) -> object:
    if _too_deep(raw):
        raise ProviderUnavailable("answer nests too deep")
    try:
        return json.loads(raw)
    # RecursionError: arrays nested a hundred thousand deep fit in the 2 MiB read.
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ProviderUnavailable("answer is not JSON") from error


def _units(value: int, decimals: int) -> str:
    if decimals <= 0:
        return str(value)
    amount = Decimal(value).scaleb(-decimals)
    text = format(amount.normalize(), "f")
    return text


def _iso(timestamp: int | float | None) -> str | None:
    if timestamp is None:
        return None
    try:
        return datetime.fromtimestamp(timestamp, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError) as error:
        raise ProviderUnavailable("block time out of range") from error


def _int(value: object) -> int:
    if isinstance(value, bool):
        raise ProviderUnavailable("not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 16) if value.startswith(("0x", "0X")) else int(value)
        except ValueError as error:
            raise ProviderUnavailable("not a number") from error
    raise ProviderUnavailable("not a number")


# --- EVM JSON-RPC ------------------------------------------------------------------------


class EvmClient:
    def __init__(self, url: str, *, network: str) -> None:
        self.url = url
        self.network = network
        self._id = 0

    def call(self, method: str, *params: object) -> object:
        self._id += 1
        payload = {"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)}
        status, raw = _http(self.url, body=payload)
        if status != 200:
            raise ProviderUnavailable(f"HTTP {status}")
        answer = _json(raw)
        if not isinstance(answer, dict) or answer.get("jsonrpc") != "2.0":
            raise ProviderUnavailable("not a JSON-RPC answer")
        if answer.get("error") is not None:
            raise ProviderUnavailable("JSON-RPC error")
        if "result" not in answer:
            raise ProviderUnavailable("JSON-RPC answer without a result")
        return answer["result"]

    def lookup(self, tx_hash: str) -> Observation:
        transaction = self.call("eth_getTransactionByHash", tx_hash)
        if transaction is None:
            return Observation(state=State.NOT_FOUND)
        if not isinstance(transaction, dict):
            raise ProviderUnavailable("transaction is not an object")
        sender = str(transaction.get("from") or "")
        recipient = str(transaction.get("to") or "")
        value = _int(transaction.get("value", "0x0"))
        observed = {
            "from_address": sender,
            "to_address": recipient,
            "amount": _units(value, ETHER_DECIMALS),
            "asset": EVM_NATIVE.get(self.network, ""),
        }
        if transaction.get("blockNumber") is None:
            return Observation(state=State.PENDING, **observed)
        receipt = self.call("eth_getTransactionReceipt", tx_hash)
        if receipt is None:
            return Observation(state=State.PENDING, **observed)
        if not isinstance(receipt, dict):
            raise ProviderUnavailable("receipt is not an object")
        block_number = _int(receipt.get("blockNumber"))
        head = _int(self.call("eth_blockNumber"))
        block = self.call("eth_getBlockByNumber", hex(block_number), False)
        block_time = _iso(_int(block["timestamp"])) if isinstance(block, dict) else None
        succeeded = _int(receipt.get("status", "0x1")) == 1
        transfer = self._token_transfer(receipt, recipient) if succeeded else None
        if transfer is not None:
            observed.update(transfer)
        return Observation(
            state=State.CONFIRMED if succeeded else State.FAILED,
            confirmations=max(0, head - block_number + 1),
            block_number=block_number,
            block_time=block_time,
            **observed,
        )

    def _token_transfer(self, receipt: dict, called: str) -> dict | None:
        transfers = [
            log
            for log in receipt.get("logs") or []
            if isinstance(log, dict)
            and len(log.get("topics") or []) == 3
            and str(log["topics"][0]).lower().removeprefix("0x") == TRANSFER_TOPIC
        ]
        if not transfers:
            return None
        # The call's own token first: a swap logs several transfers.
        transfers.sort(key=lambda log: str(log.get("address", "")).lower() != called.lower())
        log = transfers[0]
        contract = str(log.get("address", ""))
        value = _int(log.get("data") or "0x0")
        decimals, symbol = self._token_facts(contract)
        return {
            "from_address": _evm_topic_address(log["topics"][1]),
            "to_address": _evm_topic_address(log["topics"][2]),
            # Without the token's decimals the amount cannot be read: none rather than a wrong one.
            "amount": _units(value, decimals) if decimals is not None else "",
            "asset": symbol,
            "token_contract": contract,
        }

    def _token_facts(self, contract: str) -> tuple[int | None, str]:
        """The token's decimals and symbol as its contract answers; unknown ones stay blank."""
        decimals = symbol = None
        try:
            decimals_raw = self.call("eth_call", {"to": contract, "data": DECIMALS_CALL}, "latest")
            decimals = _int(decimals_raw) if decimals_raw not in (None, "0x") else None
            if decimals is not None and not 0 <= decimals <= 36:
                decimals = None
            symbol = _abi_string(
                self.call("eth_call", {"to": contract, "data": SYMBOL_CALL}, "latest")
            )
        except ProviderUnavailable:
            logger.info("token facts unavailable for a contract on %s", self.network)
        return decimals, symbol or ""


def _evm_topic_address(topic: str) -> str:
    text = str(topic).lower().removeprefix("0x")
    return "0x" + text[-40:]


def _abi_string(raw: object) -> str:
    """An ABI-encoded `string` (or a `bytes32` symbol, as some old tokens return)."""
    if not isinstance(raw, str) or not raw.startswith("0x"):
        return ""
    try:
        data = bytes.fromhex(raw[2:])
    except ValueError:
        return ""
    text = b""
    if len(data) >= 64 and int.from_bytes(data[:32], "big") == 32:
        length = int.from_bytes(data[32:64], "big")
        text = data[64 : 64 + min(length, 32)]
    elif len(data) == 32:
        text = data.rstrip(b"\0")
    symbol = text.decode("utf-8", "replace")
    return "".join(ch for ch in symbol if ch.isalnum() or ch in ".-_")[:16]


# --- Bitcoin: Esplora REST -----------------------------------------------------------------


class EsploraClient:
    def __init__(self, url: str, *, network: str) -> None:
        self.url = url.rstrip("/")
        self.network = network

    def lookup(self, tx_hash: str) -> Observation:
        status, raw = _http(f"{self.url}/tx/{tx_hash}")
        if status in {400, 404}:
            return Observation(state=State.NOT_FOUND)
        if status != 200:
            raise ProviderUnavailable(f"HTTP {status}")
        tx = _json(raw)
        if not isinstance(tx, dict) or not isinstance(tx.get("vout"), list):
            raise ProviderUnavailable("not an Esplora transaction")
        inputs = [
            (vin.get("prevout") or {}).get("scriptpubkey_address", "")
            for vin in tx.get("vin") or []
            if isinstance(vin, dict)
        ]
        outputs = [
            (str(out.get("scriptpubkey_address") or ""), _int(out.get("value", 0)))
            for out in tx["vout"]
            if isinstance(out, dict)
        ]
        # The first output that is not change back to a sender (chain.selectors picks the one the
        # customer named, if any, from `outputs`).
        chosen = next((out for out in outputs if out[0] and out[0] not in inputs), None)
        chosen = chosen or (outputs[0] if outputs else ("", 0))
        observed = {
            "from_address": next((address for address in inputs if address), ""),
            "to_address": chosen[0],
            "amount": _units(chosen[1], BITCOIN_DECIMALS),
            "asset": "BTC",
            "outputs": tuple(
                (address, _units(value, BITCOIN_DECIMALS)) for address, value in outputs[:50]
            ),
        }
        tx_status = tx.get("status") or {}
        if not tx_status.get("confirmed"):
            return Observation(state=State.PENDING, **observed)
        height = _int(tx_status.get("block_height"))
        tip_status, tip_raw = _http(f"{self.url}/blocks/tip/height")
        if tip_status != 200:
            raise ProviderUnavailable(f"HTTP {tip_status}")
        try:
            tip = int(tip_raw.decode().strip())
        except (ValueError, UnicodeDecodeError) as error:
            raise ProviderUnavailable("tip height is not a number") from error
        return Observation(
            state=State.CONFIRMED,
            confirmations=max(0, tip - height + 1),
            block_number=height,
            block_time=_iso(tx_status.get("block_time")),
            **observed,
        )


# --- TRON HTTP API ---------------------------------------------------------------------------

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def tron_address(hex_address: str) -> str:
    """A TRON address as people write it (base58check of 0x41 and 20 bytes) from its hex form."""
    text = str(hex_address).lower().removeprefix("0x")
    if len(text) == 40:
        text = "41" + text
    try:
        payload = bytes.fromhex(text)
    except ValueError:
        return ""
    if len(payload) != 21:
        return ""
    checksum = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number = int.from_bytes(payload + checksum, "big")
    encoded = ""
    while number:
        number, remainder = divmod(number, 58)
        encoded = _BASE58[remainder] + encoded
    return "1" * (len(payload) - len(payload.lstrip(b"\0"))) + encoded


class TronClient:
    def __init__(self, url: str, *, network: str) -> None:
        self.url = url.rstrip("/")
        self.network = network

    def _post(self, path: str, body: dict) -> dict:
        status, raw = _http(f"{self.url}{path}", body=body)
        if status != 200:
            raise ProviderUnavailable(f"HTTP {status}")
        answer = _json(raw)
        if not isinstance(answer, dict):
            raise ProviderUnavailable("not a TRON answer")
        if "Error" in answer:
            raise ProviderUnavailable("TRON error")
        return answer

    def lookup(self, tx_hash: str) -> Observation:
        tx = self._post("/wallet/gettransactionbyid", {"value": tx_hash})
        if not tx:
            return Observation(state=State.NOT_FOUND)
        try:
            contract = tx["raw_data"]["contract"][0]
            value = contract["parameter"]["value"]
        except (KeyError, IndexError, TypeError) as error:
            raise ProviderUnavailable("not a TRON transaction") from error
        observed = {
            "from_address": tron_address(value.get("owner_address", "")),
            "to_address": "",
            "amount": "",
            "asset": "",
        }
        if contract.get("type") == "TransferContract":
            observed.update(
                to_address=tron_address(value.get("to_address", "")),
                amount=_units(_int(value.get("amount", 0)), TRON_NATIVE_DECIMALS),
                asset="TRX",
            )
        elif contract.get("type") == "TriggerSmartContract":
            observed["to_address"] = tron_address(value.get("contract_address", ""))
        info = self._post("/wallet/gettransactioninfobyid", {"value": tx_hash})
        if not info or "blockNumber" not in info:
            return Observation(state=State.PENDING, **observed)
        block_number = _int(info["blockNumber"])
        now = self._post("/wallet/getnowblock", {})
        try:
            head = _int(now["block_header"]["raw_data"]["number"])
        except (KeyError, TypeError) as error:
            raise ProviderUnavailable("not a TRON block") from error
        results = {str(item.get("contractRet", "")) for item in tx.get("ret") or [] if item}
        receipt = str((info.get("receipt") or {}).get("result", "SUCCESS"))
        succeeded = results <= {"SUCCESS", ""} and receipt == "SUCCESS"
        if succeeded:
            observed.update(self._trc20_transfer(info))
        stamp = info.get("blockTimeStamp")
        return Observation(
            state=State.CONFIRMED if succeeded else State.FAILED,
            confirmations=max(0, head - block_number + 1),
            block_number=block_number,
            block_time=_iso(_int(stamp) / 1000) if stamp is not None else None,
            **observed,
        )

    def _trc20_transfer(self, info: dict) -> dict:
        for log in info.get("log") or []:
            topics = log.get("topics") or [] if isinstance(log, dict) else []
            if len(topics) == 3 and str(topics[0]).lower() == TRANSFER_TOPIC:
                contract = tron_address(log.get("address", ""))
                symbol, decimals = TRON_TOKENS.get(contract, ("", None))
                value = _int("0x" + (log.get("data") or "0"))
                return {
                    "from_address": tron_address(str(topics[1])[-40:]),
                    "to_address": tron_address(str(topics[2])[-40:]),
                    "amount": _units(value, decimals) if decimals is not None else "",
                    "asset": symbol,
                    "token_contract": contract,
                }
        return {}


def client_for(network: str):
    """The configured client for `network`, or None when the desk has no provider for it."""
    url = (getattr(settings, "CHAIN_PROVIDERS", {}) or {}).get(network)
    kind = network_kind(network)
    if not url or kind is None:
        return None
    return {"evm": EvmClient, "esplora": EsploraClient, "tron": TronClient}[kind](
        url, network=network
    )


def observe(network: str, tx_hash: str) -> Observation:
    """Ask the network's provider about `tx_hash`; raises ProviderUnavailable."""
    client = client_for(network)
    if client is None:
        raise ProviderUnavailable("no provider")
    try:
        return client.lookup(tx_hash)
    except (KeyError, TypeError, AttributeError, IndexError, InvalidOperation) as error:
        raise ProviderUnavailable("malformed answer") from error
