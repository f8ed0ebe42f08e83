"""One SDK scenario, run by the reference SDK (``ref``) or by og_tui.sdk (``ogtui``) against a devnet.

    python scenario.py ref|ogtui DEVNET_URL EMAIL PASSWORD PRIVATE_KEY WORKDIR

Prints one JSON line: each section's normalized result, or ``{"error": "..."}``. The
reference runs in its own environment (``opengradient==0.5.13``) and is pointed at the
devnet with ``og_tui.devnet.compat.use_devnet`` only; og_tui.sdk with ``init(rpc_url=...)``.
The script itself is the same for both: only the import and the set-up line differ.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import numpy as np
from scenario_common import norm, sections

which, url, email, password, key, workdir = sys.argv[1:7]

if which == "ref":
    import opengradient as og
    from opengradient import exceptions as og_exceptions
    from opengradient.x402_auth import X402Auth

    from og_tui.devnet.compat import use_devnet

    use_devnet(og, url)
    client = og.init(email, password, key)
else:
    import og_tui.sdk as og
    from og_tui.sdk import exceptions as og_exceptions
    from og_tui.sdk.x402_auth import X402Auth

    client = og.init(email, password, key, rpc_url=f"{url}/rpc")

from og_tui.devnet.compat import devnet_info  # noqa: E402 - stdlib-only helper

INFO = devnet_info(url)
out: dict = {}


section = sections(out)


def cid_of(model, version="0.01"):
    files = og.list_files(model, version)
    return next(f["ipfsCid"] for f in files if f["name"].endswith(".onnx"))


# --- hub ------------------------------------------------------------------------------------
MODEL = f"compat-{which}-{os.getpid()}"
onnx_path = os.path.join(workdir, "model.onnx")


@section("hub")
def _hub():
    repo = og.create_model(MODEL, "compat scenario")
    version = og.create_version(MODEL, "second")
    up = og.upload(onnx_path, MODEL, version["versionString"])
    files = og.list_files(MODEL, version["versionString"])
    return {
        "repo": {"name": repo.name.replace(MODEL, "<model>"), "initialVersion": repo.initialVersion},
        "version": version,
        "upload": {"cid_len": len(up.modelCid), "size": up.size},
        "files": [{k: f[k] for k in ("name", "size", "ipfsCid") if k in f} for f in files],
        "types": [type(repo).__name__, type(up).__name__],
    }


# --- inference ------------------------------------------------------------------------------
@section("infer_vanilla")
def _vanilla():
    r = og.infer(
        cid_of("linear-regression"),
        og.InferenceMode.VANILLA,
        {"input": np.arange(12, dtype=np.float32).reshape(1, 3, 4)},
    )
    return {"tx_len": len(r.transaction_hash), "output": r.model_output, "type": type(r).__name__}


@section("infer_tee")
def _tee():
    r = og.infer(cid_of("weather-advice"), og.InferenceMode.TEE, {"weather": ["rainy", "sunny"]})
    return {"tx_len": len(r.transaction_hash), "keys": sorted(r.model_output), "advice": r.model_output["advice"]}


@section("infer_zkml")
def _zkml():
    try:
        og.infer(cid_of("linear-regression"), og.InferenceMode.ZKML, {"input": np.zeros((1, 3, 4), dtype=np.float32)})
    except og_exceptions.OpenGradientError as exc:
        return {"refused": "cannot produce ZKML proofs" in str(exc), "class": "OpenGradientError"}
    except Exception as exc:
        return {"refused": "cannot produce ZKML proofs" in str(exc), "class": type(exc).__name__}
    return {"refused": False}


# --- LLM ------------------------------------------------------------------------------------
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
MODEL_ID = og.LLM.GPT_4O
TEE_ID = og.TEE_LLM.GPT_4O


def text_out(r):
    return {
        "type": type(r).__name__,
        "tx": "external" if r.transaction_hash == "external" else len(r.transaction_hash),
        "finish_reason": r.finish_reason,
        "chat_output": r.chat_output,
        "completion_output": r.completion_output,
        "payment_hash": None if r.payment_hash is None else bool(r.payment_hash),
    }


@section("llm_completion_chain")
def _completion_chain():
    return text_out(og.llm_completion(MODEL_ID, "Say hello", max_tokens=30))


@section("llm_chat_chain")
def _chat_chain():
    return text_out(og.llm_chat(MODEL_ID, [{"role": "user", "content": "Say hello"}], max_tokens=30))


@section("llm_chat_chain_tools")
def _chat_chain_tools():
    r = og.llm_chat(MODEL_ID, [{"role": "user", "content": "What is the price of ETH?"}], tools=TOOLS, max_tokens=50)
    out = text_out(r)
    calls = out["chat_output"].get("tool_calls") or []
    out["chat_output"] = dict(
        out["chat_output"], tool_calls=[{"name": c.get("name"), "arguments": json.loads(c["arguments"])} for c in calls]
    )
    return out


@section("llm_chat_chain_stream")
def _chat_chain_stream():
    r = og.llm_chat(MODEL_ID, [{"role": "user", "content": "Say hello"}], max_tokens=30, stream=True)
    return text_out(r)


@section("llm_completion_tee")
def _completion_tee():
    return text_out(og.llm_completion(TEE_ID, "Say hello", inference_mode=og.LlmInferenceMode.TEE, max_tokens=30))


for _mode in og.x402SettlementMode:

    @section(f"llm_chat_tee_{_mode.value}")
    def _chat_tee(mode=_mode):
        return text_out(
            og.llm_chat(
                TEE_ID,
                [{"role": "user", "content": "Say hello"}],
                max_tokens=30,
                inference_mode=og.LlmInferenceMode.TEE,
                x402_settlement_mode=mode,
            )
        )


@section("llm_chat_tee_tools")
def _chat_tee_tools():
    r = og.llm_chat(
        TEE_ID,
        [{"role": "user", "content": "What is the price of ETH?"}],
        tools=TOOLS,
        max_tokens=50,
        inference_mode=og.LlmInferenceMode.TEE,
    )
    out = text_out(r)
    calls = out["chat_output"].get("tool_calls") or []
    out["chat_output"] = dict(
        out["chat_output"],
        tool_calls=[
            {"type": c.get("type"), "name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}
            for c in calls
        ],
    )
    return out


@section("llm_chat_tee_stream")
def _chat_tee_stream():
    chunks = list(
        og.llm_chat(
            TEE_ID,
            [{"role": "user", "content": "Say hello"}],
            max_tokens=30,
            inference_mode=og.LlmInferenceMode.TEE,
            stream=True,
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return {
        "n_chunks_gt_1": len(chunks) > 1,
        "text": text,
        "final": chunks[-1].is_final,
        "chunk_type": type(chunks[0]).__name__,
    }


# --- x402_auth --------------------------------------------------------------------------------
@section("x402_auth")
def _x402_auth():
    import httpx

    async def go():
        auth = X402Auth(
            account=client._wallet_account if which == "ref" else client.account,
            network_filter="og-evm",
            scheme_filter="exact",
        )
        async with httpx.AsyncClient(base_url=INFO["llm_url"], auth=auth, timeout=60) as http:
            resp = await http.post(
                "/v1/chat/completions",
                json={"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 20},
                headers={"X-SETTLEMENT-TYPE": "settle"},
            )
            body = resp.json()
            return {
                "status": resp.status_code,
                "content": body["choices"][0]["message"]["content"],
                "paid": "x-payment-response" in resp.headers,
            }

    return asyncio.run(go())


# --- alpha ----------------------------------------------------------------------------------
@section("alpha")
def _alpha():
    query = og.HistoricalInputQuery(
        base="ETH",
        quote="USD",
        total_candles=10,
        candle_duration_in_mins=60,
        order=og.CandleOrder.ASCENDING,
        candle_types=[og.CandleType.OPEN, og.CandleType.HIGH, og.CandleType.LOW, og.CandleType.CLOSE],
    )
    address = og.alpha.new_workflow(
        cid_of("price-forecast-1h"), query, "open_high_low_close", og.SchedulerParams(frequency=60, duration_hours=1)
    )
    ran = og.alpha.run_workflow(address)
    latest = og.alpha.read_workflow_result(address)
    history = og.alpha.read_workflow_history(address, 5)
    return {
        "address_len": len(address),
        "run": ran,
        "latest_equals_run": norm(latest) == norm(ran),
        "history_len_ge_1": len(history) >= 1,
        "history_type": type(history[0]).__name__,
    }


WORKFLOW_FUNCTIONS = [
    "read_eth_usdt_one_hour_volatility_forecast",
    "read_btc_1_hour_price_forecast",
    "read_eth_1_hour_price_forecast",
    "read_sol_1_hour_price_forecast",
    "read_sui_1_hour_price_forecast",
    "read_sui_usdt_30_min_price_forecast",
    "read_sui_usdt_6_hour_price_forecast",
]


@section("workflow_models")
def _workflow_models():
    if which == "ref":
        from opengradient import workflow_models as wm
    else:
        from og_tui.sdk import workflow_models as wm
    results = {}
    for name in WORKFLOW_FUNCTIONS:
        r = getattr(wm, name)()
        results[name] = {"type": type(r).__name__, "result": r.result}
    return results


@section("alphasense")
def _alphasense():
    from pydantic import BaseModel, Field

    if which == "ref":
        from opengradient.alphasense import ToolType, create_read_workflow_tool, create_run_model_tool
    else:
        from og_tui.sdk.alphasense import ToolType, create_read_workflow_tool, create_run_model_tool

    class Args(BaseModel):
        scale: float = Field(description="multiplier")

    cid = cid_of("linear-regression")
    run_tool = create_run_model_tool(
        ToolType.LANGCHAIN,
        cid,
        "linear",
        lambda **kw: {"input": np.full((1, 3, 4), kw["scale"], dtype=np.float32)},
        lambda result: f"{float(np.asarray(result.model_output['output']).ravel()[0]):.4f}",
        tool_input_schema=Args,
        tool_description="run the linear model",
    )
    read_tool = create_read_workflow_tool(
        ToolType.LANGCHAIN,
        "0xD5629A5b95dde11e4B5772B5Ad8a13B933e33845",
        "eth_volatility",
        "ETH/USDT one hour volatility forecast",
        lambda m: f"{float(np.asarray(m.numbers['Y']).ravel()[0]):.6f}",
    )
    swarm = create_run_model_tool(
        ToolType.SWARM,
        cid,
        "linear_swarm",
        lambda **kw: {"input": np.full((1, 3, 4), kw["scale"], dtype=np.float32)},
        lambda result: f"{float(np.asarray(result.model_output['output']).ravel()[0]):.4f}",
        tool_input_schema=Args,
        tool_description="run the linear model",
    )
    return {
        "run": run_tool.invoke({"scale": 1.0}),
        "read_is_number": float(read_tool.invoke({})) > 0,
        "names": [run_tool.name, read_tool.name, swarm.__name__],
        "swarm": swarm(scale=1.0),
    }


@section("langchain")
def _langchain():
    from langchain_core.messages import HumanMessage

    chat = og.llm.langchain_adapter(key, MODEL_ID, max_tokens=50)
    reply = chat.invoke([HumanMessage(content="Say hello")])
    chat.bind_tools(TOOLS)
    tool_reply = chat.invoke([HumanMessage(content="What is the price of ETH?")])
    return {
        "type": type(reply).__name__,
        "content": reply.content,
        "tool_calls": [{"name": c["name"], "args": c["args"]} for c in tool_reply.tool_calls],
    }


# --- a Client object ------------------------------------------------------------------------
@section("client")
def _client():
    c = (
        og.new_client(email, password, key)
        if which == "ref"
        else og.new_client(email, password, key, rpc_url=f"{url}/rpc")
    )
    chat = c.llm_chat(MODEL_ID, [{"role": "user", "content": "Say hello"}], max_tokens=30)
    tee = c.llm_completion(TEE_ID, "Say hello", max_tokens=20, inference_mode=og.LlmInferenceMode.TEE)
    repo = c.create_model(f"{MODEL}-client", "made by a client object", "2.00")
    version = c.create_version(repo.name, "notes", True)
    files = c.list_files("linear-regression", "0.01")
    r = c.infer(files[0]["ipfsCid"], og.InferenceMode.VANILLA, {"input": np.ones((1, 3, 4), dtype=np.float32)})
    wf = c.alpha.read_workflow_result("0xD5629A5b95dde11e4B5772B5Ad8a13B933e33845")
    return {
        "type": type(c).__name__,
        "chat": text_out(chat),
        "tee": text_out(tee),
        "repo": [repo.name.replace(MODEL, "<model>"), repo.initialVersion],
        "version": version,
        "infer": r.model_output,
        "workflow": {"type": type(wf).__name__, "numbers": sorted(wf.numbers)},
    }


# --- exceptions -------------------------------------------------------------------------------
@section("exceptions")
def _exceptions():
    try:
        og.list_files("no-such-model-anywhere", "0.01")
    except og_exceptions.OpenGradientError as exc:
        return {"caught": "OpenGradientError", "has_status": hasattr(exc, "status_code")}
    return {"caught": None}


print(json.dumps(out))
