"""Enums and result types of the OpenGradient SDK reference API (0.5.13).

Names and values follow the reference exactly so that code written for the
``opengradient`` package works against og-tui. numpy is only needed for type hints
here; it is imported lazily where it is actually used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = [
    "InferenceMode",
    "LlmInferenceMode",
    "LLM",
    "TEE_LLM",
    "x402SettlementMode",
    "CandleOrder",
    "CandleType",
    "HistoricalInputQuery",
    "SchedulerParams",
    "InferenceResult",
    "ModelOutput",
    "TextGenerationOutput",
    "StreamDelta",
    "StreamChoice",
    "StreamUsage",
    "StreamChunk",
    "TextGenerationStream",
    "ModelRepository",
    "FileUploadResult",
    "WorkflowModelOutput",
    "ToolType",
    "Abi",
]


class InferenceMode(IntEnum):
    """Modes for on-chain ONNX inference (uint8 on the wire)."""

    VANILLA = 0
    ZKML = 1
    TEE = 2


class LlmInferenceMode(IntEnum):
    """Modes for LLM inference: VANILLA is on-chain, TEE is HTTP paid with x402."""

    VANILLA = 0
    TEE = 1


class LLM(str, Enum):
    """LLM model ids (on-chain VANILLA path)."""

    GPT_4_1_2025_04_14 = "openai/gpt-4.1-2025-04-14"
    GPT_4O = "openai/gpt-4o"
    O4_MINI = "openai/o4-mini"
    CLAUDE_3_7_SONNET = "anthropic/claude-3.7-sonnet"
    CLAUDE_3_5_HAIKU = "anthropic/claude-3.5-haiku"
    CLAUDE_4_0_SONNET = "anthropic/claude-4.0-sonnet"
    GEMINI_2_5_FLASH = "google/gemini-2.5-flash"
    GEMINI_2_5_PRO = "google/gemini-2.5-pro"
    GEMINI_2_0_FLASH = "google/gemini-2.0-flash"
    GEMINI_2_5_FLASH_LITE = "google/gemini-2.5-flash-lite"
    GROK_3_MINI_BETA = "x-ai/grok-3-mini-beta"
    GROK_3_BETA = "x-ai/grok-3-beta"
    GROK_2_1212 = "x-ai/grok-2-1212"
    GROK_2_VISION_LATEST = "x-ai/grok-2-vision-latest"
    GROK_4_1_FAST = "x-ai/grok-4.1-fast"
    GROK_4_1_FAST_NON_REASONING = "x-ai/grok-4-1-fast-non-reasoning"

    def __str__(self) -> str:
        return self.value


class TEE_LLM(str, Enum):
    """LLM model ids available for TEE execution (identical to :class:`LLM` in 0.5.13)."""

    GPT_4_1_2025_04_14 = "openai/gpt-4.1-2025-04-14"
    GPT_4O = "openai/gpt-4o"
    O4_MINI = "openai/o4-mini"
    CLAUDE_3_7_SONNET = "anthropic/claude-3.7-sonnet"
    CLAUDE_3_5_HAIKU = "anthropic/claude-3.5-haiku"
    CLAUDE_4_0_SONNET = "anthropic/claude-4.0-sonnet"
    GEMINI_2_5_FLASH = "google/gemini-2.5-flash"
    GEMINI_2_5_PRO = "google/gemini-2.5-pro"
    GEMINI_2_0_FLASH = "google/gemini-2.0-flash"
    GEMINI_2_5_FLASH_LITE = "google/gemini-2.5-flash-lite"
    GROK_3_MINI_BETA = "x-ai/grok-3-mini-beta"
    GROK_3_BETA = "x-ai/grok-3-beta"
    GROK_2_1212 = "x-ai/grok-2-1212"
    GROK_2_VISION_LATEST = "x-ai/grok-2-vision-latest"
    GROK_4_1_FAST = "x-ai/grok-4.1-fast"
    GROK_4_1_FAST_NON_REASONING = "x-ai/grok-4-1-fast-non-reasoning"

    def __str__(self) -> str:
        return self.value


class x402SettlementMode(str, Enum):  # noqa: N801 - name from the reference API
    """Value of the ``X-SETTLEMENT-TYPE`` header."""

    SETTLE = "settle"
    SETTLE_METADATA = "settle-metadata"
    SETTLE_BATCH = "settle-batch"

    def __str__(self) -> str:
        return self.value


class CandleOrder(IntEnum):
    ASCENDING = 0
    DESCENDING = 1


class CandleType(IntEnum):
    HIGH = 0
    LOW = 1
    OPEN = 2
    CLOSE = 3
    VOLUME = 4


class ToolType(str, Enum):
    """Agent framework an AlphaSense tool is built for."""

    LANGCHAIN = "langchain"
    SWARM = "swarm"

    def __str__(self) -> str:
        return self.value


@dataclass
class HistoricalInputQuery:
    base: str
    quote: str
    total_candles: int
    candle_duration_in_mins: int
    order: CandleOrder
    candle_types: List[CandleType]

    def to_abi_format(self) -> tuple[str, str, int, int, int, List[int]]:
        """Convert to the tuple the PriceHistoryInference contract ABI expects."""
        return (
            self.base,
            self.quote,
            int(self.total_candles),
            int(self.candle_duration_in_mins),
            int(self.order),
            [int(c) for c in self.candle_types],
        )


@dataclass
class SchedulerParams:
    frequency: int
    duration_hours: int

    @property
    def end_time(self) -> int:
        return int(time.time()) + int(self.duration_hours) * 3600

    @staticmethod
    def from_dict(data: Optional[Dict[str, int]]) -> Optional["SchedulerParams"]:
        if data is None:
            return None
        return SchedulerParams(
            frequency=int(data.get("frequency", 600)),
            duration_hours=int(data.get("duration_hours", 2)),
        )


@dataclass
class InferenceResult:
    """Result of an on-chain ONNX inference.

    transaction_hash: hex hash of the inference transaction.
    model_output: flat dict tensor name -> numpy array.
    """

    transaction_hash: str
    model_output: Dict[str, "np.ndarray"]


@dataclass
class ModelOutput:
    """Positional model output as stored by workflow contracts."""

    numbers: Dict[str, "np.ndarray"]
    strings: Dict[str, "np.ndarray"]
    jsons: Dict[str, "np.ndarray"]
    is_simulation_result: bool


@dataclass
class TextGenerationOutput:
    transaction_hash: str
    finish_reason: Optional[str] = None
    chat_output: Optional[Dict[str, Any]] = None
    completion_output: Optional[str] = None
    payment_hash: Optional[str] = None


@dataclass
class StreamDelta:
    """Incremental content of one streamed choice."""

    content: Optional[str] = None
    role: Optional[str] = None
    tool_calls: Optional[List[Dict[str, Any]]] = None

    @classmethod
    def from_dict(cls, data: Optional[Dict[str, Any]]) -> "StreamDelta":
        data = data or {}
        return cls(
            content=data.get("content"),
            role=data.get("role"),
            tool_calls=data.get("tool_calls"),
        )


@dataclass
class StreamChoice:
    delta: StreamDelta
    index: int = 0
    finish_reason: Optional[str] = None

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "StreamChoice":
        return cls(
            delta=StreamDelta.from_dict(data.get("delta")),
            index=int(data.get("index", 0) or 0),
            finish_reason=data.get("finish_reason"),
        )


@dataclass
class StreamUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "StreamUsage":
        return cls(
            prompt_tokens=int(data.get("prompt_tokens", 0) or 0),
            completion_tokens=int(data.get("completion_tokens", 0) or 0),
            total_tokens=int(data.get("total_tokens", 0) or 0),
        )


@dataclass
class StreamChunk:
    """One SSE ``data:`` event of a streamed chat completion."""

    choices: List[StreamChoice]
    model: str = ""
    usage: Optional[StreamUsage] = None
    is_final: bool = False

    @classmethod
    def from_sse_data(cls, data: Dict[str, Any]) -> "StreamChunk":
        choices = [StreamChoice.from_dict(c) for c in (data.get("choices") or [])]
        usage_data = data.get("usage")
        usage = StreamUsage.from_dict(usage_data) if usage_data else None
        is_final = usage is not None or any(c.finish_reason is not None for c in choices)
        return cls(choices=choices, model=data.get("model") or "", usage=usage, is_final=is_final)

    @property
    def content(self) -> str:
        """Concatenated text content of all choices in this chunk."""
        return "".join(c.delta.content or "" for c in self.choices)


class TextGenerationStream:
    """Iterator of :class:`StreamChunk` over a streamed chat completion.

    Wraps any iterable of chunks (or of SSE JSON dicts, which it converts). ``close()``
    closes the underlying source when it has a ``close`` method (e.g. an HTTP response
    generator), so a consumer can stop a stream early.
    """

    def __init__(
        self,
        source: Iterable[StreamChunk | Dict[str, Any]],
        *,
        on_close: Optional[Callable[[], object]] = None,
    ) -> None:
        self._source = source
        self._iter: Iterator[StreamChunk | Dict[str, Any]] = iter(source)
        self._on_close = on_close
        self._closed = False

    def __iter__(self) -> "TextGenerationStream":
        return self

    def __next__(self) -> StreamChunk:
        if self._closed:
            raise StopIteration
        try:
            item = next(self._iter)
        except StopIteration:
            self.close()
            raise
        if isinstance(item, dict):
            return StreamChunk.from_sse_data(item)
        return item

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        closer = getattr(self._iter, "close", None) or getattr(self._source, "close", None)
        if callable(closer):
            closer()
        if callable(self._on_close):
            self._on_close()

    def __enter__(self) -> "TextGenerationStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class ModelRepository:
    name: str
    initialVersion: str  # noqa: N815 - field name from the reference API


@dataclass
class FileUploadResult:
    modelCid: str  # noqa: N815 - field name from the reference API
    size: int


@dataclass
class WorkflowModelOutput:
    """Formatted result of a hard-coded workflow model read."""

    result: str
    block_explorer_link: str = field(default="")


@dataclass
class Abi:
    """A contract ABI: the raw JSON list plus lookup helpers (no web3 needed)."""

    entries: List[Dict[str, Any]]

    @classmethod
    def from_json(cls, text_or_list: Any) -> "Abi":
        import json

        data = json.loads(text_or_list) if isinstance(text_or_list, (str, bytes)) else text_or_list
        if isinstance(data, dict) and "abi" in data:
            data = data["abi"]
        return cls(entries=list(data))

    def functions(self) -> List[Dict[str, Any]]:
        return [e for e in self.entries if e.get("type") == "function"]

    def events(self) -> List[Dict[str, Any]]:
        return [e for e in self.entries if e.get("type") == "event"]

    def find(self, name: str, type: Optional[str] = None) -> Optional[Dict[str, Any]]:  # noqa: A002
        for e in self.entries:
            if e.get("name") == name and (type is None or e.get("type") == type):
                return e
        return None
