"""The shipped ABIs produce exactly the selectors and topics of the real contracts.

Every expected value below is copied from opengradient-protocol.md (recomputed there
from the reference SDK's ABI files); here they are recomputed from our JSON.
"""

from __future__ import annotations

import json

import pytest
from eth_utils import keccak
from eth_utils.abi import event_abi_to_log_topic, function_abi_to_4byte_selector

from og_tui.core.abi import (
    ABI_DIR,
    abi_names,
    event_topic,
    find_entry,
    load_abi,
    selector,
    signature,
)

NUMBER = "(int128,int128)"
NUMBER_TENSOR = f"(string,{NUMBER}[],uint32[])"
STRING_TENSOR = "(string,string[])"
JSON_TENSOR = "(string,string)"
MODEL_INPUT = f"({NUMBER_TENSOR}[],{STRING_TENSOR}[])"
MODEL_OUTPUT = f"({NUMBER_TENSOR}[],{STRING_TENSOR}[],{JSON_TENSOR}[],bool)"
HISTORICAL_QUERY = "(string,string,uint32,uint32,uint8,uint8[])"

FUNCTIONS = [
    ("inference_hub", "run", "0xcbf09d80", f"run(string,uint8,{MODEL_INPUT})"),
    ("inference_hub", "runLLMCompletion", "0x14800c61", None),
    ("inference_hub", "runLLMChat", "0xe39aa7e7", None),
    ("inference_precompile", "runModelInference", "0x7289e9c2", f"runModelInference((uint8,string,{MODEL_INPUT}))"),
    (
        "inference_precompile",
        "runLLMCompletion",
        "0x14800c61",
        "runLLMCompletion((uint8,string,string,uint32,string[],uint32))",
    ),
    ("inference_precompile", "runLLMChat", "0xe39aa7e7", None),
    ("price_history_inference", "run", "0xc0406226", "run()"),
    ("price_history_inference", "getInferenceResult", "0x1b9fc701", "getInferenceResult()"),
    ("price_history_inference", "getLastInferenceResults", "0x9e30396c", "getLastInferenceResults(uint256)"),
    ("price_history_inference", "historicalContract", "0xdf958cf6", "historicalContract()"),
    ("price_history_inference", "inputName", "0x55497011", "inputName()"),
    ("price_history_inference", "modelId", "0x43cdaad2", "modelId()"),
    ("price_history_inference", "inputQuery", "0xc4c71aac", "inputQuery()"),
    ("workflow_scheduler", "registerTask", "0x31a7e88c", "registerTask(address,uint256,uint256)"),
    (
        "price_feed_precompile",
        "runInferenceOnPriceFeed",
        "0xa192a0f9",
        f"runInferenceOnPriceFeed(string,string,{HISTORICAL_QUERY})",
    ),
]

EVENTS = [
    (
        "inference_hub",
        "InferenceResult",
        "0xc1396ff68bc2d8630100df29ce5561fa99078c602e8676ab72a53e37095d7168",
        f"InferenceResult({MODEL_OUTPUT})",
    ),
    (
        "inference_hub",
        "LLMCompletionResult",
        "0xe522a1a92cb132ca102e36a004efceb8c83284b64164e0d128ddce12e86cab7b",
        "LLMCompletionResult((string))",
    ),
    ("inference_hub", "LLMChatResult", "0x53fcd580be8545626a896d86eb76e16597d793de715dda5d21df71d303d1ff96", None),
    (
        "inference_precompile",
        "ModelInferenceEvent",
        "0x1b283af3452f3718585ce100f80d9aa81fc60924db4a582a36db6aae3b109d87",
        f"ModelInferenceEvent(string,(uint8,string,{MODEL_INPUT}),{MODEL_OUTPUT})",
    ),
    (
        "inference_precompile",
        "LLMCompletionEvent",
        "0x51fe69d513d73ecde3fa3bf17584f7d2acfd5f0b13d367e898d6e11e742127a3",
        None,
    ),
    ("inference_precompile", "LLMChat", "0x4c92d3df7819fcd1c9f9663332f0a599a65eefdad2eaf9193cffb9dbf1919c3b", None),
    (
        "price_history_inference",
        "InferenceResultEmitted",
        "0x5a1ed425a160d1bc929890b991acc0e3d25a6f5db1ac65c07ee4c917708f76d4",
        f"InferenceResultEmitted(address,{MODEL_OUTPUT})",
    ),
]


@pytest.mark.parametrize("abi_name, fn, expected, canonical", FUNCTIONS)
def test_function_selectors(abi_name, fn, expected, canonical):
    entry = find_entry(abi_name, fn, "function")
    sig = signature(entry)
    if canonical is not None:
        assert sig == canonical
    assert "0x" + keccak(text=sig)[:4].hex() == expected
    assert "0x" + selector(abi_name, fn).hex() == expected
    # and eth_utils' own reading of the JSON entry agrees
    assert "0x" + function_abi_to_4byte_selector(entry).hex() == expected


