"""og_tui.sdk.alphasense tools and og_tui.sdk.llm adapters against the real devnet.

The builtin devnet LLM calls the offered tool with arguments generated from its JSON
schema, then reports the tool's result: so a full agent turn is LLM -> tool call ->
real inference transaction -> LLM answer that quotes the formatted output."""

from __future__ import annotations

import inspect
import json
import sys

import pytest

from .conftest import MODEL, VOLATILITY_WORKFLOW

pytestmark = pytest.mark.e2e

QUESTION = "What price does the forecast model predict?"


def _schema():
    from pydantic import BaseModel, Field

    class ForecastArgs(BaseModel):
        scale: float = Field(description="Scale applied to the example candles")

    return ForecastArgs


def _model_tool(og, agent_env, tool_type, txs):
    from og_tui.sdk.alphasense import create_run_model_tool

    def provider(scale: float):
        return {"input": [[[float(scale) * (r + 1) + c for c in range(4)] for r in range(3)]]}

    def formatter(result):
        txs.append(result.transaction_hash)
        return f"forecast={result.model_output['output'].item():.4f}"

    return create_run_model_tool(
        tool_type,
        agent_env.cids["linear-regression"],
        "forecast_model",
        provider,
        formatter,
        _schema(),
        "Predicts the price with the forecast model",
    )


def _mined(agent_env, tx):
    return int(agent_env.receipt(tx)["status"], 16) == 1


# --- alphasense ----------------------------------------------------------------------------------------


def test_tools_need_init_first():
    from og_tui.sdk import _state
    from og_tui.sdk.alphasense import ToolType, create_read_workflow_tool, create_run_model_tool

    _state.set_client(None)
    with pytest.raises(RuntimeError, match="not initialized"):
        create_run_model_tool(ToolType.SWARM, "cid", "t", lambda **k: {}, str)
    with pytest.raises(RuntimeError, match="not initialized"):
        create_read_workflow_tool(ToolType.SWARM, VOLATILITY_WORKFLOW, "t", "d")


def test_swarm_model_tool_runs_inference(sdk, agent_env):
    og, _ = sdk
    from og_tui.sdk.alphasense import ToolType

    txs = []
    fn = _model_tool(og, agent_env, ToolType.SWARM, txs)
    assert fn.__name__ == "forecast_model" and fn.__doc__ == "Predicts the price with the forecast model"
    assert fn.__annotations__ == {"scale": (float, "Scale applied to the example candles")}
    assert list(inspect.signature(fn).parameters) == ["scale"]
    out = fn(scale=2.0)
    assert out.startswith("forecast=") and len(txs) == 1 and _mined(agent_env, txs[0])
    # an input that does not fit the model comes back as text, not an exception
    from og_tui.sdk.alphasense import create_run_model_tool

    bad = create_run_model_tool("swarm", agent_env.cids["linear-regression"], "bad", lambda: {"input": [1.0, 2.0]}, str)
    assert bad().startswith("Error: ")


def test_langchain_model_tool_is_a_structured_tool(sdk, agent_env):
    from langchain_core.tools import StructuredTool

    og, _ = sdk
    from og_tui.sdk.alphasense import ToolType, create_run_model_tool

    txs = []
    tool = _model_tool(og, agent_env, ToolType.LANGCHAIN, txs)
    assert isinstance(tool, StructuredTool)
    assert tool.name == "forecast_model" and tool.args_schema.__name__ == "ForecastArgs"
    assert tool.args == {
        "scale": {"description": "Scale applied to the example candles", "title": "Scale", "type": "number"}
    }
    assert tool.invoke({"scale": 1.5}).startswith("forecast=") and _mined(agent_env, txs[0])
    # no schema -> an empty one
    plain = create_run_model_tool(
        ToolType.LANGCHAIN,
        agent_env.cids["linear-regression"],
        "plain",
        lambda: {"input": [[[0.0] * 4] * 3]},
        lambda r: "ok",
    )
    assert plain.args == {} and plain.invoke({}) == "ok"
    # an og-tui error becomes the tool's output (handle_tool_error), the agent keeps going
    bad = create_run_model_tool(
        ToolType.LANGCHAIN, agent_env.cids["linear-regression"], "bad", lambda: {"input": [1.0, 2.0]}, str
    )
    text = bad.invoke({})
    assert text.startswith("Error: ") and "input" in text


