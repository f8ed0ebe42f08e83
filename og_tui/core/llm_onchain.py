"""LLM chat and completion on chain (VANILLA): ``runLLMChat`` / ``runLLMCompletion``.

The request is ABI-encoded and sent as a transaction to the profile's inference hub
contract through the client's ChainClient; the answer is decoded from the
``LLMChatResult`` / ``LLMCompletionResult`` event of the receipt. ``client`` is an
:class:`og_tui.core.llm.LLMClient` (its ``signer``, ``chain`` and ``profile``).
eth_abi and eth_utils are imported inside the functions.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Optional

from og_tui.core.errors import LLMError, PaymentError, ValidationError
from og_tui.core.llm_stream import ChatResult, ReplyMeta
from og_tui.core.types import LlmInferenceMode

__all__ = [
    "chat_onchain",
    "completion_onchain",
    "bare_model",
    "CHAT_REQUEST_TYPE",
    "CHAT_RESPONSE_TYPE",
    "COMPLETION_REQUEST_TYPE",
    "COMPLETION_RESPONSE_TYPE",
    "SIG_RUN_LLM_CHAT",
    "SIG_RUN_LLM_COMPLETION",
    "SIG_LLM_CHAT_RESULT",
    "SIG_LLM_COMPLETION_RESULT",
]

# --- ABI of the on-chain LLM methods (inference hub, see core/abi/inference_hub.json) -------------
LLM_TOOL_CALL_TYPE = "(string,string,string)"
LLM_MESSAGE_TYPE = f"(string,string,string,string,{LLM_TOOL_CALL_TYPE}[])"
LLM_TOOL_TYPE = "(string,string,string)"
CHAT_REQUEST_TYPE = f"(uint8,string,{LLM_MESSAGE_TYPE}[],{LLM_TOOL_TYPE}[],string,uint32,string[],uint32)"
CHAT_RESPONSE_TYPE = f"(string,{LLM_MESSAGE_TYPE})"
COMPLETION_REQUEST_TYPE = "(uint8,string,string,uint32,string[],uint32)"
COMPLETION_RESPONSE_TYPE = "(string)"
SIG_RUN_LLM_CHAT = f"runLLMChat({CHAT_REQUEST_TYPE})"  # 0xe39aa7e7
SIG_RUN_LLM_COMPLETION = f"runLLMCompletion({COMPLETION_REQUEST_TYPE})"  # 0x14800c61
SIG_LLM_CHAT_RESULT = f"LLMChatResult({CHAT_RESPONSE_TYPE})"
SIG_LLM_COMPLETION_RESULT = f"LLMCompletionResult({COMPLETION_RESPONSE_TYPE})"


def bare_model(model: Any) -> str:
    """``openai/gpt-4o`` -> ``gpt-4o`` (the HTTP and on-chain model name)."""
    text = str(getattr(model, "value", model))
    return text.split("/", 1)[1] if "/" in text else text


def _meta(model: Any, mode: LlmInferenceMode, kind: str, settlement: Optional[str]) -> ReplyMeta:
    return ReplyMeta(model=str(getattr(model, "value", model)), mode=mode.name, kind=kind, settlement_mode=settlement)


def _send_tx(client: Any, data: bytes, meta: ReplyMeta, event_sig: str) -> tuple[Any, bytes]:
    from eth_utils.crypto import keccak

    if client.signer is None:
        raise PaymentError("On-chain (VANILLA) LLM calls are transactions: unlock a wallet first.")
    from og_tui.core.history import TxRecorder

    recorder = TxRecorder(
        getattr(client, "store", None),
        getattr(client.profile, "name", "") or "",
        "llm",
        from_addr=client.signer.address,
        to_addr=client.profile.inference_contract,
        detail={"model": meta.model, "kind": meta.kind},
    )
    try:
        outcome = client.chain.send(
            client.signer,
            {"to": client.profile.inference_contract, "data": "0x" + data.hex()},
            gas_margin=1.5,
            label="LLM request",
            on_status=recorder,
        )
    except BaseException as exc:
        recorder.failed(exc)
        raise
    meta.transaction_hash = outcome.hash
    meta.gas_fee_wei = outcome.gas_used * (outcome.gas_price or 0)
    meta.elapsed_s = time.monotonic() - meta.started
    topic0 = "0x" + keccak(text=event_sig).hex()
    for entry in (outcome.receipt or {}).get("logs", []):
        topics = entry.get("topics") or []
        if topics and topics[0].lower() == topic0:
            return outcome, bytes.fromhex(entry["data"][2:])
    raise LLMError(f"The LLM transaction {outcome.hash} was mined but carries no {event_sig.split('(')[0]} event.")


def chat_onchain(
    client: Any,
    model: Any,
    messages: List[dict[str, Any]],
    max_tokens: int,
    temperature: float,
    stop: Optional[List[str]],
    tools: List[dict[str, Any]],
    tool_choice: Any,
) -> ChatResult:
    from eth_abi.abi import decode, encode
    from eth_utils.crypto import keccak

    msgs = []
    for m in messages:
        content = m.get("content")
        if content is None:
            content = ""
        if not isinstance(content, str):
            raise ValidationError("On-chain chat messages need text content.", field="messages")
        calls = []
        for tc in m.get("tool_calls") or []:
            fn = tc.get("function") if isinstance(tc.get("function"), dict) else tc
            args = fn.get("arguments", "")
            calls.append((tc.get("id", ""), fn.get("name", ""), args if isinstance(args, str) else json.dumps(args)))
        msgs.append((m["role"], content, m.get("name") or "", m.get("tool_call_id") or "", calls))
    flat_tools = [
        (
            t["function"].get("description", "") or "",
            t["function"]["name"],
            json.dumps(t["function"].get("parameters") or {}),
        )
        for t in tools
    ]
    if isinstance(tool_choice, dict):
        tool_choice = (tool_choice.get("function") or {}).get("name", "")
    choice = tool_choice if tool_choice not in (None,) else ("auto" if tools else "")
    request = (
        0,
        bare_model(model),
        msgs,
        flat_tools,
        choice or "",
        int(max_tokens),
        list(stop or []),
        int(float(temperature) * 100),
    )
    data = keccak(text=SIG_RUN_LLM_CHAT)[:4] + encode([CHAT_REQUEST_TYPE], [request])
    meta = _meta(model, LlmInferenceMode.VANILLA, "chat", None)
    meta.backend = "chain"
    outcome, event = _send_tx(client, data, meta, SIG_LLM_CHAT_RESULT)
    finish, (role, content, name, tool_call_id, tool_calls) = decode([CHAT_RESPONSE_TYPE], event)[0]
    message: Dict[str, Any] = {"role": role, "content": content}
    if tool_calls:
        message["tool_calls"] = [{"id": i, "name": n, "arguments": a} for i, n, a in tool_calls]
    meta.finish_reason = finish
    meta.completion_tokens = len((content or "").split()) if content else len(tool_calls)
    return ChatResult(transaction_hash=outcome.hash, finish_reason=finish, chat_output=message, meta=meta)


def completion_onchain(
    client: Any, model: Any, prompt: str, max_tokens: int, temperature: float, stop: Optional[List[str]]
) -> ChatResult:
    from eth_abi.abi import decode, encode
    from eth_utils.crypto import keccak

    request = (0, bare_model(model), prompt, int(max_tokens), list(stop or []), int(float(temperature) * 100))
    data = keccak(text=SIG_RUN_LLM_COMPLETION)[:4] + encode([COMPLETION_REQUEST_TYPE], [request])
    meta = _meta(model, LlmInferenceMode.VANILLA, "completion", None)
    meta.backend = "chain"
    outcome, event = _send_tx(client, data, meta, SIG_LLM_COMPLETION_RESULT)
    (answer,) = decode([COMPLETION_RESPONSE_TYPE], event)[0]
    meta.completion_tokens = len(answer.split())
    return ChatResult(transaction_hash=outcome.hash, completion_output=answer, meta=meta)
