"""og_tui.sdk.types: the reference's public types, including the ones og-tui's core does not define."""

from __future__ import annotations

import json

import pytest

from og_tui.sdk import types as T


def test_stream_from_sse_lines_like_the_reference():
    lines = [
        "",
        ": keep-alive",
        "data: " + json.dumps({"model": "m", "choices": [{"delta": {"role": "assistant", "content": "Hel"}}]}),
        "data: not json",
        "data: "
        + json.dumps(
            {
                "model": "m",
                "choices": [{"delta": {"content": "lo"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
            }
        ),
        "data: [DONE]",
        "data: " + json.dumps({"choices": [{"delta": {"content": "after done"}}]}),
    ]
    chunks = list(T.TextGenerationStream(_iterator=iter(lines)))
    assert [c.choices[0].delta.content for c in chunks] == ["Hel", "lo"]
    assert chunks[0].choices[0].delta.role == "assistant" and not chunks[0].is_final
    assert chunks[1].is_final and chunks[1].usage == T.StreamUsage(1, 2, 3)
    with pytest.raises(TypeError, match="synchronous"):
        T.TextGenerationStream(_iterator=iter([]), _is_async=True)


def test_abi_from_json_nests_tuples():
    abi = T.Abi.from_json(
        [
            {
                "type": "function",
                "name": "run",
                "stateMutability": "nonpayable",
                "inputs": [
                    {"name": "cid", "type": "string"},
                    {"name": "input", "type": "tuple", "components": [{"name": "n", "type": "uint256"}]},
                ],
                "outputs": [{"name": "", "type": "bool"}],
            },
            {"type": "event", "name": "Done", "inputs": []},
        ]
    )
    assert [f.name for f in abi.functions] == ["run"]
    fn = abi.functions[0]
    assert fn.inputs[0] == "cid:string" and fn.outputs == [":bool"] and fn.state_mutability == "nonpayable"
    assert fn.inputs[1] == T.AbiFunction(name="input", inputs=["n:uint256"], outputs=[], state_mutability="")


def test_input_containers_and_shared_result_types():
    mi = T.ModelInput(numbers=[T.NumberTensor("x", [(15, 1)])], strings=[T.StringTensor("s", ["a"])])
    assert mi.numbers[0].values == [(15, 1)] and T.Number(15, 1).decimals == 1
    from og_tui.core import types as core

    for name in ("InferenceResult", "TextGenerationOutput", "ModelOutput", "LLM", "TEE_LLM", "x402SettlementMode"):
        assert getattr(T, name) is getattr(core, name)
    assert T.x402SettlementMode.SETTLE_BATCH.value == "settle-batch"