@pytest.mark.parametrize("abi_name, ev, expected, canonical", EVENTS)
def test_event_topics(abi_name, ev, expected, canonical):
    entry = find_entry(abi_name, ev, "event")
    sig = signature(entry)
    if canonical is not None:
        assert sig == canonical
    assert "0x" + keccak(text=sig).hex() == expected
    assert "0x" + event_topic(abi_name, ev).hex() == expected
    assert "0x" + event_abi_to_log_topic(entry).hex() == expected


def test_precompile_events_have_inference_id_first_and_nothing_indexed():
    for name in ("ModelInferenceEvent", "LLMCompletionEvent", "LLMChat"):
        entry = find_entry("inference_precompile", name, "event")
        assert entry["inputs"][0] == {"name": "inferenceID", "type": "string", "indexed": False}
        assert not any(p["indexed"] for p in entry["inputs"])


def test_inference_result_emitted_caller_is_indexed():
    entry = find_entry("price_history_inference", "InferenceResultEmitted", "event")
    assert [(p["name"], p["indexed"]) for p in entry["inputs"]] == [("caller", True), ("result", False)]


def _names(params):
    return [p["name"] for p in params]


def test_tuple_component_names():
    run = find_entry("inference_hub", "run")
    assert _names(run["inputs"]) == ["modelId", "inferenceMode", "modelInput"]
    model_input = run["inputs"][2]
    assert _names(model_input["components"]) == ["numbers", "strings"]
    number_tensor = model_input["components"][0]
    assert _names(number_tensor["components"]) == ["name", "values", "shape"]
    assert _names(number_tensor["components"][1]["components"]) == ["value", "decimals"]
    assert _names(model_input["components"][1]["components"]) == ["name", "values"]
    output = run["outputs"][0]
    assert _names(output["components"]) == ["numbers", "strings", "jsons", "is_simulation_result"]
    assert _names(output["components"][2]["components"]) == ["name", "value"]
    event = find_entry("inference_hub", "InferenceResult", "event")
    assert _names(event["inputs"]) == ["output"]
    chat = find_entry("inference_hub", "runLLMChat")
    assert _names(chat["inputs"][0]["components"]) == [
        "mode",
        "modelCID",
        "messages",
        "tools",
        "tool_choice",
        "max_tokens",
        "stop_sequence",
        "temperature",
    ]
    message = chat["inputs"][0]["components"][2]
    assert _names(message["components"]) == ["role", "content", "name", "tool_call_id", "tool_calls"]
    assert _names(chat["outputs"][0]["components"]) == ["finish_reason", "message"]
    request = find_entry("inference_precompile", "runModelInference")["inputs"][0]
    assert _names(request["components"]) == ["mode", "modelCID", "input"]


def test_price_history_constructor_and_views():
    ctor = find_entry("price_history_inference", "", "constructor")
    assert [p["type"] for p in ctor["inputs"]] == ["string", "string", "tuple"]
    assert _names(ctor["inputs"][2]["components"]) == [
        "base",
        "quote",
        "total_candles",
        "candle_duration_in_mins",
        "order",
        "candle_types",
    ]
    query = find_entry("price_history_inference", "inputQuery")
    assert [p["type"] for p in query["outputs"]] == ["string", "string", "uint32", "uint32", "uint8"]
    assert find_entry("price_history_inference", "getInferenceResult")["stateMutability"] == "view"
    assert find_entry("price_history_inference", "getLastInferenceResults")["outputs"][0]["type"] == "tuple[]"
    assert find_entry("price_history_inference", "historicalContract")["outputs"][0]["type"] == "address"


def test_loader_caches_and_lists():
    assert load_abi("inference_hub") is load_abi("inference_hub")
    assert load_abi("inference_hub.json") == load_abi("inference_hub")
    names = abi_names()
    for expected in (
        "inference_hub",
        "inference_precompile",
        "price_history_inference",
        "workflow_scheduler",
        "price_feed_precompile",
    ):
        assert expected in names
        assert isinstance(load_abi(expected), list)
    with pytest.raises(ValueError):
        load_abi("no_such_abi")
    with pytest.raises(ValueError):
        load_abi("../secrets")


def test_all_json_files_parse_as_abi_lists():
    for path in ABI_DIR.glob("*.json"):
        data = json.loads(path.read_text())
        assert isinstance(data, list) and all("type" in e for e in data), path.name


def test_web3_accepts_the_hub_abi():
    from web3 import Web3

    contract = Web3().eth.contract(abi=load_abi("inference_hub"))
    data = contract.encode_abi("run", args=["model", 0, ([("x", [(15, 1)], [1])], [("s", ["a"])])])
    assert data[:10] == "0xcbf09d80"
