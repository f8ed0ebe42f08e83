"""The OpenGradient SDK 1.x client surface (1.1.4), next to the 0.5.13 one of :mod:`og_tui.sdk`.

    import og_tui.sdk.v1 as og
    llm = og.LLM(private_key="0x...", profile="local")
    llm.ensure_opg_approval(min_allowance=1)
    out = await llm.chat(model="og-devnet/mini", messages=[{"role": "user", "content": "Hello!"}],
                         x402_settlement_mode=og.x402SettlementMode.PRIVATE)
    out.chat_output["content"], out.tee_id, out.data_settlement_transaction_hash
    out.tee_verification.verified        # og-tui checked the TEE's signature against the registry

    hub = og.ModelHub(email, password, profile="local")
    alpha = og.Alpha(private_key="0x...", profile="local")

Names that differ between the generations live here: ``LLM`` is the client class (0.5.13's
``og_tui.sdk.LLM`` is an enum of models), ``x402SettlementMode`` has ``PRIVATE`` /
``BATCH_HASHED``, ``TEE_LLM`` has 1.1.4's models, ``TextGenerationOutput`` and
``StreamChunk`` carry the TEE proof, usage and the settlement. The types both generations
share are og-tui's one set (:mod:`og_tui.core.types`); ``Alpha`` and ``ModelHub`` are
:mod:`og_tui.sdk.clients`'s. Everything runs over the same core as the rest of og-tui.
"""

from __future__ import annotations

from og_tui.core.types import (
    CandleOrder,
    CandleType,
    FileUploadResult,
    HistoricalInputQuery,
    InferenceMode,
    InferenceResult,
    ModelOutput,
    ModelRepository,
    SchedulerParams,
    StreamChoice,
    StreamDelta,
    StreamUsage,
    TextGenerationStream,
)
from og_tui.sdk.clients import Alpha, ModelHub
from og_tui.sdk.v1.llm import LLM
from og_tui.sdk.v1.types import (
    TEE_LLM,
    Permit2ApprovalResult,
    ResponseFormat,
    StreamChunk,
    TextGenerationOutput,
    x402SettlementMode,
)

__all__ = [
    "LLM",
    "Alpha",
    "ModelHub",
    "TEE_LLM",
    "InferenceMode",
    "HistoricalInputQuery",
    "SchedulerParams",
    "CandleType",
    "CandleOrder",
    "ResponseFormat",
    "TextGenerationOutput",
    "TextGenerationStream",
    "x402SettlementMode",
    "InferenceResult",
    "ModelOutput",
    "ModelRepository",
    "FileUploadResult",
    "StreamChunk",
    "StreamChoice",
    "StreamDelta",
    "StreamUsage",
    "Permit2ApprovalResult",
]
