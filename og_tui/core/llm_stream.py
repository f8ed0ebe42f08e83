"""Replies of the LLM client: metadata, a finished result, and the SSE token stream.

:class:`ChatStream` is an iterator of :class:`StreamChunk` read from a server-sent
events response (OpenAI's ``data: {json}`` chunks ending with ``data: [DONE]``), parsed
by ``httpx-sse``: multi-line ``data:``, comments, ``event:`` and ``id:`` follow the SSE
spec; an ``event: error`` is reported like an ``{"error": ...}`` chunk.
``close()`` may be called from another thread: it shuts the socket so a blocked read
returns at once. A stream that breaks off raises :class:`StreamInterrupted` carrying
the partial text; an ``{"error": ...}`` event before any text raises the matching
:class:`LLMError`.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional

import httpx
from httpx_sse import EventSource, SSEError

from og_tui.core.errors import LLMError, StreamInterrupted, UpstreamUnavailable
from og_tui.core.types import (
    StreamChoice,
    StreamChunk,
    StreamDelta,
    StreamUsage,
    TextGenerationOutput,
    TextGenerationStream,
)

_log = logging.getLogger(__name__)

__all__ = ["ReplyMeta", "ChatResult", "ChatStream", "stream_of"]

_DONE: dict[str, Any] = {}  # the ``data: [DONE]`` event (compared by identity)


@dataclass
class ReplyMeta:
    """What the UI shows under a reply."""

    model: str
    mode: str  # "TEE" | "VANILLA"
    kind: str = "chat"  # "chat" | "completion"
    backend: Optional[str] = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    started: float = field(default_factory=time.monotonic)
    first_token_s: Optional[float] = None
    elapsed_s: float = 0.0
    cost: int = 0  # atomic payment-token units (TEE); 0 on chain
    cost_text: str = ""
    payer: Optional[str] = None
    payee: Optional[str] = None
    payment_hash: Optional[str] = None  # x-processing-hash
    settlement_mode: Optional[str] = None
    settlement_status: Optional[str] = None  # settled | queued | pending | failed
    settlement_tx: Optional[str] = None
    settlement_blob: Optional[str] = None  # x402 v2 batch: x-settlement-walrus-blob-id
    x402_version: int = 0  # 1 or 2 when paid over x402
    payment_scheme: Optional[str] = None  # exact | upto
    payment_token: Optional[str] = None  # OUSDC | OPG
    transaction_hash: Optional[str] = None  # VANILLA tx
    gas_fee_wei: Optional[int] = None
    finish_reason: Optional[str] = None
    interrupted: bool = False
    cancelled: bool = False
    #: the TEE proof check of a TEE reply (og_tui.core.tee_proof.TeeVerification); None: not checked
    tee: Optional[Any] = None

    @property
    def tokens(self) -> int:
        return self.completion_tokens

    @property
    def tokens_per_s(self) -> float:
        span = self.elapsed_s - (self.first_token_s or 0.0) if self.first_token_s is not None else self.elapsed_s
        if self.completion_tokens <= 1 or span <= 0:
            return float(self.completion_tokens) / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return (self.completion_tokens - 1) / span

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("started", None)
        d["cost"] = str(self.cost)
        d["tokens_per_s"] = round(self.tokens_per_s, 2)
        return d


@dataclass
class ChatResult(TextGenerationOutput):
    """TextGenerationOutput plus the reply's metadata."""

    meta: Optional[ReplyMeta] = None


