"""Pure conversions between og-tui's core replies and the 1.x result types (no I/O).

The TEE that answered is described by a :class:`TeeInfo` (the registry's id, endpoint and
payment address of a pinned TEE; for a client built with ``LLM.from_url`` only the endpoint,
as in 1.1.4). The rest of each result comes from core's ``ReplyMeta``: usage, finish reason,
payment hash, the settlement transaction / blob id of x402 v2, and the TEE proof check
(``meta.tee``, whose signature and timestamp are the reply's own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from og_tui.core.types import StreamChoice, StreamDelta, StreamUsage
from og_tui.sdk.v1.types import ResponseFormat, StreamChunk, TextGenerationOutput

__all__ = [
    "TeeInfo",
    "bare_hex",
    "usage_of",
    "request_extras",
    "check_response_format",
    "output_of",
    "chunk_of",
    "finish_chunk",
    "tools_chunk",
    "tokens_of",
]


@dataclass(frozen=True)
class TeeInfo:
    """The TEE a client sends to: ``tee_id`` as 1.1.4 writes it (lower-case hex, no ``0x``)."""

    endpoint: str
    tee_id: Optional[str] = None
    payment_address: Optional[str] = None

    @classmethod
    def of(cls, tee: Any, endpoint: str) -> "TeeInfo":
        """From a core ``TeeEndpoint`` (None: a client on a fixed URL, no registry identity)."""
        if tee is None:
            return cls(endpoint=endpoint)
        return cls(endpoint=tee.endpoint, tee_id=bare_hex(tee.tee_id), payment_address=tee.payment_address)


def bare_hex(value: Optional[str]) -> Optional[str]:
    """``0xAB..`` -> ``ab..`` (how 1.1.4 writes TEE ids and transaction hashes); None stays None."""
    if not value:
        return None
    text = str(value).lower()
    return text[2:] if text.startswith("0x") else text


def tokens_of(amount: float) -> int:
    """OPG (18 decimals) in base units, computed as 1.1.4 does."""
    return int(amount * 10**18)


def usage_of(meta: Any) -> Optional[Dict[str, int]]:
    """``{"prompt_tokens", "completion_tokens", "total_tokens"}`` of a reply's ReplyMeta."""
    if meta is None:
        return None
    prompt, completion = int(meta.prompt_tokens or 0), int(meta.completion_tokens or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def check_response_format(model: str, response_format: Optional[ResponseFormat]) -> None:
    """1.1.4's rule: Anthropic models take no ``json_object`` (a ``json_schema`` is needed)."""
    if response_format is not None and not isinstance(response_format, ResponseFormat):
        raise ValueError(
            f"response_format must be a ResponseFormat (og.ResponseFormat(type=...)), not {type(response_format).__name__}."
        )
    if response_format is not None and response_format.type == "json_object":
        if str(model).split("/")[0] == "anthropic":
            raise ValueError(
                "Anthropic models do not support response_format type 'json_object'. "
                "Use ResponseFormat(type='json_schema', json_schema={...}) with an explicit schema instead."
            )


def request_extras(response_format: Optional[ResponseFormat] = None, web_search: bool = False) -> Dict[str, Any]:
    """The request body fields core's client does not set itself."""
    extra: Dict[str, Any] = {}
    if response_format is not None:
        extra["response_format"] = response_format.to_dict()
    if web_search:
        extra["web_search"] = True
    return extra


def _proof(meta: Any) -> tuple[Optional[str], Optional[int]]:
    check = getattr(meta, "tee", None) if meta is not None else None
    if check is None:
        return None, None
    return (check.signature or None), (check.timestamp or None)


def output_of(result: Any, tee: TeeInfo) -> TextGenerationOutput:
    """A core ChatResult (chat or completion) as 1.x's TextGenerationOutput."""
    meta = getattr(result, "meta", None)
    signature, timestamp = _proof(meta)
    message = result.chat_output
    if isinstance(message, dict) and isinstance(message.get("content"), list):
        message = dict(message)
        message["content"] = " ".join(
            b.get("text", "") for b in message["content"] if isinstance(b, dict) and b.get("type") == "text"
        ).strip()
    return TextGenerationOutput(
        data_settlement_transaction_hash=getattr(meta, "settlement_tx", None) if _v2_settled(meta) else None,
        data_settlement_blob_id=getattr(meta, "settlement_blob", None),
        finish_reason=result.finish_reason,
        chat_output=message,
        completion_output=result.completion_output,
        images=(message or {}).get("images") if isinstance(message, dict) else None,
        usage=usage_of(meta),
        payment_hash=result.payment_hash,
        tee_signature=signature,
        tee_timestamp=timestamp,
        tee_id=tee.tee_id,
        tee_endpoint=tee.endpoint,
        tee_payment_address=tee.payment_address,
        tee_verification=getattr(meta, "tee", None),
    )


def _v2_settled(meta: Any) -> bool:
    """A settlement transaction counts only when x402 v2 reported one for this reply."""
    return meta is not None and getattr(meta, "x402_version", 0) == 2 and bool(getattr(meta, "settlement_tx", None))


def chunk_of(chunk: Any) -> StreamChunk:
    """A core StreamChunk as 1.x's (the TEE and settlement fields are set on the final one)."""
    return StreamChunk(
        choices=[
            StreamChoice(
                delta=StreamDelta(content=c.delta.content, role=c.delta.role, tool_calls=c.delta.tool_calls),
                index=c.index,
                finish_reason=c.finish_reason,
            )
            for c in chunk.choices
        ],
        model=chunk.model or "unknown",
        usage=StreamUsage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens, chunk.usage.total_tokens)
        if chunk.usage is not None
        else None,
        is_final=bool(chunk.is_final),
    )


