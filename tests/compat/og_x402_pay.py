"""Run by the compat test with the scratch venv's Python (og-x402 of opengradient 1.1.4 installed):
pay one devnet chat request with the library's own x402 v2 client and print what came back.

    python og_x402_pay.py URL CHAIN_ID PRIVATE_KEY SCHEME MODE
"""

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
