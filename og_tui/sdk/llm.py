"""``og_tui.sdk.llm``: OpenGradient LLMs behind LangChain and OpenAI-style interfaces.

    import og_tui.sdk as og
    from og_tui.sdk.llm import langchain_adapter, openai_adapter
    og.init(None, None, key, profile="local")                 # the adapters use these endpoints

    chat = langchain_adapter(key, "og-devnet/mini").bind_tools([tool])
    reply = chat.invoke([HumanMessage("...")])                 # AIMessage with .tool_calls
    for chunk in chat.stream("..."): ...                       # AIMessageChunk

    client = openai_adapter(key)
    resp = client.chat.completions.create(model="og-devnet/mini", messages=[...], tools=[...])
    resp.choices[0].message.tool_calls[0].function.arguments
    for chunk in client.chat.completions.create(..., stream=True): chunk.choices[0].delta

Same names as the reference SDK (protocol notes §6). Differences (deliberate):

- The endpoints are those of :func:`og_tui.sdk.init` (its ``profile``, ``rpc_url`` and
  ``contract_address``), or of a ``profile=`` (name or Profile) / ``rpc_url=`` /
  ``llm_url=`` keyword; without either, the public network. So they work on devnet.
- ``mode="VANILLA"`` (default, as the reference: ``runLLMChat`` on chain, a
  transaction per call) or ``mode="TEE"`` (HTTP paid with x402; ``spend_caps=`` applies).
- The OpenAI adapter can be constructed (the reference's raises TypeError), streams
  (``stream=True`` -> iterator of chunks in OpenAI's chunk shape) and works without the
  ``openai`` package: it then answers with plain objects that have attribute access,
  item access and ``model_dump()``; with the package installed it returns
  ``openai.types.chat.ChatCompletion`` / ``ChatCompletionChunk``. Both carry an extra
  ``og`` field (transaction hash, mode, cost).
- The LangChain model streams (``_stream``), honours ``bind(tools=...)`` as well as
  ``bind_tools`` (which, like the reference, sets the tools on the model and returns it),
  and turns tool-call arguments that are not JSON into ``invalid_tool_calls``.

The LangChain class needs ``langchain-core`` (``pip install 'og-tui[langchain]'``); it is
built on first use, so importing this module never requires it.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any, Dict, Generator, Iterator, List, Optional, Sequence, Union

from og_tui.core.types import LlmInferenceMode
from og_tui.sdk.exceptions import translating

if TYPE_CHECKING:
    from langchain_core.messages import InvalidToolCall, ToolCall

__all__ = ["langchain_adapter", "openai_adapter", "OpenGradientOpenAI", "OpenGradientChatModel"]  # noqa: F822 - the last is built lazily (__getattr__)

_FINISH = {"stop", "length", "tool_calls", "content_filter", "function_call"}


# --- shared: endpoints, signer, LLM client ----------------------------------------------------------


def _mode(mode: Any) -> LlmInferenceMode:
    from og_tui.core.llm import _mode_of

    return _mode_of(mode)


def _make_llm_client(
    private_key: Optional[str],
    *,
    profile: Any = None,
    rpc_url: Optional[str] = None,
    llm_url: Optional[str] = None,
    contract_address: Optional[str] = None,
    spend_caps: Any = None,
) -> Any:
    """An LLMClient for the adapter: endpoints from ``profile``/``rpc_url`` or og_tui.sdk.init."""
    from og_tui.core.config import builtin_profiles, load_settings
    from og_tui.core.llm import LLMClient
    from og_tui.sdk._state import get_client

    client = get_client()
    chain = None
    if profile is not None:
        prof = load_settings(profile).profile if isinstance(profile, str) else profile
    elif client is not None:
        prof = (client.profile or builtin_profiles()["opengradient"]).replace(
            rpc_url=client.rpc_url, inference_contract=client.contract_address
        )
        if rpc_url in (None, client.rpc_url):
            chain = client.chain
    else:
        prof = builtin_profiles()["opengradient"]
    changes = {}
    if rpc_url:
        changes["rpc_url"] = rpc_url
    if llm_url:
        changes["llm_url"] = llm_url
    if contract_address:
        changes["inference_contract"] = contract_address
    if changes:
        prof = prof.replace(**changes)
    signer = None
    if private_key:
        from eth_account import Account

        from og_tui.core.amounts import parse_private_key

        key = parse_private_key(private_key)
        signer = Account.from_key(key)
        del key
    elif client is not None:
        signer = client.account
    return LLMClient(prof, signer, caps=spend_caps, chain=chain)


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for p in content:
            if isinstance(p, str):
                parts.append(p)
            elif isinstance(p, dict) and isinstance(p.get("text"), str):
                parts.append(p["text"])
        return "".join(parts)
    return str(content)


def _nested_call(tc: dict[str, Any], index: int) -> dict[str, Any]:
    inner = tc.get("function")
    fn: dict[str, Any] = inner if isinstance(inner, dict) else tc
    args = fn.get("arguments", "")
    return {
        "id": tc.get("id") or f"call_{index}",
        "type": "function",
        "function": {"name": fn.get("name", ""), "arguments": args if isinstance(args, str) else json.dumps(args)},
    }


# --- LangChain ---------------------------------------------------------------------------------------

_LC_CLASS: Any = None


def _langchain_messages(messages: Sequence[Any]) -> List[dict[str, Any]]:
    """LangChain messages -> OpenAI-shaped dicts (System->system, Human->user, AI->assistant with
    tool calls, Tool->tool)."""
    out: List[dict[str, Any]] = []
    for m in messages:
        kind = getattr(m, "type", None)
        content = _text(getattr(m, "content", ""))
        if kind == "system":
            out.append({"role": "system", "content": content})
        elif kind == "human":
            out.append({"role": "user", "content": content})
        elif kind in ("ai", "AIMessageChunk"):
            msg: Dict[str, Any] = {"role": "assistant", "content": content}
            calls = [
                {
                    "id": tc.get("id") or f"call_{i}",
                    "type": "function",
                    "function": {"name": tc["name"], "arguments": json.dumps(tc.get("args") or {})},
                }
                for i, tc in enumerate(getattr(m, "tool_calls", None) or [])
            ]
            if calls:
                msg["tool_calls"] = calls
            out.append(msg)
        elif kind == "tool":
            out.append({"role": "tool", "content": content, "tool_call_id": getattr(m, "tool_call_id", "") or ""})
        elif kind == "chat":
            out.append({"role": getattr(m, "role", "user"), "content": content})
        elif kind == "function":
            out.append({"role": "tool", "content": content, "name": getattr(m, "name", "") or ""})
        else:
            raise ValueError(f"Unsupported message type {type(m).__name__}.")
    return out


def _lc_tool_calls(raw: Optional[List[Any]]) -> tuple[List[ToolCall], List[InvalidToolCall]]:
    from langchain_core.messages.tool import invalid_tool_call, tool_call

    calls: List[ToolCall] = []
    invalid: List[InvalidToolCall] = []
    for i, tc in enumerate(raw or []):
        n = _nested_call(tc, i)
        name, args, cid = n["function"]["name"], n["function"]["arguments"], n["id"]
        try:
            parsed = json.loads(args or "{}")
            if not isinstance(parsed, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            invalid.append(
                invalid_tool_call(name=name, args=args, id=cid, error=f"arguments are not a JSON object: {exc}")
            )
            continue
        calls.append(tool_call(name=name, args=parsed, id=cid))
    return calls, invalid


def _lc_tool_choice(choice: Any) -> Any:
    if choice is None or choice is False:
        return None
    if choice is True or choice == "any":
        return "required"
    if isinstance(choice, dict):
        return choice
    return str(choice)


def _chat_model_class() -> Any:
    global _LC_CLASS
    if _LC_CLASS is not None:
        return _LC_CLASS
    try:
        from langchain_core.callbacks import CallbackManagerForLLMRun
        from langchain_core.language_models.chat_models import BaseChatModel
        from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
        from langchain_core.messages.tool import tool_call_chunk
        from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
        from langchain_core.utils.function_calling import convert_to_openai_tool
    except ImportError:
        raise ImportError("The LangChain adapter needs langchain-core: pip install 'og-tui[langchain]'.") from None
    from pydantic import ConfigDict, Field, PrivateAttr

    class OpenGradientChatModel(BaseChatModel):
        """A LangChain chat model over OpenGradient LLMs (VANILLA on chain by default, or TEE)."""

        model_config = ConfigDict(arbitrary_types_allowed=True)

        model_cid: str
        max_tokens: int = 300
        temperature: float = 0.0
        mode: str = "VANILLA"
        tools: List[Dict[str, Any]] = Field(default_factory=list)
        tool_choice: Optional[Any] = None
        _llm: Any = PrivateAttr(default=None)

        @property
        def _llm_type(self) -> str:
            return "opengradient"

        @property
        def _identifying_params(self) -> Dict[str, Any]:
            return {
                "model_cid": self.model_cid,
                "mode": self.mode,
                "max_tokens": self.max_tokens,
                "temperature": self.temperature,
            }

        def bind_tools(
            self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any
        ) -> "OpenGradientChatModel":
            """Offer ``tools`` (BaseTools, pydantic models, functions or OpenAI dicts) on every call.

            Like the reference SDK this sets them on the model and returns it."""
            self.tools = [convert_to_openai_tool(t) for t in tools]
            if tool_choice is not None:
                self.tool_choice = _lc_tool_choice(tool_choice)
            return self

        def _request(
            self, messages: List[BaseMessage], stop: Optional[List[str]], kwargs: dict[str, Any]
        ) -> dict[str, Any]:
            tools = kwargs.get("tools")
            tools = [convert_to_openai_tool(t) for t in tools] if tools else self.tools
            choice = _lc_tool_choice(kwargs.get("tool_choice", self.tool_choice))
            mode = _mode(self.mode)
            if not tools and mode == LlmInferenceMode.VANILLA:
                # as the reference adapter (its tool list is [] until bind_tools): "auto", no tools
                choice = "auto"
            return dict(
                mode=mode,
                max_tokens=int(kwargs.get("max_tokens", self.max_tokens)),
                temperature=float(kwargs.get("temperature", self.temperature)),
                stop=stop,
                tools=tools or None,
                tool_choice=choice if tools or mode == LlmInferenceMode.VANILLA else None,
            )

        def _meta(self, meta: Any, finish: Optional[str], tx: Optional[str]) -> Dict[str, Any]:
            info: Dict[str, Any] = {"finish_reason": finish, "model_name": self.model_cid, "mode": self.mode}
            if tx and tx != "external":
                info["transaction_hash"] = tx
            if meta is not None:
                info["cost"] = meta.cost
                if meta.payment_hash:
                    info["payment_hash"] = meta.payment_hash
            return info

        @translating()
        def _generate(
            self,
            messages: List[BaseMessage],
            stop: Optional[List[str]] = None,
            run_manager: Optional[CallbackManagerForLLMRun] = None,
            **kwargs: Any,
        ) -> ChatResult:
            out = self._llm.chat(self.model_cid, _langchain_messages(messages), **self._request(messages, stop, kwargs))
            msg = out.chat_output or {}
            calls, invalid = _lc_tool_calls(msg.get("tool_calls"))
            meta = getattr(out, "meta", None)
            info = self._meta(meta, out.finish_reason, out.transaction_hash)
            usage = None
            if meta is not None and (meta.prompt_tokens or meta.completion_tokens):
                usage = {
                    "input_tokens": meta.prompt_tokens,
                    "output_tokens": meta.completion_tokens,
                    "total_tokens": meta.prompt_tokens + meta.completion_tokens,
                }
            ai = AIMessage(
                content=msg.get("content") or "",
                tool_calls=calls,
                invalid_tool_calls=invalid,
                response_metadata=info,
                usage_metadata=usage,
            )
            gen = ChatGeneration(message=ai, generation_info={"finish_reason": out.finish_reason})
            return ChatResult(
                generations=[gen],
                llm_output={"model_name": self.model_cid, "transaction_hash": info.get("transaction_hash")},
            )

        def _stream(
            self,
            messages: List[BaseMessage],
            stop: Optional[List[str]] = None,
            run_manager: Optional[CallbackManagerForLLMRun] = None,
            **kwargs: Any,
        ) -> Iterator[ChatGenerationChunk]:
            stream = self._llm.chat(
                self.model_cid, _langchain_messages(messages), stream=True, **self._request(messages, stop, kwargs)
            )
            try:
                for chunk in stream:
                    for ch in chunk.choices:
                        delta = ch.delta
                        tcc = []
                        for i, tc in enumerate(delta.tool_calls or []):
                            fn = tc.get("function") or {}
                            tcc.append(
                                tool_call_chunk(
                                    name=fn.get("name") or None,
                                    args=fn.get("arguments") or None,
                                    id=tc.get("id") or None,
                                    index=tc.get("index", i),
                                )
                            )
                        info = None
                        meta_info: Dict[str, Any] = {}
                        if ch.finish_reason:
                            info = {"finish_reason": ch.finish_reason}
                            meta_info = self._meta(stream.meta, ch.finish_reason, stream.meta.transaction_hash)
                        gen = ChatGenerationChunk(
                            message=AIMessageChunk(
                                content=delta.content or "", tool_call_chunks=tcc, response_metadata=meta_info
                            ),
                            generation_info=info,
                        )
                        if run_manager is not None and delta.content:
                            run_manager.on_llm_new_token(delta.content, chunk=gen)
                        yield gen
            finally:
                stream.close()

    _LC_CLASS = OpenGradientChatModel
    return _LC_CLASS


def langchain_adapter(
    private_key: str,
    model_cid: Any,
    max_tokens: int = 300,
    *,
    mode: Any = "VANILLA",
    temperature: float = 0.0,
    profile: Any = None,
    rpc_url: Optional[str] = None,
    llm_url: Optional[str] = None,
    spend_caps: Any = None,
) -> Any:
    """A LangChain chat model (``_llm_type`` "opengradient") for ``model_cid``.

    ``private_key`` signs the on-chain calls (VANILLA) or the x402 payments (TEE); None
    uses the wallet given to og_tui.sdk.init. Needs langchain-core.
    """
    cls = _chat_model_class()
    llm = _make_llm_client(private_key, profile=profile, rpc_url=rpc_url, llm_url=llm_url, spend_caps=spend_caps)
    model = cls(
        model_cid=str(getattr(model_cid, "value", model_cid)),
        max_tokens=int(max_tokens),
        temperature=float(temperature),
        mode=_mode(mode).name,
    )
    model._llm = llm
    return model


def __getattr__(name: str) -> Any:  # OpenGradientChatModel is built lazily (langchain-core is optional)
    if name == "OpenGradientChatModel":
        return _chat_model_class()
    raise AttributeError(name)


# --- OpenAI-style ------------------------------------------------------------------------------------


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
