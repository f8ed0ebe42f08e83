"""The devnet through web3.HTTPProvider, the way any Ethereum client uses it."""

from __future__ import annotations

import os

import pytest
from eth_account import Account
from web3 import Web3
from web3.exceptions import ContractLogicError

from og_tui.core import constants
from tests.devnet.helpers import OUSDC_ABI, RUNTIME, STORED_TOPIC, deploy_code, forwarder_runtime

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def w3(devnet):
    return Web3(Web3.HTTPProvider(devnet.rpc_url, request_kwargs={"timeout": 30}))


@pytest.fixture(scope="module")
def dev(devnet):
    acct = devnet.info["dev_accounts"][3]
    return Account.from_key(acct["private_key"])


def _send(w3, acct, tx):
    tx = dict(tx)
    tx.setdefault("chainId", w3.eth.chain_id)
    tx.setdefault("nonce", w3.eth.get_transaction_count(acct.address, "pending"))
    signed = acct.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.02)


def test_connection_basics(w3, devnet):
    assert w3.is_connected()
    assert w3.eth.chain_id == constants.DEVNET_CHAIN_ID == 107401
    assert int(w3.net.version) == 107401
    assert "og-tui-devnet" in w3.client_version
    assert w3.eth.syncing is False
    block = w3.eth.get_block("latest")
    assert block["gasLimit"] == constants.DEVNET_BLOCK_GAS_LIMIT >= 30_000_000
    assert w3.eth.gas_price >= block["baseFeePerGas"]
    accounts = w3.eth.accounts
    assert len(accounts) == 10
    assert accounts[0] == devnet.info["dev_accounts"][0]["address"]


def test_dev_accounts_are_funded(w3, devnet):
    for acct in devnet.info["dev_accounts"]:
        assert Account.from_key(acct["private_key"]).address == acct["address"]
        assert w3.eth.get_balance(acct["address"]) > 1_000 * 10**18


def test_legacy_transfer(w3, dev):
    to = Account.create().address
    before = w3.eth.get_balance(dev.address)
    head = w3.eth.block_number
    receipt = _send(w3, dev, {"to": to, "value": 12345, "gas": 21_000, "gasPrice": w3.eth.gas_price})
    assert receipt["status"] == 1
    assert receipt["type"] == 0
    assert receipt["gasUsed"] == 21_000
    assert receipt["blockNumber"] == head + 1  # auto-mined: one block per transaction
    assert w3.eth.get_balance(to) == 12345
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert w3.eth.get_balance(dev.address) == before - 12345 - fee
    tx = w3.eth.get_transaction(receipt["transactionHash"])
    assert tx["from"] == dev.address and tx["to"] == to and tx["value"] == 12345
    assert tx["blockHash"] == receipt["blockHash"]


