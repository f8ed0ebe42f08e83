"""opengradient 1.x's own ``og.LLM`` against a devnet, pointed there with ``use_devnet`` only: it
finds the devnet's TEE in the on-chain registry, pins its certificate, approves OPG for Permit2,
pays over x402 v2 in both settlement modes, streams, calls tools, gets structured output, and
every reply carries the TEE fields, signed by the registered TEE.

Runs in the reference 1.x environment (``.venv-ref1``, built by ``make test``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from eth_account import Account

from og_tui.core.chain import ChainClient

from .refenv import reference_python

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import asyncio, json, sys
import opengradient as og
from og_tui.devnet.compat import use_devnet

url, key = sys.argv[1:3]
info = use_devnet(og, url)

TOOLS = [{"type": "function", "function": {"name": "get_price", "description": "Price of a token in USD",
          "parameters": {"type": "object", "properties": {"symbol": {"type": "string"}}, "required": ["symbol"]}}}]
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
          "required": ["city", "days"], "additionalProperties": False}


def fields(r):
    return {"content": (r.chat_output or {}).get("content") if r.chat_output else r.completion_output,
            "tool_calls": (r.chat_output or {}).get("tool_calls"), "tx": r.data_settlement_transaction_hash,
            "blob": r.data_settlement_blob_id, "usage": r.usage, "tee_id": r.tee_id,
            "signed": bool(r.tee_signature), "endpoint": r.tee_endpoint, "finish": r.finish_reason}


async def main():
    llm = og.LLM(private_key=key)          # the registry constructor: no URL given
    out = {"approved": llm.ensure_opg_approval(min_allowance=1).allowance_after}
    msgs = [{"role": "user", "content": "hello"}]
    for mode in (og.x402SettlementMode.PRIVATE, og.x402SettlementMode.BATCH_HASHED):
        out[mode.value] = fields(await llm.chat(model="og-devnet/mini", messages=msgs, max_tokens=20,
                                                x402_settlement_mode=mode))
    out["completion"] = fields(await llm.completion(model="og-devnet/mini", prompt="Say hi", max_tokens=10))
    out["tools"] = fields(await llm.chat(model="og-devnet/mini", max_tokens=50, tools=TOOLS,
                                         messages=[{"role": "user", "content": "What is the price of ETH?"}]))
    fmt = og.ResponseFormat(type="json_schema", json_schema={"name": "trip", "strict": True, "schema": SCHEMA})
    out["structured"] = fields(await llm.chat(model="og-devnet/mini", messages=msgs, max_tokens=60,
                                              response_format=fmt))
    stream = await llm.chat(model="og-devnet/mini", messages=msgs, max_tokens=20, stream=True)
    out["stream"] = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    await llm.close()
    tees = og.TEERegistry(info["rpc_url"], info["contracts"]["tee_registry"]).get_active_tees_by_type(0)
    out["registry_ids"] = [t.tee_id for t in tees]
    print(json.dumps(out))


asyncio.run(main())
"""


@pytest.fixture(scope="module")
def result(devnet):
    acct = Account.create()
    assert devnet.post("/faucet", {"address": acct.address})[0] == 200
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV",)}
    env.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [reference_python(generation=1), "-c", SCRIPT, devnet.url, acct.key.hex()],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), devnet


def test_registry_discovery_and_signed_replies(result):
    out, _devnet = result
    assert out["approved"] >= 10**18  # ensure_opg_approval: Permit2 allowed on the devnet's OPG
    ids = out["registry_ids"]
    assert ids
    for name in ("private", "batch", "completion", "tools", "structured"):
        r = out[name]
        assert r["signed"] and r["tee_id"] in ids, (name, r)
        assert r["endpoint"].startswith("https://"), r  # the registry's pinned TLS endpoint
        if name != "completion":  # (1.1.4 keeps no usage for a completion)
            assert r["usage"]["completion_tokens"] > 0, (name, r)


def test_both_settlement_modes_settle_on_the_devnet(result):
    out, devnet = result
    assert out["private"]["content"] and out["private"]["tx"] and out["private"]["blob"] is None
    assert out["batch"]["content"] and out["batch"]["blob"] and out["batch"]["tx"] is None
    with ChainClient(devnet.rpc_url) as chain:
        assert chain.wait_receipt(out["private"]["tx"])["status"] == "0x1"


def test_streaming_tools_and_structured_output(result):
    out, _devnet = result
    assert out["stream"]
    assert out["completion"]["content"]
    calls = out["tools"]["tool_calls"]
    assert calls and calls[0]["function"]["name"] == "get_price"
    assert json.loads(calls[0]["function"]["arguments"]) == {"symbol": "ETH"}
    trip = json.loads(out["structured"]["content"])
    assert set(trip) == {"city", "days"} and isinstance(trip["city"], str) and trip["days"] >= 1