def test_read_workflow_tools(sdk, agent_env):
    og, acct = sdk
    from og_tui.sdk.alphasense import ToolType, create_read_workflow_tool

    fmt = lambda out: f"{out.numbers['Y'].item():.10%}"  # noqa: E731 - the reference's formatter
    fn = create_read_workflow_tool(ToolType.SWARM, VOLATILITY_WORKFLOW, "eth_volatility", "ETH/USDT 1h volatility", fmt)
    assert fn.__name__ == "eth_volatility" and fn.__doc__ == "ETH/USDT 1h volatility"
    assert list(inspect.signature(fn).parameters) == []
    text = fn()
    assert text.endswith("%") and float(text[:-1]) >= 0
    identity = create_read_workflow_tool("swarm", VOLATILITY_WORKFLOW, "raw", "raw output")
    assert "Y" in identity().numbers
    # not a workflow: a clear message for the agent
    bad = create_read_workflow_tool(ToolType.SWARM, acct.address, "bad", "not a workflow")
    assert bad().startswith(f"Error: {acct.address} is not a workflow contract")
    if "langchain_core" in sys.modules or _has("langchain_core"):
        tool = create_read_workflow_tool(ToolType.LANGCHAIN, VOLATILITY_WORKFLOW, "eth_volatility", "vol", fmt)
        assert tool.args == {} and tool.invoke({}).endswith("%")
        bad_lc = create_read_workflow_tool(ToolType.LANGCHAIN, acct.address, "bad", "not a workflow")
        assert "is not a workflow contract" in bad_lc.invoke({})


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# --- LangChain adapter ---------------------------------------------------------------------------------


def test_langchain_agent_turn_with_bind_tools_and_invoke(sdk, agent_env):
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    og, acct = sdk
    from og_tui.sdk.alphasense import ToolType
    from og_tui.sdk.llm import langchain_adapter

    txs = []
    tool = _model_tool(og, agent_env, ToolType.LANGCHAIN, txs)
    chat = langchain_adapter(acct.key.hex(), MODEL)
    assert isinstance(chat, BaseChatModel) and chat._llm_type == "opengradient" and chat.max_tokens == 300
    # endpoints come from og.init(profile="local") on the test devnet, not the public network
    assert chat._llm.profile.rpc_url == agent_env.devnet.rpc_url
    assert chat.bind_tools([tool]) is chat
    assert chat.tools[0]["function"]["name"] == "forecast_model"
    assert chat.tools[0]["function"]["parameters"]["properties"]["scale"]["type"] == "number"

    messages = [SystemMessage("You are a trading assistant."), HumanMessage(QUESTION)]
    ai = chat.invoke(messages)
    assert isinstance(ai, AIMessage) and ai.response_metadata["finish_reason"] == "tool_calls"
    (call,) = ai.tool_calls
    assert call["name"] == "forecast_model" and isinstance(call["args"]["scale"], float)
    assert _mined(agent_env, ai.response_metadata["transaction_hash"])  # VANILLA: the LLM call is on chain
    result = tool.invoke(call["args"])
    assert _mined(agent_env, txs[0])
    messages += [ai, ToolMessage(result, tool_call_id=call["id"])]
    final = chat.invoke(messages)
    assert not final.tool_calls and result in final.content
    assert final.response_metadata["finish_reason"] == "stop"