def finish_chunk(chunk: StreamChunk, frame: Optional[Dict[str, Any]], meta: Any, tee: TeeInfo) -> StreamChunk:
    """Put the proof of the stream's signed frame, the settlement and the TEE on its final chunk."""
    frame = frame or {}
    chunk.tee_signature = frame.get("tee_signature", chunk.tee_signature)
    chunk.tee_timestamp = frame.get("tee_timestamp", chunk.tee_timestamp)
    chunk.data_settlement_transaction_hash = frame.get("data_settlement_transaction_hash") or (
        getattr(meta, "settlement_tx", None) if _v2_settled(meta) else None
    )
    chunk.data_settlement_blob_id = frame.get("data_settlement_blob_id") or getattr(meta, "settlement_blob", None)
    chunk.images = frame.get("images", chunk.images)
    chunk.tee_id, chunk.tee_endpoint, chunk.tee_payment_address = tee.tee_id, tee.endpoint, tee.payment_address
    chunk.tee_verification = getattr(meta, "tee", None)
    return chunk


def tools_chunk(out: TextGenerationOutput, model: str) -> StreamChunk:
    """A finished tool-call chat as the single final chunk of a stream (1.1.4 does not stream tool calls)."""
    message = out.chat_output or {}
    calls: Optional[List[Dict[str, Any]]] = message.get("tool_calls")
    return StreamChunk(
        choices=[
            StreamChoice(
                delta=StreamDelta(role=message.get("role"), content=message.get("content"), tool_calls=calls),
                index=0,
                finish_reason=out.finish_reason,
            )
        ],
        model=model,
        is_final=True,
        tee_signature=out.tee_signature,
        tee_timestamp=out.tee_timestamp,
        tee_id=out.tee_id,
        tee_endpoint=out.tee_endpoint,
        tee_payment_address=out.tee_payment_address,
        data_settlement_transaction_hash=out.data_settlement_transaction_hash,
        data_settlement_blob_id=out.data_settlement_blob_id,
        images=out.images,
        tee_verification=out.tee_verification,
    )