def test_eip1559_transfer_and_blocks(w3, dev):
    to = Account.create().address
    base = w3.eth.get_block("latest")["baseFeePerGas"]
    tip = w3.eth.max_priority_fee
    receipt = _send(
        w3,
        dev,
        {"to": to, "value": 10**15, "gas": 21_000, "maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip},
    )
    assert receipt["status"] == 1 and receipt["type"] == 2
    assert w3.eth.get_balance(to) == 10**15
    block = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    assert block["hash"] == receipt["blockHash"]
    assert block["transactions"][0]["hash"] == receipt["transactionHash"]
    assert block["transactions"][0]["maxPriorityFeePerGas"] == tip
    same = w3.eth.get_block(receipt["blockHash"])
    assert same["transactions"] == [receipt["transactionHash"]]
    assert w3.eth.get_block(block["number"] - 1)["hash"] == block["parentHash"]


def test_web3_built_transaction_uses_fee_defaults(w3, dev):
    """Let web3 fill gas and fees itself (eth_estimateGas, eth_maxPriorityFeePerGas, blocks)."""
    to = Account.create().address
    tx = {
        "from": dev.address,
        "to": to,
        "value": 1,
        "chainId": w3.eth.chain_id,
        "nonce": w3.eth.get_transaction_count(dev.address),
    }
    tx["gas"] = w3.eth.estimate_gas(tx)
    assert tx["gas"] == 21_000
    tx["maxPriorityFeePerGas"] = w3.eth.max_priority_fee
    tx["maxFeePerGas"] = w3.eth.get_block("latest")["baseFeePerGas"] * 2 + tx["maxPriorityFeePerGas"]
    receipt = _send(w3, dev, tx)
    assert receipt["status"] == 1


def test_deploy_call_estimate_logs(w3, dev):
    receipt = _send(w3, dev, {"data": deploy_code(RUNTIME), "gas": 200_000, "gasPrice": w3.eth.gas_price})
    assert receipt["status"] == 1
    address = receipt["contractAddress"]
    assert address and Web3.is_checksum_address(address)
    assert bytes(w3.eth.get_code(address)) == RUNTIME
    assert int.from_bytes(w3.eth.call({"to": address}), "big") == 0

    value = (42).to_bytes(32, "big")
    gas = w3.eth.estimate_gas({"from": dev.address, "to": address, "data": value})
    assert 21_000 + 20_000 < gas < 80_000  # intrinsic + SSTORE + LOG1
    store = _send(w3, dev, {"to": address, "data": value, "gas": gas, "gasPrice": w3.eth.gas_price})
    assert store["status"] == 1, "the estimate must be enough gas"
    assert int.from_bytes(w3.eth.call({"to": address}), "big") == 42
    assert int.from_bytes(w3.eth.get_storage_at(address, 0), "big") == 42
    # historical state: before the store, the slot was 0
    assert int.from_bytes(w3.eth.call({"to": address}, store["blockNumber"] - 1), "big") == 0

    (log,) = store["logs"]
    assert log["address"] == address
    assert log["topics"] == [STORED_TOPIC]
    assert int.from_bytes(log["data"], "big") == 42
    logs = w3.eth.get_logs({"address": address, "fromBlock": receipt["blockNumber"], "topics": [STORED_TOPIC]})
    assert [entry["transactionHash"] for entry in logs] == [store["transactionHash"]]
    assert w3.eth.get_logs({"address": address, "fromBlock": 0, "topics": ["0x" + "11" * 32]}) == []
    assert w3.eth.get_logs({"address": Account.create().address, "fromBlock": 0}) == []


def test_native_contract_runs_inside_evm_calls(w3, dev, devnet):
    """A bytecode contract STATICCALLs the native OUSDC: natives work at any call depth."""
    token = bytes.fromhex(constants.OUSDC_ADDRESS[2:])
    receipt = _send(
        w3, dev, {"data": deploy_code(forwarder_runtime(token)), "gas": 200_000, "gasPrice": w3.eth.gas_price}
    )
    forwarder = receipt["contractAddress"]
    ousdc = w3.eth.contract(address=constants.OUSDC_ADDRESS, abi=OUSDC_ABI)
    calldata = ousdc.encode_abi("balanceOf", [dev.address])
    through = int.from_bytes(w3.eth.call({"to": forwarder, "data": calldata}), "big")
    direct = ousdc.functions.balanceOf(dev.address).call()
    assert through == direct > 0
    assert w3.eth.get_code(constants.OUSDC_ADDRESS) == b"\xfe"  # extcodesize > 0


def test_revert_reason_surfaces_as_contract_logic_error(w3, dev):
    ousdc = w3.eth.contract(address=constants.OUSDC_ADDRESS, abi=OUSDC_ABI)
    poor = Account.create()
    with pytest.raises(ContractLogicError, match="transfer amount exceeds balance"):
        ousdc.functions.transfer(dev.address, 1).call({"from": poor.address})
    with pytest.raises(ContractLogicError, match="transfer amount exceeds balance"):
        ousdc.functions.transfer(dev.address, 1).estimate_gas({"from": poor.address})


def test_failed_transaction_is_mined_with_status_zero(w3, dev):
    ousdc = w3.eth.contract(address=constants.OUSDC_ADDRESS, abi=OUSDC_ABI)
    tx = ousdc.functions.transfer(dev.address, 10**30).build_transaction(
        {
            "from": dev.address,
            "gas": 100_000,
            "gasPrice": w3.eth.gas_price,
            "nonce": w3.eth.get_transaction_count(dev.address),
        }
    )
    receipt = _send(w3, dev, tx)
    assert receipt["status"] == 0
    assert receipt["logs"] == []
    assert 21_000 < receipt["gasUsed"] < 100_000  # a revert refunds the unused gas


def test_nonce_errors_are_named(w3, dev):
    nonce = w3.eth.get_transaction_count(dev.address)
    base = {"to": dev.address, "value": 0, "gas": 21_000, "gasPrice": w3.eth.gas_price, "chainId": 107401}
    low = dev.sign_transaction(dict(base, nonce=max(0, nonce - 1)))
    high = dev.sign_transaction(dict(base, nonce=nonce + 5))
    if nonce:
        with pytest.raises(Exception, match="nonce too low"):
            w3.eth.send_raw_transaction(low.raw_transaction)
    with pytest.raises(Exception, match="nonce too high"):
        w3.eth.send_raw_transaction(high.raw_transaction)
    wrong_chain = dev.sign_transaction(dict(base, nonce=nonce, chainId=1))
    with pytest.raises(Exception, match="chain id"):
        w3.eth.send_raw_transaction(wrong_chain.raw_transaction)


def test_pending_nonce_and_unknown_receipt(w3, dev):
    assert w3.eth.get_transaction_count(dev.address, "pending") == w3.eth.get_transaction_count(dev.address)
    missing = "0x" + os.urandom(32).hex()
    from web3.exceptions import TransactionNotFound

    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction_receipt(missing)
    assert w3.provider.make_request("eth_getTransactionReceipt", [missing])["result"] is None
