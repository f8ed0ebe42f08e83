"""The same LLM calls through 1.x's ``og.LLM``, run by ``opengradient`` 1.1.4 (``ref``) or og_tui.sdk.v1.

    python scenario_1x_llm.py ref|ogtui DEVNET_URL PRIVATE_KEY

Prints one JSON line: for each call (chat in both settlement modes, completion, tools,
``response_format`` json_schema, a stream, a stream with tools) the result's type, fields and
which optional fields are set. The reference is pointed at the devnet with
``og_tui.devnet.compat.use_devnet`` only and discovers the TEE in the registry; og_tui.sdk.v1
is given the devnet's ``rpc_url`` and discovers it the same way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys

which, url, key = sys.argv[1:4]

if which == "ref":
    import opengradient as og

    from og_tui.devnet.compat import use_devnet

    info = use_devnet(og, url)
    llm = og.LLM(private_key=key)
else:
    import og_tui.sdk.v1 as og
    from og_tui.devnet.compat import devnet_info

    info = devnet_info(url)
    llm = og.LLM(private_key=key, rpc_url=info["rpc_url"])

MODEL = "og-devnet/mini"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_price",
            "description": "Price of a token in USD",
            "parameters": {"type": "object", "properties": {"symbol": {"type": "string"}}, "required": ["symbol"]},
        },
    }
]
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
    "required": ["city", "days"],
    "additionalProperties": False,
}
MSGS = [{"role": "user", "content": "Tell me about trusted execution."}]
TOOL_MSGS = [{"role": "user", "content": "What is the price of ETH?"}]


def result(r):
    fields = {f.name for f in dataclasses.fields(r)}
    out = {
        "type": type(r).__name__,
        "fields": sorted(fields),
        "set": sorted(n for n in fields if getattr(r, n) not in (None, "", [], {})),
        "content": (r.chat_output or {}).get("content") if r.chat_output else r.completion_output,
        "tool_calls": [
            [c["function"]["name"], json.loads(c["function"]["arguments"])]
            for c in ((r.chat_output or {}).get("tool_calls") or [])
        ],
        "finish": r.finish_reason,
        "usage": r.usage,
        "tee_id": r.tee_id,
        "endpoint": r.tee_endpoint,
        "payment_address": r.tee_payment_address,
        "timestamp_type": type(r.tee_timestamp).__name__,
        "tx": r.data_settlement_transaction_hash,
        "blob": r.data_settlement_blob_id,
    }
    check = getattr(r, "tee_verification", None)
    if check is not None:
        out["verified"] = [check.verified, check.reason]
    return out


async def stream(**kwargs):
    chunks = [c async for c in await llm.chat(model=MODEL, stream=True, **kwargs)]
    finals = [c for c in chunks if c.is_final]
    last = finals[-1] if finals else None
    out = {
        "types": sorted({type(c).__name__ for c in chunks}),
        "text": "".join(c.choices[0].delta.content or "" for c in chunks if c.choices),
        "finals": len(finals),
        "tool_calls": [
            [tc["function"]["name"], json.loads(tc["function"]["arguments"])]
            for c in chunks
            for ch in c.choices
            for tc in (ch.delta.tool_calls or [])
        ],
    }
    if last is not None:
        out["final_set"] = sorted(
            f.name for f in dataclasses.fields(last) if getattr(last, f.name) not in (None, "", [], {})
        )
        out["final"] = {
            "tee_id": last.tee_id,
            "endpoint": last.tee_endpoint,
            "signed": bool(last.tee_signature),
            "usage": dataclasses.asdict(last.usage) if last.usage else None,
            "finish": [c.finish_reason for c in last.choices],
        }
        check = getattr(last, "tee_verification", None)
        if check is not None:
            out["verified"] = [check.verified, check.reason]
    return out


async def main():
    out = {"approval": dataclasses.asdict(llm.ensure_opg_approval(min_allowance=1))}
    out["approval_again"] = dataclasses.asdict(llm.ensure_opg_approval(min_allowance=1))
    for mode in (og.x402SettlementMode.PRIVATE, og.x402SettlementMode.BATCH_HASHED):
        out[mode.value] = result(await llm.chat(model=MODEL, messages=MSGS, max_tokens=30, x402_settlement_mode=mode))
    out["completion"] = result(await llm.completion(model=MODEL, prompt="Say hi", max_tokens=10))
    out["tools"] = result(await llm.chat(model=MODEL, messages=TOOL_MSGS, max_tokens=50, tools=TOOLS))
    fmt = og.ResponseFormat(type="json_schema", json_schema={"name": "trip", "strict": True, "schema": SCHEMA})
    out["structured"] = result(await llm.chat(model=MODEL, messages=MSGS, max_tokens=60, response_format=fmt))
    out["stream"] = await stream(messages=MSGS, max_tokens=30)
    out["stream_tools"] = await stream(messages=TOOL_MSGS, max_tokens=50, tools=TOOLS)
    await llm.close()
    print(json.dumps(out))


asyncio.run(main())