def _merge_tool_deltas(acc: Dict[int, dict[str, Any]], deltas: list[Any]) -> None:
    for tc in deltas or []:
        idx = int(tc.get("index", len(acc)) or 0)
        slot = acc.setdefault(idx, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
        if tc.get("id"):
            slot["id"] = tc["id"]
        fn = tc.get("function") or {}
        if fn.get("name"):
            slot["function"]["name"] += fn["name"]
        if fn.get("arguments"):
            slot["function"]["arguments"] += fn["arguments"]


class ChatStream(TextGenerationStream):
    """Iterator of StreamChunk from an SSE response; see the module docstring."""

    def __init__(
        self,
        response: Optional[httpx.Response],
        meta: ReplyMeta,
        *,
        cancel: Any = None,
        chunks: Optional[List[StreamChunk]] = None,
        on_done: Optional[Callable[["ChatStream"], None]] = None,
    ) -> None:
        self.response = response
        self.meta = meta
        self.cancel = cancel
        self._parts: List[str] = []
        self._tools: Dict[int, dict[str, Any]] = {}
        self.done = False
        self._closed_by_user = False
        self._lock = threading.Lock()
        self._on_done = on_done
        self.x402: dict[str, Any] = {}
        #: the ``id:`` of the last server-sent event that had one ("" when none did)
        self.last_event_id = ""
        #: the chunk that carried the TEE proof (``tee_signature`` ...), if any
        self.tee_frame: Optional[dict[str, Any]] = None
        source = iter(chunks) if chunks is not None else self._events()
        super().__init__(source)

    @property
    def tool_calls(self) -> List[dict[str, Any]]:
        return [self._tools[k] for k in sorted(self._tools)]

    @property
    def text(self) -> str:
        """The text received so far (the whole reply once the stream is done)."""
        return "".join(self._parts)

    def _cancelled(self) -> bool:
        c = self.cancel
        if c is None:
            return self._closed_by_user
        if hasattr(c, "is_set"):
            return bool(c.is_set()) or self._closed_by_user
        return bool(c()) or self._closed_by_user

    def __next__(self) -> StreamChunk:
        if self._cancelled() and not self.done:
            self.meta.cancelled = True
            self.close()
            raise StopIteration
        chunk = super().__next__()
        now = time.monotonic() - self.meta.started
        if chunk.content:
            if self.meta.first_token_s is None:
                self.meta.first_token_s = now
            self._parts.append(chunk.content)
        for ch in chunk.choices:
            if ch.delta.tool_calls:
                _merge_tool_deltas(self._tools, ch.delta.tool_calls)
            if ch.finish_reason:
                self.meta.finish_reason = ch.finish_reason
        if chunk.usage is not None:
            self.meta.prompt_tokens = chunk.usage.prompt_tokens
            self.meta.completion_tokens = chunk.usage.completion_tokens
        elif chunk.content:
            self.meta.completion_tokens += 1
        self.meta.elapsed_s = now
        return chunk

    def _events(self) -> Iterator[dict[str, Any]]:
        resp = self.response
        assert resp is not None
        try:
            source = EventSource(resp)
            for sse in source.iter_sse():
                if sse.id:
                    self.last_event_id = sse.id
                obj = self._event_object(sse.event, sse.data)
                if obj is None:
                    continue
                if obj is _DONE:
                    self._finish()
                    return
                if obj.get("error"):
                    raise self._error_event(obj["error"])
                if obj.get("backend") and not self.meta.backend:
                    self.meta.backend = obj["backend"]
                if isinstance(obj.get("x402"), dict):
                    self._settled(obj["x402"])
                if obj.get("tee_signature") is not None or obj.get("tee_id") is not None:
                    self.tee_frame = obj
                yield obj
        except SSEError:
            kind = resp.headers.get("content-type", "") or "no content type"
            raise LLMError(f"The LLM gateway answered {kind} instead of an event stream.") from None
        except (httpx.TransportError, httpx.StreamError) as exc:
            if self._cancelled():
                self.meta.cancelled = True
                return
            self.meta.interrupted = True
            self.meta.elapsed_s = time.monotonic() - self.meta.started
            raise StreamInterrupted(
                f"The stream from the LLM gateway broke off after {len(self._parts)} chunks ({type(exc).__name__}: {exc or 'connection lost'}).",
                partial_text="".join(self._parts),
                tool_calls=self.tool_calls,
                meta=self.meta,
            ) from None
        finally:
            self._close_response()
        if not self.done and not self._cancelled():
            self.meta.interrupted = True
            raise StreamInterrupted(
                "The stream from the LLM gateway ended without its final [DONE] event.",
                partial_text="".join(self._parts),
                tool_calls=self.tool_calls,
                meta=self.meta,
            )

    @staticmethod
    def _event_object(event: str, data: str) -> Optional[dict[str, Any]]:
        """One server-sent event as a chunk dict: ``_DONE`` for ``[DONE]``, ``{"error": ...}``
        for an error, None for events that carry no chunk."""
        if event not in ("message", "error"):
            return None  # named events an OpenAI chat stream does not define (e.g. "ping")
        text = data.strip()
        if event == "message" and text == "[DONE]":
            return _DONE
        try:
            obj = json.loads(text)
        except ValueError:
            return {"error": text or "the server sent an error event"} if event == "error" else None
        if event == "error":
            return obj if isinstance(obj, dict) and obj.get("error") else {"error": obj}
        return obj if isinstance(obj, dict) else None

    def _error_event(self, err: Any) -> LLMError:
        msg = err.get("message") if isinstance(err, dict) else str(err)
        code = err.get("code") if isinstance(err, dict) else None
        self.meta.interrupted = True
        if self._parts:
            return StreamInterrupted(
                f"The reply broke off: {msg}",
                partial_text="".join(self._parts),
                tool_calls=self.tool_calls,
                meta=self.meta,
            )
        cls = UpstreamUnavailable if code == "upstream_unavailable" else LLMError
        return cls(str(msg), code=code)

    def _settled(self, x402: dict[str, Any]) -> None:
        self.x402 = x402
        self.meta.settlement_tx = x402.get("transaction") or self.meta.settlement_tx
        self.meta.settlement_status = x402.get("status") or self.meta.settlement_status

    def _finish(self) -> None:
        self.done = True
        self.meta.elapsed_s = time.monotonic() - self.meta.started
        if self._on_done is not None:
            self._on_done(self)

    def _close_response(self) -> None:
        resp = self.response
        if resp is None:
            return
        try:
            resp.close()
        except Exception:  # noqa: BLE001
            _log.debug("closing a stream's response failed", exc_info=True)

    def close(self) -> None:
        """Stop the stream now (thread-safe): the HTTP connection is shut at once."""
        with self._lock:
            if not self.done:
                self._closed_by_user = True
                self.meta.cancelled = True
            resp = self.response
            if resp is not None and not self.done:
                stream = resp.extensions.get("network_stream")
                sock = None
                try:
                    sock = stream.get_extra_info("socket") if stream is not None else None
                except Exception:  # noqa: BLE001
                    sock = None
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
        try:
            super().close()
        except Exception:  # noqa: BLE001 - the generator is running in another thread
            _log.debug("the generator is running in another thread", exc_info=True)
        self.meta.elapsed_s = time.monotonic() - self.meta.started


def stream_of(result: ChatResult) -> ChatStream:
    """A finished on-chain result as a one-chunk stream (so a chat screen has one code path)."""
    msg = result.chat_output or {}
    calls = [
        {
            "index": i,
            "id": tc.get("id", ""),
            "type": "function",
            "function": {"name": tc.get("name", ""), "arguments": tc.get("arguments", "")},
        }
        for i, tc in enumerate(msg.get("tool_calls") or [])
    ]
    meta = result.meta or ReplyMeta(model="", mode="VANILLA")
    usage = StreamUsage(meta.prompt_tokens, meta.completion_tokens, meta.prompt_tokens + meta.completion_tokens)
    chunk = StreamChunk(
        choices=[
            StreamChoice(
                StreamDelta(content=msg.get("content") or None, role="assistant", tool_calls=calls or None),
                0,
                result.finish_reason,
            )
        ],
        model=meta.model,
        usage=usage,
        is_final=True,
    )
    s = ChatStream(None, meta, chunks=[chunk])
    s.done = True
    return s
