"""The real og-x402 client (the x402 library of opengradient 1.1.4), and 1.1.4's own ``og.LLM``,
pay the devnet over x402 v2.

It runs in a separate virtualenv (opengradient 1.1.4 conflicts with the 0.5.13 reference env):
``python3 -m venv V && V/bin/pip install opengradient==1.1.4``, then point
``OG_TUI_OG11_PYTHON`` at ``V/bin/python``. Without that interpreter the test is skipped.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest
from eth_account import Account

from og_tui.core import constants
from og_tui.core.chain import ChainClient
from og_tui.core.x402_v2 import approve, plan_approval

pytestmark = pytest.mark.e2e

PYTHON = os.environ.get("OG_TUI_OG11_PYTHON", "/work/venv-og11-x402v2/bin/python")
# run with the scratch venv's Python: pay one devnet chat request with og-x402's own v2 client
# (argv: URL CHAIN_ID PRIVATE_KEY SCHEME MODE) and print what came back
SCRIPT = """
import asyncio
import json
import sys

from eth_account import Account
from x402 import x402Client
from x402.http.clients import x402HttpxClient
from x402.mechanisms.evm import EthAccountSigner
from x402.mechanisms.evm.exact.register import register_exact_evm_client
from x402.mechanisms.evm.upto.register import register_upto_evm_client


async def main(url: str, chain_id: str, key: str, scheme: str, mode: str) -> None:
    signer = EthAccountSigner(Account.from_key(key))
    client = x402Client()
    network = f"eip155:{chain_id}"
    if scheme == "upto":
        register_upto_evm_client(client, signer, networks=[network])
    else:
        register_exact_evm_client(client, signer, networks=[network])
    body = {
        "model": "og-devnet/mini",
        "messages": [{"role": "user", "content": "hello from og-x402"}],
        "max_tokens": 30,
    }
    headers = {"Content-Type": "application/json", "X-SETTLEMENT-TYPE": mode}
    async with x402HttpxClient(client) as http:
        resp = await http.post(url + "/v1/chat/completions", json=body, headers=headers, timeout=60)
        out = {"status": resp.status_code, "headers": dict(resp.headers), "body": resp.json()}
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
"""
TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def _has_og_x402() -> bool:
    if not Path(PYTHON).exists():
        return False
    probe = subprocess.run([PYTHON, "-c", "import x402.mechanisms.evm.upto"], capture_output=True, timeout=60)
    return probe.returncode == 0


needs_og_x402 = pytest.mark.skipif(
    not _has_og_x402(), reason=f"no og-x402 interpreter at {PYTHON} (OG_TUI_OG11_PYTHON)"
)


def _run(devnet, key, scheme, mode):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(
        [PYTHON, "-c", SCRIPT, devnet.url, str(constants.DEVNET_CHAIN_ID), key, scheme, mode],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@needs_og_x402
@pytest.mark.parametrize("scheme,mode", [("upto", "private"), ("exact", "batch")])
def test_og_x402_client_pays_the_devnet(devnet, scheme, mode):
    acct = Account.create()
    assert devnet.post("/faucet", {"address": acct.address})[0] == 200
    with ChainClient(devnet.rpc_url) as chain:
        if scheme == "upto":
            approve(chain, acct, plan_approval(chain, acct.address, 10**18))
        out = _run(devnet, acct.key.hex(), scheme, mode)
        assert out["status"] == 200, out
        assert out["body"]["choices"][0]["message"]["content"]
        headers = out["headers"]
        response = json.loads(base64.b64decode(headers["payment-response"]))
        assert response["success"] is True and response["network"] == f"eip155:{constants.DEVNET_CHAIN_ID}"
        if mode == "private":
            receipt = chain.wait_receipt(headers["x-settlement-tx-hash"])
            moved = [
                int(lg["data"], 16)
                for lg in receipt["logs"]
                if lg["topics"][0] == TRANSFER and lg["topics"][1][-40:] == acct.address[2:].lower()
            ]
            assert moved == [int(response["amount"])] and moved[0] > 0
        else:
            assert headers["x-settlement-walrus-blob-id"] and "x-settlement-tx-hash" not in headers


# opengradient 1.1.4's og.LLM with its three Base-mainnet constants pointed at the devnet
# (argv: URL CHAIN_ID PRIVATE_KEY OPG_ADDRESS)
SDK_SCRIPT = """
import asyncio, json, sys
import opengradient as og
from opengradient.client import llm as L, opg_token as T

url, chain_id, key, opg = sys.argv[1:5]
L.BASE_MAINNET_NETWORK = "eip155:" + chain_id
T.BASE_OPG_ADDRESS = opg
T.BASE_MAINNET_RPC = url + "/rpc"


async def main():
    llm = og.LLM.from_url(private_key=key, llm_server_url=url)
    approval = llm.ensure_opg_approval(min_allowance=1)
    out = {"approved": approval.allowance_after}
    for mode in (og.x402SettlementMode.PRIVATE, og.x402SettlementMode.BATCH_HASHED):
        r = await llm.chat(model="og-devnet/mini", messages=[{"role": "user", "content": "hi"}], max_tokens=20,
                           x402_settlement_mode=mode)
        out[mode.value] = {"content": r.chat_output.get("content"), "tx": r.data_settlement_transaction_hash,
                           "blob": r.data_settlement_blob_id, "usage": r.usage}
    stream = await llm.chat(model="og-devnet/mini", messages=[{"role": "user", "content": "hi"}], max_tokens=20, stream=True)
    out["stream"] = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    await llm.close()
    print(json.dumps(out))


asyncio.run(main())
"""


def _has_opengradient() -> bool:
    if not _has_og_x402():
        return False
    return subprocess.run([PYTHON, "-c", "import opengradient"], capture_output=True, timeout=120).returncode == 0


@pytest.mark.skipif(not _has_opengradient(), reason=f"no opengradient 1.1.4 at {PYTHON} (OG_TUI_OG11_PYTHON)")
def test_opengradient_114_llm_chats_over_v2_in_both_settlement_modes(devnet):
    acct = Account.create()
    assert devnet.post("/faucet", {"address": acct.address})[0] == 200
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    args = [devnet.url, str(constants.DEVNET_CHAIN_ID), acct.key.hex(), constants.OPG_DEVNET_ADDRESS]
    proc = subprocess.run([PYTHON, "-c", SDK_SCRIPT, *args], capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["approved"] >= 10**18  # ensure_opg_approval approved Permit2 on the devnet's OPG
    assert out["private"]["content"] and out["private"]["tx"] and out["private"]["blob"] is None
    assert out["batch"]["content"] and out["batch"]["blob"] and out["batch"]["tx"] is None
    assert out["private"]["usage"]["completion_tokens"] > 0 and out["stream"]
    with ChainClient(devnet.rpc_url) as chain:
        assert chain.wait_receipt(out["private"]["tx"])["status"] == "0x1"
