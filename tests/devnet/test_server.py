"""The devnet process: health, info, faucet, port conflicts and restarts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from og_tui.core import constants
from tests.devnet.helpers import OUSDC_ABI

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_health_and_info(devnet):
    import json
    import urllib.request

    with urllib.request.urlopen(devnet.url + "/health") as resp:
        health = json.loads(resp.read())
    assert health["status"] == "ok" and health["chain_id"] == 107401 and isinstance(health["block"], int)
    info = devnet.info
    assert info["chain_id"] == 107401 and info["x402_network"] == "og-devnet"
    assert info["base_url"] == devnet.url and info["rpc_url"] == devnet.url + "/rpc"
    assert info["hub_url"] == devnet.url + "/api/v0" and info["auth_url"] == devnet.url + "/auth"
    assert info["llm_url"] == devnet.url == info["api_url"]
    assert info["contracts"] == {
        "inference_hub": constants.INFERENCE_HUB_ADDRESS,
        "inference_precompile": constants.INFERENCE_PRECOMPILE_ADDRESS,
        "price_feed_precompile": constants.PRICE_FEED_PRECOMPILE_ADDRESS,
        "scheduler": constants.SCHEDULER_ADDRESS,
        "tee_registry": constants.TEE_REGISTRY_ADDRESS,
        "payment_token": constants.OUSDC_ADDRESS,
        "opg_token": constants.OPG_DEVNET_ADDRESS,
        "permit2": constants.PERMIT2_ADDRESS,
        "x402_exact_permit2_proxy": constants.X402_EXACT_PERMIT2_PROXY_ADDRESS,
        "x402_upto_permit2_proxy": constants.X402_UPTO_PERMIT2_PROXY_ADDRESS,
    }
    assert info["payment_token"] == {
        "address": constants.OUSDC_ADDRESS,
        "name": "OUSDC",
        "version": "2",
        "decimals": 6,
        "symbol": "OUSDC",
    }
    assert len(info["dev_accounts"]) == 10
    assert set(info["faucet"]) == {"native_wei", "token_units", "opg_units"}
    # the start-up banner shows the URL, chain id, data dir and the dev keys (labelled devnet-only)
    log = devnet.log_text()
    assert devnet.url in log and "107401" in log and str(devnet.data_dir) in log
    assert info["dev_accounts"][0]["private_key"] in log and "DEVNET-ONLY" in log


def test_faucet_funds_native_and_token_with_mined_transactions(devnet):
    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    token = w3.eth.contract(address=constants.OUSDC_ADDRESS, abi=OUSDC_ABI)
    user = Account.create().address
    status, body = devnet.post("/faucet", {"address": user})
    assert status == 200
    assert body["address"] == user
    assert body["native_wei"] == devnet.info["faucet"]["native_wei"] > 0
    assert body["token_units"] == devnet.info["faucet"]["token_units"] > 0
    assert w3.eth.get_balance(user) == body["native_wei"]
    assert token.functions.balanceOf(user).call() == body["token_units"]
    native = w3.eth.get_transaction_receipt(body["native_tx"])
    minted = w3.eth.get_transaction_receipt(body["token_tx"])
    assert native["status"] == minted["status"] == 1
    assert native["to"] == user and native["from"] == minted["from"]
    assert native["from"] not in {a["address"] for a in devnet.info["dev_accounts"]}
    assert token.events.Transfer().process_receipt(minted)[0].args["to"] == user
    # a second request adds up
    devnet.post("/faucet", {"address": user.lower()})
    assert token.functions.balanceOf(user).call() == 2 * body["token_units"]


@pytest.mark.parametrize(
    "payload, fragment",
    [
        ({"address": "0x1234"}, "not an address"),
        ({"address": "0x000000000000000000000000000000000000deaD"}, "checksum mismatch"),
        ({}, "address is required"),
        ({"address": 12}, "address is required"),
    ],
)
def test_faucet_rejects_bad_addresses(devnet, payload, fragment):
    status, body = devnet.post("/faucet", payload)
    assert status == 400
    assert fragment in body["error"]


def test_port_taken_gives_a_clear_error(devnet, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "og_tui", "devnet", "--port", str(devnet.port), "--data-dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert str(devnet.port) in message and "already in use" in message and "--port" in message


def test_restart_keeps_state(fresh_devnet):
    dn = fresh_devnet
    w3 = Web3(Web3.HTTPProvider(dn.rpc_url))
    token = w3.eth.contract(address=constants.OUSDC_ADDRESS, abi=OUSDC_ABI)
    sender = Account.from_key(dn.info["dev_accounts"][1]["private_key"])
    user = Account.create().address
    tx = {"to": user, "value": 3 * 10**17, "gas": 21_000, "gasPrice": w3.eth.gas_price, "nonce": 0, "chainId": 107401}
    transfer_hash = w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
    status, faucet = dn.post("/faucet", {"address": user})
    assert status == 200
    token_tx = token.functions.transfer(user, 4_321).build_transaction(
        {"from": sender.address, "nonce": 1, "gasPrice": w3.eth.gas_price, "gas": 100_000}
    )
    token_hash = w3.eth.send_raw_transaction(sender.sign_transaction(token_tx).raw_transaction)
    before = {
        "block": w3.eth.block_number,
        "head": w3.eth.get_block("latest")["hash"],
        "native": w3.eth.get_balance(user),
        "sender": w3.eth.get_balance(sender.address),
        "nonce": w3.eth.get_transaction_count(sender.address),
        "token": token.functions.balanceOf(user).call(),
        "receipt": dict(w3.eth.get_transaction_receipt(token_hash)),
        "logs": w3.eth.get_logs({"address": constants.OUSDC_ADDRESS, "fromBlock": 0}),
    }
    assert before["nonce"] == 2 and before["token"] == faucet["token_units"] + 4_321

    dn.restart()
    w3 = Web3(Web3.HTTPProvider(dn.rpc_url))
    token = w3.eth.contract(address=constants.OUSDC_ADDRESS, abi=OUSDC_ABI)
    # the seeded workflows keep running on their schedule, so the chain may already have
    # grown: what must hold is that the old chain is intact
    assert w3.eth.block_number >= before["block"]
    assert w3.eth.get_block(before["block"])["hash"] == before["head"]
    assert w3.eth.get_balance(user) == before["native"]
    assert w3.eth.get_balance(sender.address) == before["sender"]
    assert w3.eth.get_transaction_count(sender.address) == before["nonce"]
    assert token.functions.balanceOf(user).call() == before["token"]
    assert dict(w3.eth.get_transaction_receipt(token_hash)) == before["receipt"]
    assert w3.eth.get_transaction_receipt(transfer_hash)["status"] == 1
    assert (
        w3.eth.get_logs({"address": constants.OUSDC_ADDRESS, "fromBlock": 0, "toBlock": before["block"]})
        == before["logs"]
    )
    assert dn.info["dev_accounts"] == dn.info["dev_accounts"]
    # and the chain goes on from there (nonce 2 is next; the faucet account still works)
    tx = dict(tx, nonce=2, gasPrice=w3.eth.gas_price)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction), timeout=10
    )
    assert receipt["blockNumber"] > before["block"] and receipt["status"] == 1
    assert dn.post("/faucet", {"address": user})[0] == 200


def test_restart_answers_before_its_services_and_they_follow(fresh_devnet):
    """An existing chain answers at once; the hub, the LLM routes and the price feed are served once loaded."""
    import json
    import urllib.request

    dn = fresh_devnet
    dn.restart()
    with urllib.request.urlopen(dn.url + "/health") as resp:
        health = json.loads(resp.read())
    assert health["status"] == "ok" and health["services"] in ("starting", "ready")
    # these wait for the services rather than failing while they load
    status, body = dn.post(
        "/rpc",
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_call",
            "params": [{"to": constants.PRICE_FEED_PRECOMPILE_ADDRESS, "data": "0x"}],
        },
    )
    assert status == 200 and "price feed" in body["error"]["message"]  # the feed's own answer, not the placeholder code
    with urllib.request.urlopen(dn.url + "/api/v0/models?limit=100") as resp:
        names = {m["name"] for m in json.loads(resp.read())["models"]}
    assert "iris-classifier" in names
    with urllib.request.urlopen(dn.url + "/v1/models") as resp:
        assert json.loads(resp.read())["data"]
    with urllib.request.urlopen(dn.url + "/health") as resp:
        assert json.loads(resp.read())["services"] == "ready"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(dn.url + "/no-such-route")
    assert err.value.code == 404


def test_services_that_cannot_start_stop_the_devnet_with_a_message(fresh_devnet):
    """The hub's database unusable on an existing chain: the devnet still exits 1 with the reason in its log."""
    dn = fresh_devnet
    dn.stop()
    hub_db = dn.data_dir / "hub" / "hub.sqlite3"
    hub_db.unlink()
    hub_db.mkdir()  # a directory where the database file should be: SQLite cannot open it
    result = subprocess.run(
        [sys.executable, "-m", "og_tui", "devnet", "--port", str(dn.port), "--data-dir", str(dn.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1
    assert "could not start its services" in result.stderr
    assert "key 0x" not in result.stderr  # the traceback shows no keys