def test_langchain_adapter_streams(sdk, agent_env):
    from langchain_core.messages import AIMessageChunk, HumanMessage, ToolMessage

    og, acct = sdk
    from og_tui.sdk.alphasense import ToolType
    from og_tui.sdk.llm import langchain_adapter

    txs = []
    tool = _model_tool(og, agent_env, ToolType.LANGCHAIN, txs)
    chat = langchain_adapter(acct.key.hex(), MODEL).bind_tools([tool])
    chunks = list(chat.stream([HumanMessage(QUESTION)]))
    assert chunks and all(isinstance(c, AIMessageChunk) for c in chunks)
    ai = chunks[0]
    for c in chunks[1:]:
        ai = ai + c
    (call,) = ai.tool_calls
    assert call["name"] == "forecast_model"
    result = tool.invoke(call["args"])
    assert _mined(agent_env, txs[0])
    text = "".join(
        c.content for c in chat.stream([HumanMessage(QUESTION), ai, ToolMessage(result, tool_call_id=call["id"])])
    )
    assert result in text

    # TEE over HTTP streams token by token (x402-paid on the devnet gateway)
    tee = langchain_adapter(acct.key.hex(), MODEL, max_tokens=120, mode="TEE")
    parts = list(tee.stream("Say something about the devnet"))
    assert len(parts) > 5 and "".join(p.content for p in parts).strip()
    whole = parts[0]
    for p in parts[1:]:
        whole = whole + p
    assert whole.response_metadata["finish_reason"] in ("stop", "length")
    assert whole.response_metadata["mode"] == "TEE" and whole.response_metadata["cost"] == 120


def test_langchain_messages_conversion():
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    from og_tui.sdk.llm import _langchain_messages, _lc_tool_calls

    msgs = _langchain_messages(
        [
            SystemMessage("sys"),
            HumanMessage("hi"),
            AIMessage("", tool_calls=[{"name": "f", "args": {"x": 1}, "id": "c1"}]),
            ToolMessage("42", tool_call_id="c1"),
        ]
    )
    assert msgs == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}],
        },
        {"role": "tool", "content": "42", "tool_call_id": "c1"},
    ]
    calls, invalid = _lc_tool_calls(
        [{"id": "a", "name": "f", "arguments": '{"x": 2}'}, {"id": "b", "name": "g", "arguments": "not json"}]
    )
    assert calls == [{"name": "f", "args": {"x": 2}, "id": "a", "type": "tool_call"}]
    assert invalid[0]["name"] == "g" and "not a JSON object" in invalid[0]["error"]


# --- OpenAI-style adapter ------------------------------------------------------------------------------


def _openai_tools():
    return [
        {
            "type": "function",
            "function": {
                "name": "forecast_model",
                "description": "Predicts the price with the forecast model",
                "parameters": _schema().model_json_schema(),
            },
        }
    ]


def _run_tool(og, agent_env, args, txs):
    from og_tui.sdk.alphasense import ToolType

    return _model_tool(og, agent_env, ToolType.SWARM, txs)(**args)


@pytest.mark.parametrize("typed", [True, False], ids=["openai-types", "plain-objects"])
def test_openai_adapter_agent_turn(sdk, agent_env, typed):
    og, acct = sdk
    from og_tui.sdk.llm import openai_adapter

    client = openai_adapter(acct.key.hex(), use_openai_types=typed)
    messages = [{"role": "user", "content": QUESTION}]
    resp = client.chat.completions.create(model=MODEL, messages=messages, tools=_openai_tools(), tool_choice="auto")
    if typed:
        from openai.types.chat import ChatCompletion

        assert isinstance(resp, ChatCompletion)
    assert resp.object == "chat.completion" and resp.id.startswith("chatcmpl-") and resp.model == MODEL
    choice = resp.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.role == "assistant"
    (tc,) = choice.message.tool_calls
    assert tc.type == "function" and tc.function.name == "forecast_model"
    args = json.loads(tc.function.arguments)
    assert _mined(agent_env, resp.og["transaction_hash"])
    txs = []
    result = _run_tool(og, agent_env, args, txs)
    assert _mined(agent_env, txs[0])
    # the reply message object goes straight back into the conversation, as with openai
    messages += [choice.message, {"role": "tool", "tool_call_id": tc.id, "content": result}]
    final = client.chat.completions.create(model=MODEL, messages=messages, tools=_openai_tools())
    assert final.choices[0].finish_reason == "stop" and not final.choices[0].message.tool_calls
    assert result in final.choices[0].message.content
    dumped = final.model_dump()
    assert dumped["choices"][0]["message"]["content"] == final.choices[0].message.content


