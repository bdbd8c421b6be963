"""Real protocol servers on loopback for the chain tests.

* `EthereumNode`: an in-process Ethereum chain (eth-tester over py-evm) that signs and mines real
  transactions, served over JSON-RPC as a node would (hex quantities, camelCase fields).
* `RecordedServer`: Esplora and TRON answers recorded in tests/chain/data/, served by path (and,
  for TRON's POSTs, by the `value` in the body).
* `SilentServer`: accepts connections and never answers (a provider that hangs).
* `BrokenServer`: answers 500, or 200 with junk.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "chain" / "data"
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


class _Server:
    handler: type[BaseHTTPRequestHandler]

    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler)
        self.httpd.owner = self
        self.requests: list[tuple[str, str, bytes]] = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# --- Ethereum ---------------------------------------------------------------------------------


def _quantity(value) -> str | None:
    return None if value is None else hex(value)


def _hex(value) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _rpc_transaction(tx: dict) -> dict:
    return {
        "hash": tx["hash"],
        "nonce": _quantity(tx["nonce"]),
        "blockHash": tx["block_hash"],
        "blockNumber": _quantity(tx["block_number"]),
        "transactionIndex": _quantity(tx["transaction_index"]),
        "from": tx["from"],
        "to": tx["to"] or None,
        "value": _quantity(tx["value"]),
        "gas": _quantity(tx["gas"]),
        "gasPrice": _quantity(tx.get("gas_price")),
        "input": _hex(tx["data"]),
        "type": tx.get("type", "0x0"),
    }


def _rpc_receipt(receipt: dict) -> dict:
    return {
        "transactionHash": receipt["transaction_hash"],
        "transactionIndex": _quantity(receipt["transaction_index"]),
        "blockHash": receipt["block_hash"],
        "blockNumber": _quantity(receipt["block_number"]),
        "from": receipt["from"],
        "to": receipt["to"] or None,
        "contractAddress": receipt["contract_address"],
        "gasUsed": _quantity(receipt["gas_used"]),
        "cumulativeGasUsed": _quantity(receipt["cumulative_gas_used"]),
        "status": _quantity(receipt["status"]),
        "logs": [
            {
                "address": log["address"],
                "topics": [_hex(topic) for topic in log["topics"]],
                "data": _hex(log["data"]),
                "blockNumber": _quantity(log["block_number"]),
                "transactionHash": log["transaction_hash"],
                "logIndex": _quantity(log["log_index"]),
                "removed": False,
            }
            for log in receipt["logs"]
        ],
    }


class _EthereumHandler(_Handler):
    def do_POST(self) -> None:
        node: EthereumNode = self.server.owner
        raw = self._body()
        request = json.loads(raw)
        node.requests.append(("POST", request["method"], raw))
        try:
            result = node.answer(request["method"], request.get("params") or [])
            answer = {"jsonrpc": "2.0", "id": request["id"], "result": result}
        except Exception as error:
            answer = {
                "jsonrpc": "2.0",
                "id": request["id"],
                "error": {"code": -32000, "message": str(error)},
            }
        self._send(200, json.dumps(answer).encode())


def _assemble(program: list) -> bytes:
    """A few EVM opcodes to bytes; ("label", name) marks a JUMPDEST, ("push2", name) its offset."""
    opcodes = {
        "STOP": 0x00, "SHR": 0x1C, "EQ": 0x14, "CALLER": 0x33, "CALLDATALOAD": 0x35,
        "CODECOPY": 0x39, "MSTORE": 0x52, "JUMPI": 0x57, "JUMPDEST": 0x5B, "DUP1": 0x80,
        "LOG3": 0xA3, "RETURN": 0xF3,
    }  # fmt: skip
    labels: dict[str, int] = {}
    for final in (False, True):
        code = bytearray()
        for item in program:
            if isinstance(item, tuple) and item[0] == "label":
                labels[item[1]] = len(code)
                code.append(opcodes["JUMPDEST"])
            elif isinstance(item, tuple) and item[0] == "push2":
                code += bytes([0x61]) + labels.get(item[1], 0).to_bytes(2, "big")
            elif isinstance(item, tuple) and item[0] == "push":
                data = item[1]
                code += bytes([0x5F + len(data)]) + data
            else:
                code.append(opcodes[item])
        if final:
            return bytes(code)
    raise AssertionError("unreachable")


def _push(value: int | bytes, size: int | None = None) -> tuple:
    if isinstance(value, bytes):
        return ("push", value)
    size = size or max(1, (value.bit_length() + 7) // 8)
    return ("push", value.to_bytes(size, "big"))


def token_runtime(*, symbol: str = "TUSD", decimals: int = 6) -> bytes:
    """A minimal token: `transfer(to, amount)` logs an ERC-20 Transfer from the caller (no
    balances: the desk reads the log, as it does for every token), and `decimals()` and
    `symbol()` answer as an ERC-20 does."""
    encoded_symbol = symbol.encode().ljust(32, b"\0")
    return _assemble(
        [
            _push(0), "CALLDATALOAD", _push(0xE0), "SHR",
            "DUP1", _push(0x313CE567, 4), "EQ", ("push2", "decimals"), "JUMPI",
            "DUP1", _push(0x95D89B41, 4), "EQ", ("push2", "symbol"), "JUMPI",
            # transfer(address,uint256): Transfer(caller, to, amount), then return true.
            _push(0x24), "CALLDATALOAD", _push(0), "MSTORE",
            _push(0x04), "CALLDATALOAD", "CALLER",
            _push(bytes.fromhex(TRANSFER_TOPIC[2:])),
            _push(0x20), _push(0), "LOG3",
            _push(1), _push(0), "MSTORE", _push(0x20), _push(0), "RETURN",
            ("label", "decimals"),
            _push(decimals), _push(0), "MSTORE", _push(0x20), _push(0), "RETURN",
            ("label", "symbol"),
            _push(0x20), _push(0), "MSTORE",
            _push(len(symbol)), _push(0x20), "MSTORE",
            _push(encoded_symbol), _push(0x40), "MSTORE",
            _push(0x60), _push(0), "RETURN",
        ]
    )  # fmt: skip


def deployment(runtime: bytes) -> bytes:
    """Init code that returns `runtime` as the contract's code."""
    # PUSH1 len DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN: 11 bytes, then the runtime.
    assert len(runtime) < 256
    init = bytes([0x60, len(runtime), 0x80, 0x60, 0x0B, 0x60, 0x00, 0x39, 0x60, 0x00, 0xF3])
    return init + runtime


