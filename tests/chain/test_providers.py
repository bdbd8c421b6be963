"""The three protocols against real servers: a mined Ethereum chain over JSON-RPC, recorded
Esplora and TRON answers over HTTP, and providers that hang, fail or answer junk."""

import time
from datetime import UTC, datetime

import pytest

from chain import providers
from chain.providers import ProviderUnavailable, State

TXID = "a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d"
MEMPOOL_TXID = "b2186ec66e527e4db2aa066c7195f3226c0456f27d6d0413fd91f0e6a0c0e59e"
TRC20_TXID = "7c0bd6cf55a0b3b5e8c7f4e3a2d1c0b9a8f7e6d5c4b3a2918f7e6d5c4b3a2910"
TRX_TXID = "3e9a0f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7"


def test_evm_ether_transfer_mined_on_the_chain(ethereum):
    tx_hash = ethereum.send_ether(to=ethereum.accounts[1], wei=15 * 10**17)

    seen = providers.observe("ethereum", tx_hash)

    assert seen.state == State.CONFIRMED
    assert seen.confirmations >= 1
    assert seen.amount == "1.5"
    assert seen.asset == "ETH"
    assert seen.from_address.lower() == ethereum.accounts[0].lower()
    assert seen.to_address.lower() == ethereum.accounts[1].lower()
    block_time = datetime.fromisoformat(seen.block_time)
    assert abs((datetime.now(tz=UTC) - block_time).total_seconds()) < 600
    methods = [method for _verb, method, _body in ethereum.requests]
    assert methods[:3] == [
        "eth_getTransactionByHash",
        "eth_getTransactionReceipt",
        "eth_blockNumber",
    ]


def test_evm_confirmations_grow_with_the_blocks_mined_after(ethereum):
    tx_hash = ethereum.send_ether(to=ethereum.accounts[1], wei=1)
    first = providers.observe("ethereum", tx_hash).confirmations

    ethereum.mine(5)

    assert providers.observe("ethereum", tx_hash).confirmations == first + 5


def test_evm_token_transfer_read_from_the_transfer_log(ethereum):
    token = ethereum.deploy_token(symbol="TUSD", decimals=6)
    recipient = ethereum.accounts[2]

    tx_hash = ethereum.send_token(token=token, to=recipient, amount=25_500_000)
    seen = providers.observe("ethereum", tx_hash)

    assert seen.state == State.CONFIRMED
    # The transfer's recipient and amount, not the contract the call went to.
    assert seen.to_address == recipient.lower()
    assert seen.amount == "25.5"
    assert seen.asset == "TUSD"
    assert seen.token_contract.lower() == token.lower()


def test_evm_transaction_in_the_pool_is_pending(ethereum):
    tx_hash = ethereum.send_ether(to=ethereum.accounts[3], wei=10**18, mine=False)
    try:
        seen = providers.observe("ethereum", tx_hash)
        assert seen.state == State.PENDING
        assert seen.amount == "1"
        assert seen.confirmations == 0
        assert seen.block_time is None
    finally:
        ethereum.mine()
    assert providers.observe("ethereum", tx_hash).state == State.CONFIRMED


def test_evm_reverted_call_is_failed(ethereum):
    token = ethereum.deploy_token()
    # Too little gas for the log: the call runs out of gas and the chain records it as failed.
    tx_hash = ethereum.send_token(token=token, to=ethereum.accounts[2], amount=5, gas=22_000)

    seen = providers.observe("ethereum", tx_hash)

    assert seen.state == State.FAILED
    assert seen.token_contract == ""


def test_evm_unknown_hash_is_not_found(ethereum):
    assert providers.observe("ethereum", "0x" + "ab" * 32).state == State.NOT_FOUND


def test_esplora_confirmed_transaction(recorded, settings):
    recorded.get(f"/tx/{TXID}", "esplora_tx_confirmed.json")
    recorded.get("/blocks/tip/height", "esplora_tip_height.txt", text=True)
    settings.CHAIN_PROVIDERS = {"bitcoin": recorded.url + "/"}

    seen = providers.observe("bitcoin", TXID)

    assert seen.state == State.CONFIRMED
    assert seen.block_number == 871210
    assert seen.confirmations == 3
    assert seen.block_time == "2024-11-20T11:13:54+00:00"
    assert seen.from_address == "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    # The first output that is not change back to the sender.
    assert seen.to_address == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    assert seen.amount == "0.01505"
    assert ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "0.0099386") in seen.outputs


def test_esplora_mempool_transaction_is_pending(recorded, settings):
    recorded.get(f"/tx/{MEMPOOL_TXID}", "esplora_tx_mempool.json")
    settings.CHAIN_PROVIDERS = {"bitcoin": recorded.url}

    seen = providers.observe("bitcoin", MEMPOOL_TXID)

    assert seen.state == State.PENDING
    assert seen.to_address == "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
    assert seen.amount == "0.005"


