"""Seed enums and dataclasses: names, values and helpers."""

from __future__ import annotations

import time

from og_tui.core import types as T


def test_int_enums_match_reference():
    assert [(m.name, m.value) for m in T.InferenceMode] == [("VANILLA", 0), ("ZKML", 1), ("TEE", 2)]
    assert [(m.name, m.value) for m in T.LlmInferenceMode] == [("VANILLA", 0), ("TEE", 1)]
    assert [(m.name, m.value) for m in T.CandleOrder] == [("ASCENDING", 0), ("DESCENDING", 1)]
    assert [(m.name, m.value) for m in T.CandleType] == [
        ("HIGH", 0),
        ("LOW", 1),
        ("OPEN", 2),
        ("CLOSE", 3),
        ("VOLUME", 4),
    ]
    assert T.InferenceMode.TEE == 2 and isinstance(T.InferenceMode.TEE, int)


def test_llm_enums_have_16_identical_ids():
    ids = {m.name: m.value for m in T.LLM}
    assert len(ids) == 16
    assert ids == {m.name: m.value for m in T.TEE_LLM}
    assert T.LLM.GPT_4O == "openai/gpt-4o"
    assert T.LLM.CLAUDE_3_7_SONNET.value == "anthropic/claude-3.7-sonnet"
    assert T.TEE_LLM.GROK_4_1_FAST_NON_REASONING.value == "x-ai/grok-4-1-fast-non-reasoning"
    assert str(T.LLM.O4_MINI) == "openai/o4-mini"
    assert T.LLM("google/gemini-2.5-flash-lite") is T.LLM.GEMINI_2_5_FLASH_LITE


def test_settlement_mode_and_tool_type():
    assert [m.value for m in T.x402SettlementMode] == ["settle", "settle-metadata", "settle-batch"]
    assert T.x402SettlementMode("settle-batch") is T.x402SettlementMode.SETTLE_BATCH
    assert {m.value for m in T.ToolType} == {"langchain", "swarm"}


def test_historical_query_abi_format():
    q = T.HistoricalInputQuery(
        base="ETH",
        quote="USD",
        total_candles=10,
        candle_duration_in_mins=30,
        order=T.CandleOrder.DESCENDING,
        candle_types=[T.CandleType.OPEN, T.CandleType.CLOSE],
    )
    abi = q.to_abi_format()
    assert abi == ("ETH", "USD", 10, 30, 1, [2, 3])
    assert type(abi[4]) is int and all(type(c) is int for c in abi[5])


def test_scheduler_params():
    assert T.SchedulerParams.from_dict(None) is None
    p = T.SchedulerParams.from_dict({})
    assert (p.frequency, p.duration_hours) == (600, 2)
    p = T.SchedulerParams.from_dict({"frequency": 60, "duration_hours": 5})
    assert (p.frequency, p.duration_hours) == (60, 5)
    now = int(time.time())
    assert now + 5 * 3600 <= p.end_time <= int(time.time()) + 5 * 3600


def test_result_dataclasses():
    out = T.TextGenerationOutput(transaction_hash="external")
    assert out.finish_reason is None and out.chat_output is None and out.payment_hash is None
    assert T.ModelRepository("m", "0.01").initialVersion == "0.01"
    assert T.FileUploadResult(modelCid="Qm", size=3).modelCid == "Qm"
    r = T.InferenceResult("abc", {"y": [1]})
    assert r.transaction_hash == "abc"
    mo = T.ModelOutput(numbers={}, strings={}, jsons={}, is_simulation_result=False)
    assert mo.is_simulation_result is False
    assert T.WorkflowModelOutput("1%", "https://x/address/0x1").result == "1%"


def test_stream_chunk_from_sse():
    c = T.StreamChunk.from_sse_data(
        {"model": "m", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}}]}
    )
    assert c.content == "Hi" and not c.is_final and c.choices[0].delta.role == "assistant"
    c = T.StreamChunk.from_sse_data({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    assert c.is_final
    c = T.StreamChunk.from_sse_data(
        {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}
    )
    assert c.is_final and c.usage.total_tokens == 3


def test_text_generation_stream_iterates_and_closes():
    closed = []

    def gen():
        try:
            yield {"choices": [{"delta": {"content": "a"}}]}
            yield T.StreamChunk.from_sse_data({"choices": [{"delta": {"content": "b"}, "finish_reason": "stop"}]})
            yield {"choices": [{"delta": {"content": "never"}}]}
        finally:
            closed.append(True)

    stream = T.TextGenerationStream(gen())
    first = next(stream)
    assert isinstance(first, T.StreamChunk) and first.content == "a"
    second = next(stream)
    assert second.is_final
    stream.close()
    assert closed == [True]
    assert list(stream) == []
    assert [c.content for c in T.TextGenerationStream(iter([{"choices": [{"delta": {"content": "x"}}]}]))] == ["x"]


def test_types_import_has_no_numpy_dependency():
    import subprocess
    import sys

    code = "import og_tui.core.types, sys; assert 'numpy' not in sys.modules, 'numpy imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