class EthereumNode(_Server):
    handler = _EthereumHandler

    def __init__(self) -> None:
        from eth_tester import EthereumTester, PyEVMBackend

        self.chain = EthereumTester(backend=PyEVMBackend())
        self.accounts = self.chain.get_accounts()
        self.lock = threading.Lock()
        self.paused = False
        super().__init__()

    def answer(self, method: str, params: list):
        from eth_tester.exceptions import TransactionNotFound

        with self.lock:
            if method == "eth_blockNumber":
                return hex(self.chain.get_block_by_number("latest")["number"])
            if method == "eth_getTransactionByHash":
                try:
                    return _rpc_transaction(self.chain.get_transaction_by_hash(params[0]))
                except TransactionNotFound:
                    return None
            if method == "eth_getTransactionReceipt":
                try:
                    return _rpc_receipt(self.chain.get_transaction_receipt(params[0]))
                except TransactionNotFound:
                    return None
            if method == "eth_getBlockByNumber":
                block = self.chain.get_block_by_number(int(params[0], 16))
                return {"number": hex(block["number"]), "timestamp": hex(block["timestamp"])}
            if method == "eth_call":
                call = params[0]
                result = self.chain.call(
                    {"from": self.accounts[0], "to": call["to"], "data": call["data"]}
                )
                return _hex(result)
        raise ValueError(f"the method {method} does not exist")

    def send_ether(self, *, to: str, wei: int, mine: bool = True) -> str:
        """A signed transfer from the first account; left in the pool when `mine` is False."""
        with self.lock:
            if not mine and not self.paused:
                self.chain.disable_auto_mine_transactions()
                self.paused = True
            return self.chain.send_transaction(
                {"from": self.accounts[0], "to": to, "value": wei, "gas": 21000}
            )

    def deploy_token(self, **kwargs) -> str:
        with self.lock:
            tx = self.chain.send_transaction(
                {
                    "from": self.accounts[0],
                    "data": "0x" + deployment(token_runtime(**kwargs)).hex(),
                    "gas": 500_000,
                }
            )
            return self.chain.get_transaction_receipt(tx)["contract_address"]

    def send_token(self, *, token: str, to: str, amount: int, gas: int = 100_000) -> str:
        data = "a9059cbb" + to.lower().removeprefix("0x").rjust(64, "0")
        data += amount.to_bytes(32, "big").hex()
        with self.lock:
            return self.chain.send_transaction(
                {"from": self.accounts[0], "to": token, "data": "0x" + data, "gas": gas}
            )

    def mine(self, blocks: int = 1) -> None:
        """Mine what waits in the pool, and `blocks` blocks in all; auto-mining again after."""
        with self.lock:
            if self.paused:
                # Turning auto-mining back on mines the pool into one block.
                self.chain.enable_auto_mine_transactions()
                self.paused = False
                blocks -= 1
            if blocks > 0:
                self.chain.mine_blocks(blocks)


