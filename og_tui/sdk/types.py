"""Every public type of the reference SDK's ``opengradient.types`` (0.5.13), under the same names.

The enums and result types are og-tui's own (:mod:`og_tui.core.types`: the same names,
values and fields, so results compare equal field by field); the input containers the
reference defines for its ABI encoding (``Number``, ``NumberTensor``, ``StringTensor``,
``ModelInput``) and its ABI description (``AbiFunction``, ``Abi``) are defined here.

Differences: ``InferenceMode`` and ``LlmInferenceMode`` are IntEnums (they also compare
equal to their wire value); ``TextGenerationStream`` takes any iterable of chunks or
SSE lines (the reference's ``_iterator=`` keyword is accepted too).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from og_tui.core.types import (
    LLM,
    TEE_LLM,
    CandleOrder,
    CandleType,
    FileUploadResult,
    HistoricalInputQuery,
    InferenceMode,
    InferenceResult,
    LlmInferenceMode,
    ModelOutput,
    ModelRepository,
    SchedulerParams,
    StreamChoice,
    StreamChunk,
    StreamDelta,
    StreamUsage,
    TextGenerationOutput,
    x402SettlementMode,
)
from og_tui.core.types import (
    TextGenerationStream as _CoreStream,
)

__all__ = [
    "x402SettlementMode",
    "CandleOrder",
    "CandleType",
    "HistoricalInputQuery",
    "Number",
    "NumberTensor",
    "StringTensor",
    "ModelInput",
    "InferenceMode",
    "LlmInferenceMode",
    "ModelOutput",
    "InferenceResult",
    "StreamDelta",
    "StreamChoice",
    "StreamUsage",
    "StreamChunk",
    "TextGenerationStream",
    "TextGenerationOutput",
    "AbiFunction",
    "Abi",
    "LLM",
    "TEE_LLM",
    "SchedulerParams",
    "ModelRepository",
    "FileUploadResult",
]


@dataclass
class Number:
    value: int
    decimals: int


@dataclass
class NumberTensor:
    """A numeric tensor for an ONNX model: ``values`` are (value, decimals) fixed-point pairs."""

    name: str
    values: List[Tuple[int, int]]


@dataclass
class StringTensor:
    """A string tensor for an ONNX model."""

    name: str
    values: List[str]


@dataclass
class ModelInput:
    """The tensor inputs of one ONNX inference."""

    numbers: List[NumberTensor]
    strings: List[StringTensor]


@dataclass
class AbiFunction:
    name: str
    inputs: List[Union[str, "AbiFunction"]]
    outputs: List[Union[str, "AbiFunction"]]
    state_mutability: str


@dataclass
class Abi:
    """The functions of a contract ABI (tuples become nested ``AbiFunction``s)."""

    functions: List[AbiFunction]

    @classmethod
    def from_json(cls, abi_json: Any) -> "Abi":
        if isinstance(abi_json, (str, bytes)):
            abi_json = json.loads(abi_json)
        functions = []
        for item in abi_json:
            if item.get("type") == "function":
                functions.append(
                    AbiFunction(
                        name=item["name"],
                        inputs=cls._parse_inputs_outputs(item.get("inputs", [])),
                        outputs=cls._parse_inputs_outputs(item.get("outputs", [])),
                        state_mutability=item.get("stateMutability", ""),
                    )
                )
        return cls(functions=functions)

    @staticmethod
    def _parse_inputs_outputs(items: List[Dict[str, Any]]) -> List[Union[str, AbiFunction]]:
        result: List[Union[str, AbiFunction]] = []
        for item in items:
            if "components" in item:
                result.append(
                    AbiFunction(
                        name=item["name"],
                        inputs=Abi._parse_inputs_outputs(item["components"]),
                        outputs=[],
                        state_mutability="",
                    )
                )
            else:
                result.append(f"{item['name']}:{item['type']}")
        return result


def _sse_chunks(lines: Iterable[Any]) -> Iterator[Union[StreamChunk, Dict[str, Any]]]:
    """SSE text lines (``data: {...}``) -> chunk dicts; chunks and dicts pass through."""
    for line in lines:
        if not isinstance(line, (str, bytes)):
            yield line
            continue
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        text = text.strip()
        if not text.startswith("data: "):
            continue
        data = text[6:]
        if data.strip() == "[DONE]":
            return
        try:
            yield json.loads(data)
        except json.JSONDecodeError:
            continue


class TextGenerationStream(_CoreStream):
    """Iterator of :class:`StreamChunk` (og-tui's stream class, also built from SSE lines).

    ``TextGenerationStream(_iterator=response.iter_lines())`` works as in the reference.
    """

    def __init__(
        self,
        source: Optional[Iterable[Any]] = None,
        *,
        _iterator: Optional[Iterable[Any]] = None,
        _is_async: bool = False,
        **kwargs: Any,
    ) -> None:
        if _is_async:
            raise TypeError("og_tui.sdk streams are synchronous; pass a sync iterator.")
        lines = source if source is not None else _iterator
        if lines is None:
            raise TypeError("TextGenerationStream needs an iterable of chunks or SSE lines.")
        super().__init__(_sse_chunks(lines), **kwargs)
