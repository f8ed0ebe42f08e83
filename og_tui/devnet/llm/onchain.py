"""On-chain VANILLA LLM: ``runLLMChat`` / ``runLLMCompletion`` on the inference hub.

Registered on the hub address through :func:`og_tui.devnet.inference_hub.register_hub_method`
(and on the 0xF4 precompile). Served by the same backends as the HTTP gateway. Each
call leaves, in order, the precompile event (``LLMChat`` / ``LLMCompletionEvent`` with the
inference id, the request and the response) and the hub event (``LLMChatResult`` /
``LLMCompletionResult``), and returns the response.
"""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak

from og_tui.core.llm import (
    CHAT_REQUEST_TYPE,
    CHAT_RESPONSE_TYPE,
    COMPLETION_REQUEST_TYPE,
    COMPLETION_RESPONSE_TYPE,
    SIG_RUN_LLM_CHAT,
    SIG_RUN_LLM_COMPLETION,
)
from og_tui.devnet.limits import loads as safe_loads
from og_tui.devnet.llm.builtin import GenRequest
from og_tui.devnet.native import NativeCall, NativeRevert, topic

TOPIC_CHAT_RESULT = topic(f"LLMChatResult({CHAT_RESPONSE_TYPE})")
TOPIC_COMPLETION_RESULT = topic(f"LLMCompletionResult({COMPLETION_RESPONSE_TYPE})")
TOPIC_PRECOMPILE_CHAT = topic(f"LLMChat(string,{CHAT_REQUEST_TYPE},{CHAT_RESPONSE_TYPE})")
TOPIC_PRECOMPILE_COMPLETION = topic(f"LLMCompletionEvent(string,{COMPLETION_REQUEST_TYPE},{COMPLETION_RESPONSE_TYPE})")
GAS_PER_TOKEN = 200


def _decode(call: NativeCall, type_str: str) -> tuple:
    try:
        return abi_decode([type_str], call.args)[0]
    except Exception:
        raise NativeRevert("inference hub: malformed LLM request") from None


def _seed_for(call: NativeCall, salt: bytes) -> int:
    from og_tui.devnet.inference_hub import new_inference_id

    return int(new_inference_id(call, salt)[2:18], 16)


def _messages_from(tuples: Any) -> list:
    out = []
    for role, content, name, tool_call_id, tool_calls in tuples:
        m: dict[str, Any] = {"role": role, "content": content}
        if name:
            m["name"] = name
        if tool_call_id:
            m["tool_call_id"] = tool_call_id
        if tool_calls:
            m["tool_calls"] = [
                {"id": i, "type": "function", "function": {"name": n, "arguments": a}} for i, n, a in tool_calls
            ]
        out.append(m)
    return out


def _tools_from(tuples: Any) -> list:
    tools = []
    for description, name, parameters in tuples:
        try:
            params = safe_loads(parameters) if parameters else {"type": "object", "properties": {}}
        except ValueError:
            raise NativeRevert(f"inference hub: tool {name!r} has parameters that are not JSON") from None
        tools.append({"type": "function", "function": {"name": name, "description": description, "parameters": params}})
    return tools


class OnchainLLM:
    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway

    def _spec(self, model: str):
        spec = self.gateway.catalog.find(model)
        if spec is None:
            raise NativeRevert(f"inference hub: unknown LLM model {model!r}")
        return spec

    def _run(self, spec, req):
        from og_tui.devnet.llm.gateway import run_sync
        from og_tui.devnet.llm.upstream import UpstreamError

        try:
            return run_sync(spec, req)
        except UpstreamError as exc:
            raise NativeRevert(f"inference hub: {exc}") from None

    def chat(self, call: NativeCall) -> bytes:
        from og_tui.devnet.inference_hub import emit_from_precompile, new_inference_id

        request = _decode(call, CHAT_REQUEST_TYPE)
        mode, model, messages, tools, tool_choice, max_tokens, stop, temperature = request
        spec = self._spec(model)
        if not messages:
            raise NativeRevert("inference hub: runLLMChat needs at least one message")
        req = GenRequest(
            "chat",
            spec.id,
            messages=_messages_from(messages),
            tools=_tools_from(tools),
            tool_choice=tool_choice or None,
            max_tokens=max(1, int(max_tokens or 100)),
            temperature=temperature / 100.0,
            stop=[s for s in stop if s],
        )
        salt = keccak(call.args)
        if req.temperature > 0:
            req.seed = _seed_for(call, salt)
        res = self._run(spec, req)
        call.use_gas(GAS_PER_TOKEN * (res.completion_tokens + res.prompt_tokens), "LLM tokens")
        tool_calls = [
            (tc.get("id", ""), tc["function"]["name"], tc["function"]["arguments"]) for tc in res.tool_calls or []
        ]
        response = (res.finish_reason, ("assistant", res.text or "", "", "", tool_calls))
        inference_id = new_inference_id(call, salt)
        emit_from_precompile(
            call,
            [TOPIC_PRECOMPILE_CHAT],
            abi_encode(["string", CHAT_REQUEST_TYPE, CHAT_RESPONSE_TYPE], [inference_id, request, response]),
        )
        call.emit([TOPIC_CHAT_RESULT], abi_encode([CHAT_RESPONSE_TYPE], [response]))
        return abi_encode([CHAT_RESPONSE_TYPE], [response])

    def completion(self, call: NativeCall) -> bytes:
        from og_tui.devnet.inference_hub import emit_from_precompile, new_inference_id

        request = _decode(call, COMPLETION_REQUEST_TYPE)
        mode, model, prompt, max_tokens, stop, temperature = request
        spec = self._spec(model)
        req = GenRequest(
            "completion",
            spec.id,
            prompt=prompt,
            max_tokens=max(1, int(max_tokens or 100)),
            temperature=temperature / 100.0,
            stop=[s for s in stop if s],
        )
        salt = keccak(call.args)
        if req.temperature > 0:
            req.seed = _seed_for(call, salt)
        res = self._run(spec, req)
        call.use_gas(GAS_PER_TOKEN * (res.completion_tokens + res.prompt_tokens), "LLM tokens")
        response = (res.text or "",)
        inference_id = new_inference_id(call, salt)
        emit_from_precompile(
            call,
            [TOPIC_PRECOMPILE_COMPLETION],
            abi_encode(
                ["string", COMPLETION_REQUEST_TYPE, COMPLETION_RESPONSE_TYPE], [inference_id, request, response]
            ),
        )
        call.emit([TOPIC_COMPLETION_RESULT], abi_encode([COMPLETION_RESPONSE_TYPE], [response]))
        return abi_encode([COMPLETION_RESPONSE_TYPE], [response])


def install(gateway: Any) -> bool:
    """Register the LLM methods on the hub (and the 0xF4 precompile); False without a hub."""
    try:
        from og_tui.devnet import inference_hub as hub
    except ModuleNotFoundError:
        return False
    if not hasattr(hub, "register_hub_method"):
        return False
    llm = OnchainLLM(gateway)
    hub.register_hub_method(SIG_RUN_LLM_CHAT, llm.chat, name="runLLMChat", replace=True)
    hub.register_hub_method(SIG_RUN_LLM_COMPLETION, llm.completion, name="runLLMCompletion", replace=True)
    if hasattr(hub, "register_precompile_method"):
        hub.register_precompile_method(SIG_RUN_LLM_CHAT, llm.chat, name="runLLMChat", replace=True)
        hub.register_precompile_method(SIG_RUN_LLM_COMPLETION, llm.completion, name="runLLMCompletion", replace=True)
    return True