# --- recorded Esplora and TRON answers ------------------------------------------------------


class _RecordedHandler(_Handler):
    def do_GET(self) -> None:
        server: RecordedServer = self.server.owner
        server.requests.append(("GET", self.path, b""))
        self._answer(server.routes.get(("GET", self.path)))

    def do_POST(self) -> None:
        server: RecordedServer = self.server.owner
        raw = self._body()
        server.requests.append(("POST", self.path, raw))
        try:
            value = json.loads(raw or b"{}").get("value", "")
        except ValueError:
            value = ""
        route = server.routes.get(("POST", self.path, value)) or server.routes.get(
            ("POST", self.path)
        )
        self._answer(route)

    def _answer(self, route) -> None:
        if route is None:
            self._send(404, b"Transaction not found", "text/plain")
            return
        status, body, content_type = route
        self._send(status, body, content_type)


class RecordedServer(_Server):
    handler = _RecordedHandler

    def __init__(self) -> None:
        self.routes: dict[tuple, tuple[int, bytes, str]] = {}
        super().__init__()

    def get(self, path: str, recording: str | bytes, *, status: int = 200, text: bool = False):
        body = recording if isinstance(recording, bytes) else (DATA / recording).read_bytes()
        kind = "text/plain" if text else "application/json"
        self.routes[("GET", path)] = (status, body, kind)

    def post(self, path: str, recording: str | bytes, *, value: str | None = None):
        body = recording if isinstance(recording, bytes) else (DATA / recording).read_bytes()
        key = ("POST", path, value) if value is not None else ("POST", path)
        self.routes[key] = (200, body, "application/json")


# --- providers that fail --------------------------------------------------------------------


class SilentServer:
    """Accepts the connection (the kernel completes it) and never reads or answers."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def close(self) -> None:
        self.socket.close()


class _BrokenHandler(_Handler):
    def do_GET(self) -> None:
        self.server.owner.requests.append(("GET", self.path, b""))
        self._send(*self.server.owner.reply)

    def do_POST(self) -> None:
        self.server.owner.requests.append(("POST", self.path, self._body()))
        self._send(*self.server.owner.reply)


class BrokenServer(_Server):
    handler = _BrokenHandler

    def __init__(self, status: int = 500, body: bytes = b"Internal Server Error") -> None:
        self.reply = (status, body, "application/json")
        super().__init__()
