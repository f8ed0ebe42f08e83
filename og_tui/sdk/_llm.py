"""LLM functions of the seed SDK API: llm_chat, llm_completion (thin wrappers over core.llm).

TEE goes over HTTP to the profile's ``llm_url`` paid with x402 (no spend caps, as in the
reference SDK); VANILLA runs on chain. Unlike the reference, a failing stream raises
instead of yielding nothing. ``transaction_hash`` of on-chain results is hex without
``0x`` (as the reference returns it); HTTP results say ``"external"``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from og_tui.core.types import LLM, LlmInferenceMode, TextGenerationOutput, TextGenerationStream, x402SettlementMode
from og_tui.sdk._state import SdkClient, _require_client

if TYPE_CHECKING:
    from og_tui.core.llm import LLMClient

__all__ = ["llm_chat", "llm_completion"]

_lock = threading.Lock()


def _llm(client: SdkClient) -> LLMClient:
    from og_tui.core.llm import LLMClient

    with _lock:
        llm = client._og_llm
        if llm is None:
            profile = client.profile
            if profile is None:
                from og_tui.core.config import builtin_profiles

                profile = builtin_profiles()["opengradient"].replace(rpc_url=client.rpc_url, inference_contract=client.contract_address)
            else:
                profile = profile.replace(rpc_url=client.rpc_url, inference_contract=client.contract_address)
            llm = LLMClient(profile, client.require_account(), chain=client.chain)
            client._og_llm = llm
    return llm


def _strip(result: TextGenerationOutput) -> TextGenerationOutput:
    if result.transaction_hash and result.transaction_hash.startswith("0x"):
        result.transaction_hash = result.transaction_hash[2:]
    return result


def llm_chat(
    model_cid: LLM,
    messages: List[Dict[str, Any]],
    inference_mode: LlmInferenceMode = LlmInferenceMode.VANILLA,
    max_tokens: int = 100,
    stop_sequence: Optional[List[str]] = None,
    temperature: float = 0.0,
    tools: Optional[List[Dict[str, Any]]] = None,
    tool_choice: Optional[str] = None,
    max_retries: Optional[int] = None,
    x402_settlement_mode: Optional[x402SettlementMode] = x402SettlementMode.SETTLE_BATCH,
    stream: Optional[bool] = False,
) -> Union[TextGenerationOutput, TextGenerationStream]:
    """Have a chat conversation with an LLM (VANILLA on chain, TEE over HTTP with x402).

    Returns TextGenerationOutput, or a TextGenerationStream of StreamChunk when ``stream``.
    Raises RuntimeError if the SDK is not initialized; og_tui errors on failure.
    """
    client = _require_client()
    out = _llm(client).chat(model_cid, messages, mode=inference_mode, max_tokens=max_tokens, temperature=temperature,
                            stop=stop_sequence, tools=tools, tool_choice=tool_choice,
                            settlement=x402_settlement_mode, stream=bool(stream))
    # chat gives a stream exactly when asked to
    return _strip(out) if isinstance(out, TextGenerationOutput) else out


def llm_completion(
    model_cid: LLM,
    prompt: str,
    inference_mode: LlmInferenceMode = LlmInferenceMode.VANILLA,
    max_tokens: int = 100,
    stop_sequence: Optional[List[str]] = None,
    temperature: float = 0.0,
    max_retries: Optional[int] = None,
    x402_settlement_mode: Optional[x402SettlementMode] = x402SettlementMode.SETTLE_BATCH,
) -> TextGenerationOutput:
    """Generate a text completion (VANILLA on chain, TEE over HTTP with x402)."""
    client = _require_client()
    return _strip(_llm(client).completion(model_cid, prompt, mode=inference_mode, max_tokens=max_tokens,
                                          temperature=temperature, stop=stop_sequence, settlement=x402_settlement_mode))
