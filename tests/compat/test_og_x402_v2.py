"""The real og-x402 client (the x402 library opengradient 1.1.4 pays with) pays the devnet over
x402 v2, upto and exact, in both settlement modes. (1.1.4's own ``og.LLM`` doing the same through
``use_devnet``: test_reference_sdk_1x_llm.py.)

Runs in the reference 1.x environment (``.venv-ref1``, built by ``make test``).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess

import pytest
from eth_account import Account

from og_tui.core import constants
from og_tui.core.chain import ChainClient
from og_tui.core.opg_allowance import approve, plan_approval

from .refenv import reference_python

pytestmark = pytest.mark.e2e

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


def _run(devnet, key, scheme, mode):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(
        [reference_python(generation=1), "-c", SCRIPT, devnet.url, str(constants.DEVNET_CHAIN_ID), key, scheme, mode],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


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
