"""A headless agent loop: an LLM that calls OpenGradient models and workflows as tools.

    tools = AgentTools(chain, signer, contract_address=profile.inference_contract,
                       api_url=profile.api_url, hub=hub_client)
    tools.add_model(cid)                       # schema from the hub's ONNX signature
    tools.add_workflow("0xD5629A5b95dde11e4B5772B5Ad8a13B933e33845")
    result = run_agent(llm_client, "og-devnet/mini", [{"role": "user", "content": "..."}], tools,
                       mode="TEE", max_rounds=5, confirm=ask_user, on_event=post_message)
    result.text, result.stopped, result.trace, result.messages, result.tx_hashes

One *round* is one LLM call; when the reply asks for tools, each is run (an inference
transaction for a model tool, an ``eth_call`` for a workflow) and its result goes back
to the LLM as a ``tool`` message, then the next round starts. The loop ends with the
first reply that calls no tool, or:

- the LLM asks for tools again after ``max_rounds`` tool rounds (so at most
  ``max_rounds + 1`` LLM calls) -> stopped ``"max_rounds"``; those calls are not run
  (each gets a "Not run" tool message so the conversation stays valid) and the text
  says so;
- the x402 spend cap refuses an LLM call (:class:`~og_tui.core.errors.SpendCapExceeded`)
  -> stopped ``"spend_cap"``, with the conversation so far kept;
- ``cancel`` is set -> stopped ``"cancelled"``; any other failure of the LLM call ->
  stopped ``"error"``.

A tool that fails does not end the loop: arguments that do not fit the model's
signature, a transaction that reverts, an address that is not a workflow... become an
``Error: ...`` tool result the LLM reads (and an ``tool_error`` event). A tool whose
``confirm`` switch is on is run only if ``confirm(tool, args, estimate)`` returns True.

Every step is an :class:`AgentEvent` passed to ``on_event`` (from the calling thread:
a TUI worker posts it as a message) and kept in ``result.trace``. Kinds:
``llm_call``, ``llm_delta`` (streaming only; not kept in the trace), ``llm_reply``
(content, tool_calls, transaction_hash of an on-chain call, cost of a paid one),
``tool_call`` (name, args, tool_kind), ``confirm`` (estimate, approved), ``tx_sent``
(hash as soon as it is sent; not kept), ``tx`` (hash, block, gas), ``tool_result``
(content, outputs), ``tool_error`` (error), ``final`` (content), ``stopped`` (reason,
message). ``result.trace_dicts()`` is JSON-able, to save with the conversation.

Nothing heavy at import time (numpy, eth_abi imported lazily).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from og_tui.core.agent_schema import (
    describe_signature,
    fit_arguments,
    format_tensors,
    schema_from_signature,
    tool_name_for,
)
from og_tui.core.agent_tools import AgentTool, AgentTools, ToolOutcome
from og_tui.core.errors import OGError, SpendCapExceeded
from og_tui.core.types import LlmInferenceMode

__all__ = [
    "AgentTool",
    "AgentTools",
    "AgentEvent",
    "AgentResult",
    "ToolOutcome",
    "run_agent",
    "schema_from_signature",
    "describe_signature",
    "format_tensors",
    "tool_name_for",
    "fit_arguments",
    "DEFAULT_MAX_ROUNDS",
]

DEFAULT_MAX_ROUNDS = 5


# --- the loop ------------------------------------------------------------------------------------------


@dataclass
class AgentEvent:
    """One step of the agent trace. ``data`` is JSON-able."""

    kind: str
    round: int
    data: dict[str, Any] = field(default_factory=dict)
    time: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "round": self.round, "time": self.time, **self.data}


@dataclass
class AgentResult:
    text: str
    messages: List[dict[str, Any]]  # the whole conversation, with assistant tool calls and tool results
    trace: List[AgentEvent]
    rounds: int  # LLM calls made
    tool_rounds: int = 0  # rounds whose tool calls were run
    stopped: Optional[str] = None  # None (finished) | "max_rounds" | "spend_cap" | "cancelled" | "error"
    error: Optional[str] = None
    finish_reason: Optional[str] = None
    tx_hashes: List[str] = field(default_factory=list)  # inference transactions run by tools
    llm_tx_hashes: List[str] = field(default_factory=list)  # on-chain (VANILLA) LLM calls
    timings: Dict[str, float] = field(default_factory=dict)  # llm_s, tools_s, total_s

    @property
    def finished(self) -> bool:
        return self.stopped is None

    def events(self, kind: str) -> List[AgentEvent]:
        return [e for e in self.trace if e.kind == kind]

    def trace_dicts(self) -> List[dict[str, Any]]:
        return [e.as_dict() for e in self.trace]


def _nested_calls(calls: List[dict[str, Any]]) -> List[dict[str, Any]]:
    out = []
    for i, tc in enumerate(calls or []):
        fn: dict[str, Any] = tc["function"] if isinstance(tc.get("function"), dict) else tc
        args = fn.get("arguments", "")
        out.append(
            {
                "id": tc.get("id") or f"call_{i}",
                "type": "function",
                "function": {
                    "name": fn.get("name", ""),
                    "arguments": args if isinstance(args, str) else json.dumps(args),
                },
            }
        )
    return out


def _is_cancelled(cancel: Any) -> bool:
    if cancel is None:
        return False
    if hasattr(cancel, "is_set"):
        return bool(cancel.is_set())
    return bool(cancel())


def run_agent(
    llm_client: Any,
    model: Any,
    messages: List[dict[str, Any]],
    tools: Optional[AgentTools],
    *,
    mode: Any = LlmInferenceMode.VANILLA,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    confirm: Optional[Callable[[AgentTool, dict[str, Any], dict[str, Any]], bool]] = None,
    on_event: Optional[Callable[[AgentEvent], None]] = None,
    max_tokens: int = 300,
    temperature: float = 0.0,
    stream: bool = False,
    cancel: Any = None,
    settlement: Any = None,
    stop: Optional[List[str]] = None,
    extra_body: Optional[dict[str, Any]] = None,
) -> AgentResult:
    """Run the agent loop (see the module docstring). ``llm_client`` is an
    :class:`og_tui.core.llm.LLMClient` (anything with its ``chat`` signature)."""
    from og_tui.core.llm import ToolCallError, parse_tool_arguments

    convo = [dict(m) for m in messages]
    trace: List[AgentEvent] = []
    result = AgentResult(text="", messages=convo, trace=trace, rounds=0)
    specs = tools.specs() if tools is not None else []
    t_start = time.perf_counter()
    llm_s = tools_s = 0.0
    max_rounds = max(1, int(max_rounds))

    def emit(kind: str, rnd: int, /, keep: bool = True, **data: Any) -> None:
        ev = AgentEvent(kind, rnd, data)
        if keep:
            trace.append(ev)
        if on_event is not None:
            on_event(ev)

    def halt(reason: str, rnd: int, message: str) -> AgentResult:
        result.stopped = reason
        result.error = message
        if not result.text:
            result.text = message
        emit("stopped", rnd, reason=reason, message=message)
        return result

    rnd = 0
    tool_rounds = 0
    try:
        while True:
            if _is_cancelled(cancel):
                return halt("cancelled", rnd, "Stopped: the agent run was cancelled.")
            rnd += 1
            result.rounds = rnd
            emit(
                "llm_call",
                rnd,
                model=str(getattr(model, "value", model)),
                messages=len(convo),
                tools=[s["function"]["name"] for s in specs],
            )
            t0 = time.perf_counter()
            try:
                kw: Dict[str, Any] = dict(
                    mode=mode,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    tools=specs or None,
                    tool_choice="auto" if specs else None,
                    settlement=settlement,
                )
                if stop:
                    kw["stop"] = list(stop)
                if extra_body:
                    kw["extra_body"] = dict(extra_body)
                if stream:
                    kw.update(stream=True, cancel=cancel)
                reply = llm_client.chat(model, convo, **kw)
                if stream:
                    for chunk in reply:
                        if chunk.content:
                            emit("llm_delta", rnd, keep=False, content=chunk.content)
                    text = reply.text
                    calls = _nested_calls(reply.tool_calls)
                    meta = reply.meta
                    finish = meta.finish_reason if meta is not None else None
                else:
                    out = reply.chat_output or {}
                    text = out.get("content") or ""
                    calls = _nested_calls(out.get("tool_calls") or [])
                    meta = getattr(reply, "meta", None)
                    finish = reply.finish_reason
            except SpendCapExceeded as exc:
                llm_s += time.perf_counter() - t0
                return halt("spend_cap", rnd, f"Stopped: {exc} The conversation so far is kept.")
            except OGError as exc:
                llm_s += time.perf_counter() - t0
                if _is_cancelled(cancel):
                    return halt("cancelled", rnd, "Stopped: the agent run was cancelled.")
                return halt("error", rnd, f"Stopped: the LLM call failed: {exc}")
            dt = time.perf_counter() - t0
            llm_s += dt
            llm_tx = getattr(meta, "transaction_hash", None) if meta is not None else None
            if llm_tx:
                result.llm_tx_hashes.append(llm_tx)
            emit(
                "llm_reply",
                rnd,
                content=text,
                tool_calls=calls,
                finish_reason=finish,
                elapsed_s=round(dt, 4),
                transaction_hash=llm_tx,
                cost=getattr(meta, "cost", 0) if meta is not None else 0,
                cost_text=getattr(meta, "cost_text", "") if meta is not None else "",
                meta=meta.as_dict() if hasattr(meta, "as_dict") else {},
            )
            result.finish_reason = finish
            if not calls:
                result.text = text
                convo.append({"role": "assistant", "content": text})
                emit("final", rnd, content=text)
                return result
            convo.append({"role": "assistant", "content": text or "", "tool_calls": calls})
            if tool_rounds >= max_rounds:
                names = ", ".join(c["function"]["name"] for c in calls)
                # keep the conversation valid for a later turn: each call gets an answer
                for c in calls:
                    convo.append(
                        {
                            "role": "tool",
                            "tool_call_id": c["id"],
                            "name": c["function"]["name"],
                            "content": "Not run: the limit of tool rounds for this reply was reached.",
                        }
                    )
                return halt(
                    "max_rounds",
                    rnd,
                    f"Stopped after {tool_rounds} tool round{'s' if tool_rounds != 1 else ''} (the limit per "
                    f"reply): the model asked for more tools ({names}) and they were not run. Ask again to "
                    "continue.",
                )
            tool_rounds += 1
            result.tool_rounds = tool_rounds
            for c in calls:
                if _is_cancelled(cancel):
                    convo.append(
                        {
                            "role": "tool",
                            "tool_call_id": c["id"],
                            "name": c["function"]["name"],
                            "content": "Not run: cancelled.",
                        }
                    )
                    return halt("cancelled", rnd, "Stopped: the agent run was cancelled.")
                name = c["function"]["name"]
                t1 = time.perf_counter()
                outcome = _run_call(tools, c, rnd, emit, confirm, parse_tool_arguments, ToolCallError)
                tools_s += time.perf_counter() - t1
                if outcome.tx_hash:
                    result.tx_hashes.append(outcome.tx_hash)
                convo.append({"role": "tool", "tool_call_id": c["id"], "name": name, "content": outcome.content})
    finally:
        result.timings = {"llm_s": llm_s, "tools_s": tools_s, "total_s": time.perf_counter() - t_start}


def _run_call(
    tools: Optional[AgentTools],
    call: dict[str, Any],
    rnd: int,
    emit: Callable[..., None],
    confirm: Any,
    parse_tool_arguments: Any,
    ToolCallError: Any,
) -> ToolOutcome:
    name = call["function"]["name"]
    tool = tools.get(name) if tools is not None else None
    raw = call["function"].get("arguments", "")
    try:
        args = parse_tool_arguments(call)
    except ToolCallError as exc:
        emit("tool_call", rnd, id=call["id"], name=name, arguments=raw, args=None)
        msg = str(exc)
        emit("tool_error", rnd, id=call["id"], name=name, error=msg)
        return ToolOutcome(content=f"Error: {msg}", ok=False, error=msg)
    emit(
        "tool_call",
        rnd,
        id=call["id"],
        name=name,
        arguments=raw,
        args=args,
        tool_kind=tool.kind if tool else None,
        model_cid=tool.model_cid if tool else None,
        workflow_address=tool.workflow_address if tool else None,
    )
    if tool is None:
        known = ", ".join(t.name for t in tools or []) or "none"
        msg = f"There is no tool named {name!r} (available: {known})."
        emit("tool_error", rnd, id=call["id"], name=name, error=msg)
        return ToolOutcome(content=f"Error: {msg}", ok=False, error=msg)
    assert tools is not None  # the tool was found in it
    if tool.confirm and confirm is not None:
        estimate = tools.estimate(tool, args)
        approved = bool(confirm(tool, args, estimate))
        emit("confirm", rnd, id=call["id"], name=name, estimate=estimate, approved=approved)
        if not approved:
            msg = f"The user declined to run {name}."
            emit("tool_error", rnd, id=call["id"], name=name, error=msg)
            return ToolOutcome(content=f"Error: {msg} Answer without it.", ok=False, error=msg)

    def on_status(stage: str, info: dict[str, Any]) -> None:
        if stage == "sent" and info.get("hash"):
            emit("tx_sent", rnd, keep=False, id=call["id"], name=name, hash=info.get("hash"))

    outcome = tools.execute(tool, args, on_status=on_status)
    if outcome.tx_hash:
        emit(
            "tx",
            rnd,
            id=call["id"],
            name=name,
            hash=outcome.tx_hash,
            block=outcome.block,
            gas_used=outcome.gas_used,
            fee_wei=str(outcome.fee_wei) if outcome.fee_wei is not None else None,
        )
    if outcome.ok:
        emit(
            "tool_result",
            rnd,
            id=call["id"],
            name=name,
            content=outcome.content,
            outputs=outcome.outputs,
            elapsed_s=round(outcome.elapsed_s, 4),
        )
    else:
        emit("tool_error", rnd, id=call["id"], name=name, error=outcome.error, content=outcome.content)
    return outcome
