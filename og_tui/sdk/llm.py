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
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence

from og_tui.core.types import LlmInferenceMode
from og_tui.sdk._llm_openai import OpenGradientOpenAI, openai_adapter
from og_tui.sdk._llm_shared import _make_llm_client, _mode, _nested_call, _text
from og_tui.sdk.exceptions import translating

if TYPE_CHECKING:
    from langchain_core.messages import InvalidToolCall, ToolCall

__all__ = ["langchain_adapter", "openai_adapter", "OpenGradientOpenAI", "OpenGradientChatModel"]  # noqa: F822 - the last is built lazily (__getattr__)


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
