"""register_native in-process: a handler's gas, storage, logs, return data and reverts."""

from __future__ import annotations

import pytest
from eth_abi import decode, encode
from eth_account import Account

from og_tui.devnet.native import NativeCall, selector, topic
from og_tui.devnet.node import DevnetNode

ADDRESS = "0x00000000000000000000000000000000000000f6"
BUMPED = topic("Bumped(address,uint256)")


def counter(call: NativeCall) -> bytes:
    if call.selector == selector("bump()"):
        n = call.sload(0) + 1
        call.sstore(0, n)
        call.emit([BUMPED, int.from_bytes(call.sender, "big")], encode(["uint256"], [n]))
        return encode(["uint256"], [n])
    if call.selector == selector("get()"):
        call.use_gas(1_000, "get")
        return encode(["uint256"], [call.sload(0)])
    if call.selector == selector("boom()"):
        raise RuntimeError("handler bug")
    call.revert("counter: unknown function")


@pytest.fixture
def node(tmp_path):
    n = DevnetNode(tmp_path / "chain")
    n.register_native(ADDRESS, counter, name="counter")
    yield n
    n.close()


def rpc(node, method, *params):
    answer = node.rpc.handle({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    return answer.get("result", answer.get("error"))


def test_native_handler_state_logs_gas_and_reverts(node, tmp_path):
    assert rpc(node, "eth_getCode", ADDRESS, "latest") == "0xfe"
    key = node.dev_accounts[2].private_key
    sender = Account.from_key(key).address
    bump = "0x" + selector("bump()").hex()
    gas = int(rpc(node, "eth_estimateGas", {"from": sender, "to": ADDRESS, "data": bump}), 16)
    assert gas > 21_000 + 20_000
    raw = node.sign_transaction(key, {"to": bytes.fromhex(ADDRESS[2:]), "data": bytes.fromhex(bump[2:]), "gas": gas})
    tx_hash = rpc(node, "eth_sendRawTransaction", "0x" + raw.hex())
    receipt = rpc(node, "eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x1"
    assert int(receipt["gasUsed"], 16) <= gas
    (log,) = receipt["logs"]
    assert log["address"] == ADDRESS
    assert int(log["topics"][0], 16) == BUMPED
    assert log["topics"][1] == "0x" + "00" * 12 + sender[2:].lower()
    assert decode(["uint256"], bytes.fromhex(log["data"][2:])) == (1,)
    # state is in the EVM storage of the native address
    assert int(rpc(node, "eth_getStorageAt", ADDRESS, "0x0", "latest"), 16) == 1
    get = "0x" + selector("get()").hex()
    assert int(rpc(node, "eth_call", {"to": ADDRESS, "data": get}, "latest"), 16) == 1
    err = rpc(node, "eth_call", {"to": ADDRESS, "data": "0x12345678"}, "latest")
    assert err["code"] == 3 and err["message"] == "execution reverted: counter: unknown function"
    err = rpc(node, "eth_call", {"to": ADDRESS, "data": "0x" + selector("boom()").hex()}, "latest")
    assert "internal error" in err["message"] and "handler bug" in err["message"]

    # a reopened node (same data dir) keeps the native's storage and does not redeploy code
    head = node.chain.block_number
    node.close()
    again = DevnetNode(tmp_path / "chain")
    again.register_native(ADDRESS, counter, name="counter")
    assert again.chain.block_number == head
    assert int(rpc(again, "eth_call", {"to": ADDRESS, "data": get}, "latest"), 16) == 1
    again.close()
