"""The OpenAI-style adapter of :mod:`og_tui.sdk.llm` (``openai_adapter``, ``OpenGradientOpenAI``):
``client.chat.completions.create(...)`` over an OpenGradient LLM, streaming or not, answering
with ``openai`` types when that package is installed and with plain attribute objects otherwise."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Dict, Generator, List, Optional, Sequence, Union

from og_tui.sdk._llm_shared import _FINISH, _make_llm_client, _mode, _nested_call, _text
from og_tui.sdk.exceptions import translating

__all__ = ["OpenGradientOpenAI", "openai_adapter"]


class _Obj(dict[str, Any]):
    """A dict with attribute access (the response shape when the openai package is absent)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def model_dump(self, **_: Any) -> dict[str, Any]:
        return {k: _plain(v) for k, v in self.items()}

    to_dict = model_dump

    def model_dump_json(self, **_: Any) -> str:
        return json.dumps(_plain(self))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _objects(value: Any) -> Any:
    if isinstance(value, dict):
        return _Obj({k: _objects(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_objects(v) for v in value]
    return value


def _openai_types() -> Any:
    try:
        from openai.types.chat import ChatCompletion, ChatCompletionChunk
    except ImportError:
        return None
    return ChatCompletion, ChatCompletionChunk


def _as_dict(message: Any) -> dict[str, Any]:
    if isinstance(message, dict):
        return dict(message)
    if hasattr(message, "model_dump"):
        data: dict[str, Any] = message.model_dump(exclude_none=True)
        return data
    raise TypeError(f"A message must be a dict or an openai message object, not {type(message).__name__}.")


def _openai_messages(messages: Sequence[Any]) -> List[dict[str, Any]]:
    out = []
    for m in messages:
        d = _plain(_as_dict(m))
        msg: Dict[str, Any] = {"role": d.get("role"), "content": _text(d.get("content"))}
        for key in ("name", "tool_call_id"):
            if d.get(key):
                msg[key] = d[key]
        if d.get("tool_calls"):
            msg["tool_calls"] = [_nested_call(tc, j) for j, tc in enumerate(d["tool_calls"])]
        out.append(msg)
    return out


def _finish(value: Optional[str], has_calls: bool) -> str:
    if value in _FINISH:
        return value
    return "tool_calls" if has_calls else "stop"


class _Completions:
    def __init__(self, owner: "OpenGradientOpenAI") -> None:
        self._owner = owner

    @translating()
    def create(
        self,
        model: Any,
        messages: Sequence[Any],
        tools: Optional[List[dict[str, Any]]] = None,
        tool_choice: Any = None,
        stream: bool = False,
        parallel_tool_calls: bool = False,
        max_tokens: int = 200,
        temperature: float = 0.25,
        stop: Union[str, List[str], None] = None,
        **_ignored: Any,
    ) -> Any:
        """Chat completion in OpenAI's response shape (``stream=True``: an iterator of chunks).

        ``parallel_tool_calls`` is accepted for compatibility (the network answers with at
        most what the model gives). Raises og-tui errors (ValidationError, LLMError,
        SpendCapExceeded...), which are also og_tui.sdk.exceptions classes."""
        owner = self._owner
        model_id = str(getattr(model, "value", model))
        msgs = _openai_messages(messages)
        if isinstance(stop, str):
            stop = [stop]
        kw = dict(
            mode=owner.mode,
            max_tokens=int(max_tokens),
            temperature=float(temperature),
            stop=stop,
            tools=list(tools) if tools else None,
            tool_choice=tool_choice if tools else None,
        )
        if stream:
            return _ChunkIterator(owner, model_id, owner.llm.chat(model_id, msgs, stream=True, **kw))
        out = owner.llm.chat(model_id, msgs, **kw)
        message = out.chat_output or {}
        calls = [_nested_call(tc, i) for i, tc in enumerate(message.get("tool_calls") or [])]
        meta = getattr(out, "meta", None)
        data = {
            "id": "chatcmpl-" + uuid.uuid4().hex,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model_id,
            "choices": [
                {
                    "index": 0,
                    "logprobs": None,
                    "finish_reason": _finish(out.finish_reason, bool(calls)),
                    "message": {
                        "role": "assistant",
                        "content": message.get("content") if message.get("content") else (None if calls else ""),
                        "tool_calls": calls or None,
                        "function_call": None,
                        "refusal": None,
                    },
                }
            ],
            "usage": _usage(meta),
            "og": owner._og_info(meta, out.transaction_hash),
        }
        return owner._build(data, chunk=False)


def _empty_delta() -> Dict[str, Any]:
    return {"role": None, "content": None, "tool_calls": None, "function_call": None, "refusal": None}


def _usage(meta: Any) -> Optional[dict[str, Any]]:
    if meta is None:
        return None
    p, c = int(meta.prompt_tokens or 0), int(meta.completion_tokens or 0)
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


class _ChunkIterator:
    """Iterator of chunks in OpenAI's ``chat.completion.chunk`` shape (a context manager too)."""

    def __init__(self, owner: "OpenGradientOpenAI", model: str, stream: Any) -> None:
        self._owner = owner
        self._model = model
        self._stream = stream
        self.id = "chatcmpl-" + uuid.uuid4().hex
        self._created = int(time.time())
        self._gen = self._chunks()

    @property
    def meta(self) -> Any:
        return self._stream.meta

    def _chunk(
        self,
        delta: dict[str, Any],
        finish: Optional[str] = None,
        usage: Optional[dict[str, Any]] = None,
        og: Optional[dict[str, Any]] = None,
    ) -> Any:
        data: Dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }
        if usage is not None:
            data["usage"] = usage
        if og is not None:
            data["og"] = og
        return self._owner._build(data, chunk=True)

    def _chunks(self) -> Generator[Any, None, None]:
        first = True
        saw_calls = False
        try:
            for chunk in self._stream:
                for ch in chunk.choices:
                    delta: Dict[str, Any] = _empty_delta()
                    if first:
                        delta["role"] = "assistant"
                    if ch.delta.content:
                        delta["content"] = ch.delta.content
                    if ch.delta.tool_calls:
                        saw_calls = True
                        delta["tool_calls"] = [
                            {
                                "index": tc.get("index", i),
                                "id": tc.get("id") or None,
                                "type": "function",
                                "function": {
                                    "name": (tc.get("function") or {}).get("name") or None,
                                    "arguments": (tc.get("function") or {}).get("arguments") or "",
                                },
                            }
                            for i, tc in enumerate(ch.delta.tool_calls)
                        ]
                    if first or delta["content"] is not None or delta["tool_calls"] is not None:
                        first = False
                        yield self._chunk(delta)
                    if ch.finish_reason:
                        meta = self._stream.meta
                        yield self._chunk(
                            _empty_delta(),
                            _finish(ch.finish_reason, saw_calls),
                            _usage(meta),
                            self._owner._og_info(meta, meta.transaction_hash),
                        )
        finally:
            self._stream.close()

    def __iter__(self) -> "_ChunkIterator":
        return self

    def __next__(self) -> Any:
        return next(self._gen)

    def close(self) -> None:
        self._gen.close()
        self._stream.close()

    def __enter__(self) -> "_ChunkIterator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _ChatNamespace:
    def __init__(self, owner: "OpenGradientOpenAI") -> None:
        self.completions = _Completions(owner)


class OpenGradientOpenAI:
    """What :func:`openai_adapter` returns: ``.chat.completions.create(...)`` like ``openai.OpenAI``."""

    def __init__(self, llm: Any, mode: Any = "VANILLA", use_openai_types: Optional[bool] = None) -> None:
        self.llm = llm
        self.mode = _mode(mode)
        types = _openai_types() if use_openai_types is not False else None
        if use_openai_types and types is None:
            raise ImportError("use_openai_types=True needs the openai package (pip install openai).")
        self._types = types
        self.chat = _ChatNamespace(self)

    def _og_info(self, meta: Any, tx: Optional[str]) -> dict[str, Any]:
        info: Dict[str, Any] = {"mode": self.mode.name}
        if tx and tx != "external":
            info["transaction_hash"] = tx
        if meta is not None:
            info["cost"] = str(meta.cost)
            info["backend"] = meta.backend
            if meta.payment_hash:
                info["payment_hash"] = meta.payment_hash
        return info

    def _build(self, data: dict[str, Any], *, chunk: bool) -> Any:
        if self._types is not None:
            cls = self._types[1] if chunk else self._types[0]
            return cls.model_validate(data)
        return _objects(data)

    def close(self) -> None:
        self.llm.close()


def openai_adapter(
    private_key: str,
    *,
    mode: Any = "VANILLA",
    profile: Any = None,
    rpc_url: Optional[str] = None,
    llm_url: Optional[str] = None,
    spend_caps: Any = None,
    use_openai_types: Optional[bool] = None,
) -> OpenGradientOpenAI:
    """An OpenAI-client-shaped object over OpenGradient LLMs (VANILLA on chain by default).

    ``client.chat.completions.create(model, messages, tools=None, tool_choice=None,
    stream=False, parallel_tool_calls=False, max_tokens=200, temperature=0.25)``.
    Returns openai types when the package is installed (``use_openai_types=False``
    forces the plain objects), else attribute-access objects of the same shape.
    """
    llm = _make_llm_client(private_key, profile=profile, rpc_url=rpc_url, llm_url=llm_url, spend_caps=spend_caps)
    return OpenGradientOpenAI(llm, mode=mode, use_openai_types=use_openai_types)
