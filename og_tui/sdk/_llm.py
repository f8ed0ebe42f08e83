"""LLM functions of the seed SDK API: llm_chat, llm_completion (thin wrappers over core.llm).

TEE goes over HTTP to the profile's ``llm_url`` paid with x402 (no spend caps, as in the
reference SDK); VANILLA runs on chain. Unlike the reference, a failing stream raises
instead of yielding nothing. Results are the reference's: a plain TextGenerationOutput,
``transaction_hash`` hex without ``0x`` on chain and ``"external"`` over HTTP, on-chain
``chat_output`` with all five message fields (``tool_calls: []`` when there are none);
``stream=True`` on chain returns the whole result, as the reference does.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from og_tui.core.errors import OGError
from og_tui.core.types import LLM, LlmInferenceMode, StreamChunk, TextGenerationOutput, x402SettlementMode
from og_tui.sdk._state import SdkClient, _require_client
from og_tui.sdk.exceptions import translate, translating
from og_tui.sdk.types import TextGenerationStream

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
                from og_tui.core.profiles import builtin_profiles

                profile = builtin_profiles()["opengradient"].replace(
                    rpc_url=client.rpc_url, inference_contract=client.contract_address
                )
            else:
                profile = profile.replace(rpc_url=client.rpc_url, inference_contract=client.contract_address)
            llm = LLMClient(profile, client.require_account(), chain=client.chain)
            client._og_llm = llm
    return llm


def _onchain_message(message: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The reference's on-chain ``chat_output``: every field of the contract's message, ``[]`` when no tool calls."""
    message = dict(message or {})
    shaped = {
        "role": message.pop("role", "assistant"),
        "content": message.pop("content", ""),
        "name": message.pop("name", ""),
        "tool_call_id": message.pop("tool_call_id", ""),
        "tool_calls": [dict(tc) for tc in (message.pop("tool_calls", None) or [])],
    }
    shaped.update(message)
    return shaped


def _plain(result: TextGenerationOutput, onchain: bool) -> TextGenerationOutput:
    """The reference's result object: a TextGenerationOutput with its five fields, hash without 0x."""
    tx = result.transaction_hash or ""
    if tx.startswith("0x"):
        tx = tx[2:]
    chat = result.chat_output
    if onchain and chat is not None:
        chat = _onchain_message(chat)
    payment = result.payment_hash
    if not onchain and payment is None:
        payment = ""  # the reference reports "" when the gateway sent no payment hash
    return TextGenerationOutput(
        transaction_hash=tx,
        finish_reason=result.finish_reason,
        chat_output=chat,
        completion_output=result.completion_output,
        payment_hash=payment,
    )


def _is_onchain(mode: Any) -> bool:
    from og_tui.core.llm import _mode_of

    return _mode_of(mode) == LlmInferenceMode.VANILLA


class _SdkStream(TextGenerationStream):
    """A core chat stream whose og-tui errors surface as SDK exceptions."""

    def __next__(self) -> StreamChunk:
        try:
            return super().__next__()
        except OGError as exc:
            raise translate(exc) from exc.__cause__


def _chat(
    client: SdkClient,
    model_cid: Any,
    messages: List[Dict[str, Any]],
    inference_mode: Any,
    max_tokens: int,
    stop_sequence: Optional[List[str]],
    temperature: float,
    tools: Optional[List[Dict[str, Any]]],
    tool_choice: Optional[str],
    x402_settlement_mode: Any,
    stream: Optional[bool],
) -> Union[TextGenerationOutput, TextGenerationStream]:
    onchain = _is_onchain(inference_mode)
    # on chain the reference ignores ``stream`` and returns the whole result
    want_stream = bool(stream) and not onchain
    if onchain and not tool_choice:
        # the reference's on-chain request: "auto" whenever a tools list is passed, even an empty one
        tool_choice = "" if tools is None else "auto"
    out = _llm(client).chat(
        model_cid,
        messages,
        mode=inference_mode,
        max_tokens=max_tokens,
        temperature=temperature,
        stop=stop_sequence,
        tools=tools,
        tool_choice=tool_choice,
        settlement=x402_settlement_mode,
        stream=want_stream,
    )
    if isinstance(out, TextGenerationOutput):
        return _plain(out, onchain)
    return _SdkStream(out, on_close=getattr(out, "close", None))


def _completion(
    client: SdkClient,
    model_cid: Any,
    prompt: str,
    inference_mode: Any,
    max_tokens: int,
    stop_sequence: Optional[List[str]],
    temperature: float,
    x402_settlement_mode: Any,
) -> TextGenerationOutput:
    out = _llm(client).completion(
        model_cid,
        prompt,
        mode=inference_mode,
        max_tokens=max_tokens,
        temperature=temperature,
        stop=stop_sequence,
        settlement=x402_settlement_mode,
    )
    result = _plain(out, _is_onchain(inference_mode))
    result.finish_reason = None  # the reference reports no finish reason for completions
    return result


@translating()
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

    Returns TextGenerationOutput; with ``stream`` and TEE an iterator of StreamChunk (on
    chain, as the reference, the whole result). Raises RuntimeError if the SDK is not
    initialized; og_tui errors (also og_tui.sdk.exceptions classes) on failure.
    """
    return _chat(
        _require_client(),
        model_cid,
        messages,
        inference_mode,
        max_tokens,
        stop_sequence,
        temperature,
        tools,
        tool_choice,
        x402_settlement_mode,
        stream,
    )


@translating()
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
    return _completion(
        _require_client(),
        model_cid,
        prompt,
        inference_mode,
        max_tokens,
        stop_sequence,
        temperature,
        x402_settlement_mode,
    )
