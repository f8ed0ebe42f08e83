"""Raw JSON-RPC: the wire format itself (hex quantities, camelCase, error objects, batches)."""

from __future__ import annotations

import re

import pytest
from eth_account import Account

pytestmark = pytest.mark.e2e

HEX_QUANTITY = re.compile(r"^0x(0|[1-9a-f][0-9a-f]*)$")
HEX_DATA = re.compile(r"^0x([0-9a-f]{2})*$")


def _quantity(value):
    assert isinstance(value, str) and HEX_QUANTITY.match(value), value
    return int(value, 16)


def _data(value, size=None):
    assert isinstance(value, str) and HEX_DATA.match(value), value
    if size is not None:
        assert len(value) == 2 + 2 * size, value
    return value


@pytest.fixture(scope="module")
def signer(devnet):
    return Account.from_key(devnet.info["dev_accounts"][4]["private_key"])


def _transfer(devnet, signer, to, value=1):
    nonce = _quantity(devnet.rpc("eth_getTransactionCount", signer.address, "pending"))
    gas_price = _quantity(devnet.rpc("eth_gasPrice"))
    raw = signer.sign_transaction(
        {"to": to, "value": value, "gas": 21_000, "gasPrice": gas_price, "nonce": nonce, "chainId": 107401}
    ).raw_transaction
    return devnet.rpc("eth_sendRawTransaction", "0x" + bytes(raw).hex())


def test_simple_methods_are_hex(devnet):
    assert devnet.rpc("eth_chainId") == "0x1a389"
    assert devnet.rpc("net_version") == "107401"
    _quantity(devnet.rpc("eth_blockNumber"))
    _quantity(devnet.rpc("eth_gasPrice"))
    assert devnet.rpc("eth_maxPriorityFeePerGas") == hex(10**9)
    assert devnet.rpc("eth_syncing") is False
    accounts = devnet.rpc("eth_accounts")
    assert len(accounts) == 10 and all(a == a.lower() for a in accounts)
    assert devnet.rpc("eth_getCode", "0x" + "00" * 20, "latest") == "0x"
    slot = devnet.rpc("eth_getStorageAt", "0x" + "00" * 20, "0x0", "latest")
    _data(slot, 32)


