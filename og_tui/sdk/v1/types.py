"""The types of the OpenGradient SDK 1.x (``opengradient.types`` of 1.1.4) that differ from 0.5.13's.

Names, members, values and fields follow 1.1.4. Where a type is the same in both
generations (``InferenceMode``, ``HistoricalInputQuery``, ``StreamDelta``, ...) the 0.5.13
one of :mod:`og_tui.core.types` is used; the ones here are 1.x's own: the settlement
modes (``PRIVATE``/``BATCH_HASHED``), the model list, ``ResponseFormat``, and the results
that carry a TEE's proof and the settlement (``TextGenerationOutput``, ``StreamChunk``).

Each result also has ``tee_verification`` (an og-tui addition after 1.1.4's fields): the
check of the reply's signature against the TEE registry (:class:`og_tui.core.tee_proof.TeeVerification`),
``None`` when nothing was checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, List, Optional

from og_tui.core.types import StreamChoice, StreamDelta, StreamUsage

__all__ = [
    "x402SettlementMode",
    "TEE_LLM",
    "ResponseFormat",
    "TextGenerationOutput",
    "StreamChunk",
    "Permit2ApprovalResult",
    "RESPONSE_FORMAT_TYPES",
]

RESPONSE_FORMAT_TYPES = ("text", "json_object", "json_schema")


class x402SettlementMode(str, Enum):  # noqa: N801 - name from the reference API
    """``X-SETTLEMENT-TYPE`` of x402 v2: payment only, or a batch of input/output hashes."""

    PRIVATE = "private"
    BATCH_HASHED = "batch"


class TEE_LLM(str, Enum):  # noqa: N801 - name from the reference API
    """Model ids for TEE execution, as 1.1.4 lists them (``provider/model``)."""

    GPT_4_1_2025_04_14 = "openai/gpt-4.1-2025-04-14"
    GPT_4_1_MINI = "openai/gpt-4.1-mini"
    GPT_4_1_NANO = "openai/gpt-4.1-nano"
    O3 = "openai/o3"
    O4_MINI = "openai/o4-mini"
    GPT_5 = "openai/gpt-5"
    GPT_5_MINI = "openai/gpt-5-mini"
    GPT_5_2 = "openai/gpt-5.2"
    GPT_5_4 = "openai/gpt-5.4"
    GPT_5_4_MINI = "openai/gpt-5.4-mini"
    GPT_5_4_NANO = "openai/gpt-5.4-nano"
    GPT_5_5 = "openai/gpt-5.5"
    GPT_IMAGE_2 = "openai/gpt-image-2"
    CLAUDE_SONNET_4_5 = "anthropic/claude-sonnet-4-5"
    CLAUDE_SONNET_4_6 = "anthropic/claude-sonnet-4-6"
    CLAUDE_HAIKU_4_5 = "anthropic/claude-haiku-4-5"
    CLAUDE_OPUS_4_5 = "anthropic/claude-opus-4-5"
    CLAUDE_OPUS_4_6 = "anthropic/claude-opus-4-6"
    CLAUDE_OPUS_4_7 = "anthropic/claude-opus-4-7"
    CLAUDE_OPUS_4_8 = "anthropic/claude-opus-4-8"
    GEMINI_2_5_FLASH = "google/gemini-2.5-flash"
    GEMINI_2_5_PRO = "google/gemini-2.5-pro"
    GEMINI_2_5_FLASH_LITE = "google/gemini-2.5-flash-lite"
    GEMINI_3_FLASH = "google/gemini-3-flash-preview"
    GEMINI_3_1_PRO_PREVIEW = "google/gemini-3.1-pro-preview"
    GEMINI_3_1_FLASH_LITE_PREVIEW = "google/gemini-3.1-flash-lite-preview"
    GEMINI_3_5_FLASH = "google/gemini-3.5-flash"
    GEMINI_2_5_FLASH_IMAGE = "google/gemini-2.5-flash-image"
    GEMINI_3_1_FLASH_IMAGE = "google/gemini-3.1-flash-image"
    GROK_4 = "x-ai/grok-4"
    GROK_4_FAST = "x-ai/grok-4-fast"
    GROK_4_1_FAST = "x-ai/grok-4-1-fast"
    GROK_4_1_FAST_NON_REASONING = "x-ai/grok-4-1-fast-non-reasoning"
    GROK_4_20_REASONING = "x-ai/grok-4.20-reasoning"
    GROK_4_20_NON_REASONING = "x-ai/grok-4.20-non-reasoning"
    GROK_CODE_FAST_1 = "x-ai/grok-code-fast-1"
    GROK_2_IMAGE = "x-ai/grok-2-image"
    SEED_1_6 = "bytedance/seed-1.6"
    SEED_1_8 = "bytedance/seed-1.8"
    SEED_2_0_LITE = "bytedance/seed-2.0-lite"
    DEEPSEEK_V4_FLASH = "bytedance/deepseek-v4-flash"
    DEEPSEEK_V4_PRO = "bytedance/deepseek-v4-pro"
    SEEDREAM_4_0 = "bytedance/seedream-4.0"
    SEEDANCE_4_5 = "bytedance/seedance-4.5"
    HERMES_4_405B = "nous/hermes-4-405b"
    HERMES_4_70B = "nous/hermes-4-70b"
    GLM_5_2 = "zai/glm-5.2"
    GLM_IMAGE = "zai/glm-image"


@dataclass
class ResponseFormat:
    """The output format a chat reply must have: ``text``, ``json_object`` (any JSON object) or
    ``json_schema`` (``json_schema={"name": ..., "schema": {...}, "strict": bool}``)."""

    type: str
    json_schema: Optional[Dict[str, Any]] = None

    def __post_init__(self) -> None:
        if self.type not in RESPONSE_FORMAT_TYPES:
            raise ValueError(f"ResponseFormat.type must be one of {RESPONSE_FORMAT_TYPES}, got '{self.type}'")
        if self.type == "json_schema" and not self.json_schema:
            raise ValueError("ResponseFormat.json_schema is required when type='json_schema'")

    def to_dict(self) -> Dict[str, Any]:
        """The ``response_format`` of the request body."""
        out: Dict[str, Any] = {"type": self.type}
        if self.json_schema is not None:
            out["json_schema"] = self.json_schema
        return out


@dataclass
class TextGenerationOutput:
    """A finished chat (``chat_output``) or completion (``completion_output``) with its TEE proof
    (``tee_*``), usage and settlement (``data_settlement_*``, ``payment_hash``)."""

    data_settlement_transaction_hash: Optional[str] = None
    data_settlement_blob_id: Optional[str] = None
    finish_reason: Optional[str] = None
    chat_output: Optional[Dict[str, Any]] = None
    completion_output: Optional[str] = None
    images: Optional[List[str]] = None
    usage: Optional[Dict[str, Any]] = None
    payment_hash: Optional[str] = None
    tee_signature: Optional[str] = None
    tee_timestamp: Optional[Any] = None
    tee_id: Optional[str] = None
    tee_endpoint: Optional[str] = None
    tee_payment_address: Optional[str] = None
    tee_verification: Optional[Any] = None  # og-tui: the registry check (TeeVerification)


@dataclass
class StreamChunk:
    """One chunk of a streamed chat; the final one (``is_final``) carries usage, the TEE proof
    and the settlement."""

    choices: List[StreamChoice]
    model: str
    usage: Optional[StreamUsage] = None
    is_final: bool = False
    tee_signature: Optional[str] = None
    tee_timestamp: Optional[Any] = None
    tee_id: Optional[str] = None
    tee_endpoint: Optional[str] = None
    tee_payment_address: Optional[str] = None
    data_settlement_transaction_hash: Optional[str] = None
    data_settlement_blob_id: Optional[str] = None
    images: Optional[List[str]] = None
    tee_verification: Optional[Any] = None  # og-tui: the registry check (TeeVerification), final chunk

    @classmethod
    def from_sse_data(cls, data: Dict[str, Any]) -> "StreamChunk":
        """A chunk from one SSE ``data:`` object (a ``message`` in place of ``delta`` is accepted)."""
        choices = []
        for raw in data.get("choices") or []:
            delta = raw.get("delta") or raw.get("message") or {}
            choices.append(
                StreamChoice(
                    delta=StreamDelta(
                        content=delta.get("content"), role=delta.get("role"), tool_calls=delta.get("tool_calls")
                    ),
                    index=raw.get("index", 0),
                    finish_reason=raw.get("finish_reason"),
                )
            )
        usage = None
        if "usage" in data and isinstance(data["usage"], dict):
            u = data["usage"]
            usage = StreamUsage(
                prompt_tokens=u.get("prompt_tokens", 0),
                completion_tokens=u.get("completion_tokens", 0),
                total_tokens=u.get("total_tokens", 0),
            )
        return cls(
            choices=choices,
            model=data.get("model", "unknown"),
            usage=usage,
            is_final=usage is not None or any(c.finish_reason is not None for c in choices),
            tee_signature=data.get("tee_signature"),
            tee_timestamp=data.get("tee_timestamp"),
            data_settlement_transaction_hash=data.get("data_settlement_transaction_hash"),
            data_settlement_blob_id=data.get("data_settlement_blob_id"),
            images=data.get("images"),
        )


@dataclass
class Permit2ApprovalResult:
    """What :meth:`LLM.ensure_opg_approval` found and did (``tx_hash`` None: nothing was sent)."""

    allowance_before: int
    allowance_after: int
    tx_hash: Optional[str] = None
