"""What the workflow client knows of the PriceHistoryInference contract and the scheduler:
types, selectors, events, gas and timeouts, the shipped artifact, and ModelOutput decoding."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict

from og_tui.core.types import ModelOutput

# --- ABI facts ---------------------------------------------------------------------------

MODEL_OUTPUT_TYPE = "((string,(int128,int128)[],uint32[])[],(string,string[])[],(string,string)[],bool)"
QUERY_TYPE = "(string,string,uint32,uint32,uint8,uint8[])"

# selectors (keccak of the canonical signature; checked by tests/workflows/test_alpha_unit.py)
SEL_RUN = "c0406226"  # run()
SEL_GET_RESULT = "1b9fc701"  # getInferenceResult()
SEL_GET_LAST = "9e30396c"  # getLastInferenceResults(uint256)
SEL_HISTORICAL = "df958cf6"  # historicalContract()
SEL_INPUT_NAME = "55497011"  # inputName()
SEL_MODEL_ID = "43cdaad2"  # modelId()
SEL_INPUT_QUERY = "c4c71aac"  # inputQuery()
SEL_PRICE_FEED = "a192a0f9"  # runInferenceOnPriceFeed(string,string,(string,string,uint32,uint32,uint8,uint8[]))
SEL_REGISTER = "31a7e88c"  # registerTask(address,uint256,uint256)
# og-tui extensions (read-only on the workflow contract; the devnet scheduler's views)
EXT_SIGNATURES = {
    "resultCount": "resultCount()",
    "inputCandleTypes": "inputCandleTypes()",
    "getLastRunTimes": "getLastRunTimes(uint256)",
    "getTask": "getTask(address)",
    "cancelTask": "cancelTask(address)",
    "keeperStats": "keeperStats(uint256)",
    "taskCount": "taskCount()",
}
EVENT_RESULT = (
    "InferenceResultEmitted(address,((string,(int128,int128)[],uint32[])[],(string,string[])[],(string,string)[],bool))"
)
EVENT_RESULT_TOPIC = "0x5a1ed425a160d1bc929890b991acc0e3d25a6f5db1ac65c07ee4c917708f76d4"

RUN_GAS = 30_000_000  # the reference SDK's fixed gas for run()
DEPLOY_GAS_FALLBACK = 5_000_000
REGISTER_GAS = 300_000
DEPLOY_TIMEOUT = 60.0
RUN_TIMEOUT = 120.0
REGISTER_TIMEOUT = 30.0

SignatureProvider = Callable[[str], Dict[str, Any]]

CONTRACT_ARTIFACT = Path(__file__).resolve().parent / "contracts" / "PriceHistoryInference.json"


# --- small helpers -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def contract_artifact() -> dict[str, Any]:
    """The compiled PriceHistoryInference (abi, bytecode, deployedBytecode) shipped with og-tui."""
    artifact: dict[str, Any] = json.loads(CONTRACT_ARTIFACT.read_text(encoding="utf-8"))
    return artifact


def _addr(text: Any, what: str = "workflow address") -> str:
    from og_tui.core.amounts import parse_address

    return parse_address(text, field=what)


def decode_model_output_bytes(data: bytes) -> ModelOutput:
    """ABI bytes of one ``ModelOutput`` -> :class:`ModelOutput` (numbers as float32 arrays)."""
    from eth_abi.abi import decode

    (raw,) = decode([MODEL_OUTPUT_TYPE], data)
    return _to_model_output(raw)


def _to_model_output(raw: Any) -> ModelOutput:
    from og_tui.core.tensors import split_model_output

    numbers, strings, jsons, sim = split_model_output(raw)
    return ModelOutput(numbers=numbers, strings=strings, jsons=jsons, is_simulation_result=sim)


def output_to_dict(output: ModelOutput) -> dict[str, Any]:
    """JSON-friendly form: ``{"numbers": {name: nested list}, "strings": ..., "jsons": ..., ...}``."""

    def conv(d: Dict[str, Any]) -> Dict[str, Any]:
        out = {}
        for k, v in (d or {}).items():
            out[k] = v.tolist() if hasattr(v, "tolist") else v
        return out

    return {
        "numbers": conv(output.numbers),
        "strings": conv(output.strings),
        "jsons": conv(output.jsons),
        "is_simulation_result": bool(output.is_simulation_result),
    }


def _is_empty(output: ModelOutput) -> bool:
    return not output.numbers and not output.strings and not output.jsons