def test_receipt_transaction_and_block_wire_shapes(devnet, signer):
    to = Account.create().address
    tx_hash = _transfer(devnet, signer, to, value=7)
    _data(tx_hash, 32)

    receipt = devnet.rpc("eth_getTransactionReceipt", tx_hash)
    for key in (
        "transactionHash",
        "transactionIndex",
        "blockHash",
        "blockNumber",
        "from",
        "to",
        "cumulativeGasUsed",
        "gasUsed",
        "effectiveGasPrice",
        "contractAddress",
        "logs",
        "logsBloom",
        "status",
        "type",
    ):
        assert key in receipt, key
    assert not any("_" in key for key in receipt)
    assert receipt["transactionHash"] == tx_hash
    assert _quantity(receipt["gasUsed"]) == 21_000
    assert _quantity(receipt["cumulativeGasUsed"]) == 21_000
    assert receipt["status"] == "0x1" and receipt["type"] == "0x0"
    assert receipt["contractAddress"] is None
    _data(receipt["logsBloom"], 256)
    assert receipt["to"] == to.lower()
    assert receipt["from"] == signer.address.lower()

    tx = devnet.rpc("eth_getTransactionByHash", tx_hash)
    assert tx["hash"] == tx_hash and tx["input"] == "0x" and _quantity(tx["value"]) == 7
    assert tx["blockNumber"] == receipt["blockNumber"]
    for key in ("nonce", "gas", "gasPrice", "v", "r", "s", "transactionIndex", "chainId"):
        _quantity(tx[key])

    block = devnet.rpc("eth_getBlockByNumber", receipt["blockNumber"], False)
    assert block["transactions"] == [tx_hash]
    for key in ("number", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas", "size", "difficulty"):
        _quantity(block[key])
    for key, size in (
        ("hash", 32),
        ("parentHash", 32),
        ("stateRoot", 32),
        ("receiptsRoot", 32),
        ("transactionsRoot", 32),
        ("logsBloom", 256),
        ("mixHash", 32),
        ("nonce", 8),
    ):
        _data(block[key], size)
    full = devnet.rpc("eth_getBlockByHash", block["hash"], True)
    assert full["transactions"][0]["hash"] == tx_hash
    assert devnet.rpc("eth_getBlockByNumber", "0x" + "f" * 10, False) is None
    latest = devnet.rpc("eth_getBlockByNumber", "latest", False)
    assert _quantity(latest["number"]) == _quantity(devnet.rpc("eth_blockNumber"))


def test_unknown_hash_gives_null(devnet):
    assert devnet.rpc("eth_getTransactionReceipt", "0x" + "ab" * 32) is None
    assert devnet.rpc("eth_getTransactionByHash", "0x" + "ab" * 32) is None
    assert devnet.rpc("eth_getBlockByHash", "0x" + "ab" * 32, False) is None


def test_error_objects(devnet, signer):
    status, body = devnet.post("/rpc", {"jsonrpc": "2.0", "id": 7, "method": "eth_nope", "params": []})
    assert status == 200 and body["id"] == 7 and body["error"]["code"] == -32601
    status, body = devnet.post("/rpc", {"jsonrpc": "2.0", "id": 8, "method": "eth_getBalance", "params": ["0x12"]})
    assert body["error"]["code"] == -32602 and "address" in body["error"]["message"]
    # a revert carries code 3, the reason in the message and the raw Error(string) data
    poor = Account.create().address
    call = {
        "from": poor,
        "to": "0x094E464A23B90A71a0894D5D1e5D470FfDD074e1",
        "data": "0xa9059cbb" + "00" * 12 + signer.address[2:].lower() + "%064x" % 5,
    }
    with pytest.raises(devnet.RpcError) as err:
        devnet.rpc("eth_call", call, "latest")
    assert err.value.code == 3
    assert err.value.message == "execution reverted: OUSDC: transfer amount exceeds balance"
    assert err.value.data.startswith("0x08c379a0")
    with pytest.raises(devnet.RpcError) as err:
        devnet.rpc("eth_sendRawTransaction", "0x1234")
    assert "invalid raw transaction" in err.value.message


def test_nonce_and_funds_messages(devnet, signer):
    _transfer(devnet, signer, signer.address)
    nonce = _quantity(devnet.rpc("eth_getTransactionCount", signer.address, "latest"))
    gas_price = _quantity(devnet.rpc("eth_gasPrice"))
    base = {"to": signer.address, "value": 0, "gas": 21_000, "gasPrice": gas_price, "chainId": 107401}
    for n, text in ((nonce - 1, "nonce too low"), (nonce + 3, "nonce too high")):
        raw = signer.sign_transaction(dict(base, nonce=n)).raw_transaction
        with pytest.raises(devnet.RpcError, match=text):
            devnet.rpc("eth_sendRawTransaction", "0x" + bytes(raw).hex())
    broke = Account.create()
    raw = broke.sign_transaction(dict(base, nonce=0)).raw_transaction
    with pytest.raises(devnet.RpcError, match="insufficient funds"):
        devnet.rpc("eth_sendRawTransaction", "0x" + bytes(raw).hex())
    # the same signed transaction sent twice is accepted once and then answered idempotently
    good = signer.sign_transaction(dict(base, nonce=nonce)).raw_transaction
    first = devnet.rpc("eth_sendRawTransaction", "0x" + bytes(good).hex())
    assert devnet.rpc("eth_sendRawTransaction", "0x" + bytes(good).hex()) == first
    assert _quantity(devnet.rpc("eth_getTransactionCount", signer.address, "pending")) == nonce + 1


def test_batch_request(devnet):
    status, body = devnet.post(
        "/rpc",
        [
            {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": []},
            {"jsonrpc": "2.0", "id": 3, "method": "nope", "params": []},
        ],
    )
    assert status == 200
    by_id = {item["id"]: item for item in body}
    assert by_id[1]["result"] == "0x1a389"
    _quantity(by_id[2]["result"])
    assert by_id[3]["error"]["code"] == -32601
    status, body = devnet.post("/rpc", {"garbage": True})
    assert body["error"]["code"] == -32600


def test_fee_history(devnet):
    history = devnet.rpc("eth_feeHistory", "0x4", "latest", [25, 75])
    head = _quantity(devnet.rpc("eth_blockNumber"))
    count = min(4, head + 1)
    assert _quantity(history["oldestBlock"]) == head - count + 1
    assert len(history["baseFeePerGas"]) == count + 1
    assert len(history["gasUsedRatio"]) == count
    assert all(len(row) == 2 for row in history["reward"])


def test_logs_and_filters(devnet, signer):
    block_filter = devnet.rpc("eth_newBlockFilter")
    token = "0x094e464a23b90a71a0894d5d1e5d470ffdd074e1"
    log_filter = devnet.rpc("eth_newFilter", {"address": token})
    start = _quantity(devnet.rpc("eth_blockNumber")) + 1
    status, faucet = devnet.post("/faucet", {"address": Account.create().address})
    assert status == 200
    blocks = devnet.rpc("eth_getFilterChanges", block_filter)
    assert len(blocks) >= 2 and all(_data(h, 32) for h in blocks)
    changes = devnet.rpc("eth_getFilterChanges", log_filter)
    assert faucet["token_tx"] in [entry["transactionHash"] for entry in changes]
    assert devnet.rpc("eth_getFilterChanges", log_filter) == []

    transfer_topic = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    logs = devnet.rpc(
        "eth_getLogs",
        {
            "fromBlock": hex(start),
            "toBlock": "latest",
            "address": [token],
            "topics": [transfer_topic, "0x" + "00" * 32],
        },
    )
    assert [entry["transactionHash"] for entry in logs] == [faucet["token_tx"]]
    entry = logs[0]
    assert entry["removed"] is False and entry["address"] == token
    for key in ("blockNumber", "logIndex", "transactionIndex"):
        _quantity(entry[key])
    assert devnet.rpc("eth_getLogs", {"fromBlock": hex(start), "topics": [None, None, "0x" + "ee" * 32]}) == []
    assert devnet.rpc("eth_uninstallFilter", log_filter) is True
    assert devnet.rpc("eth_uninstallFilter", log_filter) is False