@pytest.mark.parametrize("typed", [True, False], ids=["openai-types", "plain-objects"])
def test_openai_adapter_streaming_agent_turn(sdk, agent_env, typed):
    og, acct = sdk
    from og_tui.sdk.llm import openai_adapter

    client = openai_adapter(acct.key.hex(), use_openai_types=typed)
    messages = [{"role": "user", "content": QUESTION}]
    chunks = list(client.chat.completions.create(model=MODEL, messages=messages, tools=_openai_tools(), stream=True))
    if typed:
        from openai.types.chat import ChatCompletionChunk

        assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert all(c.object == "chat.completion.chunk" for c in chunks) and len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    calls: dict = {}
    for c in chunks:
        for tc in c.choices[0].delta.tool_calls or []:
            slot = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
            slot["id"] = tc.id or slot["id"]
            slot["name"] += tc.function.name or ""
            slot["arguments"] += tc.function.arguments or ""
    (call,) = calls.values()
    assert call["name"] == "forecast_model"
    txs = []
    result = _run_tool(og, agent_env, json.loads(call["arguments"]), txs)
    assert _mined(agent_env, txs[0])
    messages += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": call["arguments"]},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call["id"], "content": result},
    ]
    with client.chat.completions.create(model=MODEL, messages=messages, tools=_openai_tools(), stream=True) as stream:
        text = "".join(c.choices[0].delta.content or "" for c in stream)
    assert result in text


def test_openai_adapter_tee_streams_token_by_token(sdk, agent_env):
    og, acct = sdk
    from og_tui.sdk.llm import openai_adapter

    client = openai_adapter(acct.key.hex(), mode="TEE")
    assert client.llm.base_url == agent_env.devnet.url  # the profile's llm_url, i.e. this devnet
    chunks = list(
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hello devnet"}], stream=True, max_tokens=60
        )
    )
    content = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(content) > 5
    last = chunks[-1]
    assert last.choices[0].finish_reason in ("stop", "length") and last.usage.completion_tokens > 0
    assert int(last.og["cost"]) == 60  # max_tokens x 1 unit on devnet, paid with x402


def test_openai_adapter_without_the_openai_package(sdk, monkeypatch):
    og, acct = sdk
    from og_tui.sdk import llm as sdk_llm

    monkeypatch.setitem(sys.modules, "openai", None)  # import openai -> ImportError
    monkeypatch.setitem(sys.modules, "openai.types.chat", None)
    client = sdk_llm.openai_adapter(acct.key.hex())
    resp = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=20)
    assert type(resp).__name__ == "_Obj"
    assert resp.choices[0].message.role == "assistant" and resp["choices"][0]["finish_reason"] in ("stop", "length")
    assert resp.usage.completion_tokens <= 20 and json.loads(resp.model_dump_json())["object"] == "chat.completion"
    with pytest.raises(ImportError):
        sdk_llm.openai_adapter(acct.key.hex(), use_openai_types=True)


def test_adapters_take_explicit_endpoints_without_init(agent_env):
    from og_tui.sdk import _state
    from og_tui.sdk.llm import openai_adapter

    _state.set_client(None)
    acct = agent_env.funded()
    default = openai_adapter(acct.key.hex())
    assert default.llm.profile.name == "opengradient"  # the public network, like the reference
    default.close()
    client = openai_adapter(acct.key.hex(), profile=agent_env.profile)
    resp = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=10)
    assert _mined(agent_env, resp.og["transaction_hash"])
    client.close()