def test_esplora_unknown_txid_is_not_found(recorded, settings):
    settings.CHAIN_PROVIDERS = {"bitcoin": recorded.url}

    assert providers.observe("bitcoin", "0" * 64).state == State.NOT_FOUND


def _tron(recorded, settings):
    recorded.post("/wallet/gettransactionbyid", "tron_empty.json")
    recorded.post("/wallet/gettransactioninfobyid", "tron_empty.json")
    recorded.post("/wallet/gettransactionbyid", "tron_trc20_tx.json", value=TRC20_TXID)
    recorded.post("/wallet/gettransactioninfobyid", "tron_trc20_info.json", value=TRC20_TXID)
    recorded.post("/wallet/gettransactionbyid", "tron_trx_tx.json", value=TRX_TXID)
    recorded.post("/wallet/getnowblock", "tron_now_block.json")
    settings.CHAIN_PROVIDERS = {"tron": recorded.url}


def test_tron_trc20_usdt_transfer(recorded, settings):
    _tron(recorded, settings)

    seen = providers.observe("tron", TRC20_TXID)

    assert seen.state == State.CONFIRMED
    assert seen.confirmations == 66853440 - 66853421 + 1
    assert seen.block_time == "2024-11-20T11:13:57+00:00"
    assert seen.from_address == "TAuD2W5vggcdy1cNpem4uH3HreRMyPQLHT"
    assert seen.to_address == "TMoA5QSM8XFt9y31sQE2A341ULr3VkRGRD"
    assert (seen.amount, seen.asset) == ("100", "USDT")
    assert seen.token_contract == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def test_tron_trx_transfer_not_in_a_block_yet_is_pending(recorded, settings):
    _tron(recorded, settings)

    seen = providers.observe("tron", TRX_TXID)

    assert seen.state == State.PENDING
    assert (seen.amount, seen.asset) == ("250", "TRX")
    assert seen.to_address == "TVmTPtVpHTgWzHYnGDbih1QDTuQo6J1Eef"


def test_tron_unknown_id_is_not_found(recorded, settings):
    _tron(recorded, settings)

    assert providers.observe("tron", "f" * 64).state == State.NOT_FOUND


def test_provider_that_never_answers_times_out(silent, settings):
    settings.CHAIN_PROVIDERS = {"ethereum": silent.url, "bitcoin": silent.url, "tron": silent.url}
    settings.CHAIN_PROVIDER_TIMEOUT_SECONDS = 0.5

    for network, tx_hash in [("ethereum", "0x" + "1" * 64), ("bitcoin", TXID), ("tron", TXID)]:
        started = time.monotonic()
        with pytest.raises(ProviderUnavailable):
            providers.observe(network, tx_hash)
        assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b"Internal Server Error"),
        (502, b"<html>Bad gateway</html>"),
        (200, b"{not json"),
        (200, b"[1, 2, 3]"),
        (200, b'{"jsonrpc": "2.0", "id": 1, "error": {"code": -32005, "message": "limit"}}'),
        (200, b'{"jsonrpc": "2.0", "id": 1, "result": "a string, not a transaction"}'),
        (200, b'{"jsonrpc": "2.0", "id": 1, "result": {"blockNumber": "0xzz", "value": 7}}'),
        (200, b"\xff\xfe\x00junk"),
    ],
)
def test_provider_errors_and_junk_are_unavailable(status, body, settings):
    from tests.support.chain import BrokenServer

    server = BrokenServer(status, body)
    try:
        settings.CHAIN_PROVIDERS = {
            "ethereum": server.url,
            "bitcoin": server.url,
            "tron": server.url,
        }
        for network, tx_hash in [("ethereum", "0x" + "1" * 64), ("bitcoin", TXID), ("tron", TXID)]:
            with pytest.raises(ProviderUnavailable):
                providers.observe(network, tx_hash)
    finally:
        server.close()


def test_no_provider_for_a_network_means_no_client(settings):
    settings.CHAIN_PROVIDERS = {"ethereum": "http://127.0.0.1:9"}

    assert providers.client_for("ethereum") is not None
    assert providers.client_for("bsc") is None
    assert providers.client_for("solana") is None
    settings.CHAIN_PROVIDERS = {"solana": "http://127.0.0.1:9"}
    assert providers.client_for("solana") is None


def test_tron_unknown_token_gives_no_amount_rather_than_a_wrong_one(recorded, settings):
    from tests.support.chain import DATA

    _tron(recorded, settings)
    info = (DATA / "tron_trc20_info.json").read_bytes()
    unknown = info.replace(b'"address": "a614f803b6fd', b'"address": "b614f803b6fd')
    recorded.post("/wallet/gettransactioninfobyid", unknown, value=TRC20_TXID)

    seen = providers.observe("tron", TRC20_TXID)

    assert seen.state == State.CONFIRMED
    assert seen.to_address == "TMoA5QSM8XFt9y31sQE2A341ULr3VkRGRD"
    assert (seen.amount, seen.asset) == ("", "")
    assert seen.token_contract.startswith("T")
