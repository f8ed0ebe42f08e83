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
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional

from og_tui.core.agent_schema import (
    describe_signature,
    fit_arguments,
    format_tensors,
    schema_from_signature,
    tool_name_for,
)
from og_tui.core.errors import OGError, SpendCapExceeded, ValidationError
from og_tui.core.types import InferenceMode, LlmInferenceMode

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


# --- tools ---------------------------------------------------------------------------------------------


@dataclass
class ToolOutcome:
    """What running one tool gave: ``content`` goes back to the LLM."""

    content: str
    ok: bool = True
    error: Optional[str] = None
    tx_hash: Optional[str] = None  # 0x-prefixed
    block: Optional[int] = None
    gas_used: Optional[int] = None
    fee_wei: Optional[int] = None
    outputs: Optional[dict[str, Any]] = None  # name -> nested lists (JSON-able)
    elapsed_s: float = 0.0


@dataclass
class AgentTool:
    """One tool the LLM may call. ``kind`` is ``model``, ``workflow`` or ``function``."""

    name: str
    description: str
    parameters: dict[str, Any]
    kind: str
    model_cid: Optional[str] = None
    signature: Optional[dict[str, Any]] = None
    mode: int = int(InferenceMode.VANILLA)
    workflow_address: Optional[str] = None
    confirm: bool = True  # ask before running (per-tool switch; workflows are free reads)
    label: str = ""  # what a UI shows
    func: Optional[Callable[..., Any]] = field(default=None, repr=False)
    formatter: Optional[Callable[[Any], str]] = field(default=None, repr=False)

    def openai_tool(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "label": self.label,
            "model_cid": self.model_cid,
            "workflow_address": self.workflow_address,
            "mode": self.mode,
            "confirm": self.confirm,
            "description": self.description,
            "parameters": self.parameters,
        }


class AgentTools:
    """The tools of one conversation: hub models (inference transactions) and workflows (reads).

    ``chain`` is a ChainClient, ``signer`` the wallet that pays the inference gas.
    ``hub`` is a HubClient (or any object with ``model_signature(cid)``, or a callable
    ``cid -> signature``) used when a model is added without its signature.
    """

    def __init__(
        self,
        chain: Any,
        signer: Any = None,
        *,
        contract_address: Optional[str] = None,
        api_url: Optional[str] = None,
        hub: Any = None,
        inference: Any = None,
        alpha: Any = None,
        profile: Any = None,
    ) -> None:
        self.chain = chain
        self.signer = signer
        self.profile = profile
        self.contract_address = contract_address or getattr(profile, "inference_contract", None)
        self.api_url = api_url or getattr(profile, "api_url", None)
        self.hub = hub
        self._inference = inference
        self._alpha = alpha
        self._tools: Dict[str, AgentTool] = {}

    # -- registry --------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[AgentTool]:
        return iter(list(self._tools.values()))

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def get(self, name: str) -> Optional[AgentTool]:
        return self._tools.get(name)

    def remove(self, name: str) -> None:
        self._tools.pop(name, None)

    def specs(self) -> List[dict[str, Any]]:
        """The OpenAI ``tools`` list for an LLM request."""
        return [t.openai_tool() for t in self._tools.values()]

    def _unique(self, name: str) -> str:
        base, n = name, 2
        while name in self._tools:
            suffix = f"_{n}"
            name = base[: 64 - len(suffix)] + suffix
            n += 1
        return name

    def add(self, tool: AgentTool) -> AgentTool:
        tool.name = self._unique(tool_name_for(tool.name))
        self._tools[tool.name] = tool
        return tool

    @property
    def inference(self) -> Any:
        if self._inference is None:
            from og_tui.core.inference import InferenceClient

            if not self.contract_address:
                raise ValidationError("No inference contract address: give AgentTools a profile or contract_address.")
            self._inference = InferenceClient(self.chain, self.contract_address, self.api_url)
        return self._inference

    @property
    def alpha(self) -> Any:
        if self._alpha is None:
            from og_tui.core.alpha import AlphaClient

            self._alpha = AlphaClient(self.chain)
        return self._alpha

    def _signature(self, cid: str) -> dict[str, Any]:
        hub = self.hub
        if hub is None:
            raise ValidationError(f"No signature for model {cid}: pass it, or give AgentTools a hub client.")
        fetch = hub if callable(hub) and not hasattr(hub, "model_signature") else hub.model_signature
        signature = fetch(cid)
        if not isinstance(signature, dict):
            raise ValidationError(f"The hub gave no signature for model {cid}.")
        return signature

    def add_model(
        self,
        model_cid: str,
        signature: Optional[Mapping[str, Any]] = None,
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        title: Optional[str] = None,
        mode: Any = InferenceMode.VANILLA,
        confirm: bool = True,
        formatter: Optional[Callable[[Any], str]] = None,
        parameters: Optional[dict[str, Any]] = None,
    ) -> AgentTool:
        """A tool that runs ``model_cid`` on chain. Its JSON schema comes from the signature
        (fetched from the hub when not given). ``title`` (e.g. the hub model name) names it."""
        from og_tui.core.inference import parse_mode

        if not isinstance(model_cid, str) or not model_cid.strip():
            raise ValidationError("Give the CID of the model to attach as a tool.", field="model")
        model_cid = model_cid.strip()
        sig = dict(signature) if signature is not None else self._signature(model_cid)
        if not sig.get("inputs"):
            raise ValidationError(f"Model {model_cid} has no inputs in its signature; it cannot be a tool.")
        label = title or model_cid[:12]
        desc = description or (
            f"Run the OpenGradient model {label} on chain (one inference transaction, costs gas) and return its "
            f"outputs. {describe_signature(sig)}."
        )
        tool = AgentTool(
            name=name or tool_name_for(label.replace("-", "_"), "run_"),
            description=desc,
            parameters=parameters or schema_from_signature(sig),
            kind="model",
            model_cid=model_cid,
            signature=sig,
            mode=parse_mode(mode),
            confirm=confirm,
            label=label,
            formatter=formatter,
        )
        return self.add(tool)

    def add_workflow(
        self,
        address: str,
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        title: Optional[str] = None,
        confirm: bool = False,
        validate: bool = True,
        formatter: Optional[Callable[[Any], str]] = None,
    ) -> AgentTool:
        """A no-argument tool reading the latest result of workflow ``address``.

        With ``validate`` the address is checked now: NotAWorkflow ("0x… is not a workflow
        contract (…)") when it holds no workflow."""
        from og_tui.core.alpha import _addr

        address = _addr(address)
        if validate:
            address = self.alpha.require_workflow(address)
        label = title or address
        desc = description or (
            f"Read the latest result of the OpenGradient workflow {label} (a read-only call; no gas). "
            "Takes no arguments; returns the workflow model's latest output tensors."
        )
        tool = AgentTool(
            name=name or tool_name_for(f"read_workflow_{address[2:10]}"),
            description=desc,
            parameters={"type": "object", "properties": {}},
            kind="workflow",
            workflow_address=address,
            confirm=confirm,
            label=label,
            formatter=formatter,
        )
        return self.add(tool)

    def add_function(
        self,
        name: str,
        description: str,
        parameters: dict[str, Any],
        func: Callable[..., Any],
        *,
        confirm: bool = False,
    ) -> AgentTool:
        """Any Python callable ``func(**args) -> str`` as a tool."""
        return self.add(
            AgentTool(
                name=name,
                description=description,
                parameters=parameters,
                kind="function",
                func=func,
                confirm=confirm,
                label=name,
            )
        )

    # -- estimate and run ---------------------------------------------------------------------------
    def estimate(self, tool: AgentTool, args: Mapping[str, Any]) -> dict[str, Any]:
        """What running ``tool`` would cost: ``{gas, gas_price, fee_wei, text}`` (a read is free).

        For a model tool whose arguments do not fit, ``{"error": message}``."""
        if tool.kind != "model":
            return {"gas": 0, "gas_price": 0, "fee_wei": 0, "text": "free (read-only call)"}
        try:
            model_input = fit_arguments(args, tool.signature or {})
            data = _run_calldata(tool.model_cid or "", tool.mode, model_input)
            sender = getattr(self.signer, "address", None)
            gas = self.chain.estimate_gas({"from": sender, "to": self.contract_address, "data": "0x" + data.hex()})
            price = self.chain.gas_price()
        except OGError as exc:
            return {"error": str(exc)}
        gas = int(gas * 1.25)
        fee = gas * price
        from og_tui.core.amounts import format_amount

        symbol = getattr(self.profile, "native_symbol", "OG") if self.profile is not None else "OG"
        return {
            "gas": gas,
            "gas_price": price,
            "fee_wei": fee,
            "text": f"about {gas:,} gas, at most {format_amount(fee, 18)} {symbol}",
        }

    def execute(
        self,
        tool: AgentTool,
        args: Mapping[str, Any],
        on_status: Optional[Callable[[str, dict[str, Any]], None]] = None,
    ) -> ToolOutcome:
        """Run ``tool`` with ``args``. Failures come back as ``ok=False`` with an ``Error: …`` content."""
        t0 = time.perf_counter()
        try:
            out = self._execute(tool, args, on_status)
        except OGError as exc:
            msg = str(exc)
            out = ToolOutcome(content=f"Error: {msg}", ok=False, error=msg)
        except (TypeError, ValueError) as exc:
            msg = f"Tool {tool.name} failed: {exc}"
            out = ToolOutcome(content=f"Error: {msg}", ok=False, error=msg)
        out.elapsed_s = time.perf_counter() - t0
        return out

    def _execute(self, tool: AgentTool, args: Mapping[str, Any], on_status: Any) -> ToolOutcome:
        if tool.kind == "model":
            try:
                model_input = fit_arguments(args, tool.signature or {})
            except ValidationError as exc:
                sig = describe_signature(tool.signature or {})
                msg = f"The arguments do not fit model {tool.label}: {exc} The model takes {sig}."
                return ToolOutcome(
                    content=f"Error: {msg} Call the tool again with arguments of that shape.", ok=False, error=msg
                )
            if self.signer is None:
                raise ValidationError("Running a model is a transaction: unlock a wallet first.")
            from og_tui.core.inference import fit_outputs

            run = self.inference.infer(self.signer, tool.model_cid, tool.mode, model_input, on_status=on_status)
            # integer outputs travel as fixed-point numbers: give them the signature's dtype again
            run.model_output = fit_outputs(run.model_output, tool.signature)
            outputs = {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in run.model_output.items()}
            text = tool.formatter(run) if tool.formatter is not None else format_tensors(run.model_output)
            return ToolOutcome(
                content=str(text),
                tx_hash=run.tx_hash,
                block=run.block,
                gas_used=run.gas_used,
                fee_wei=run.fee_wei,
                outputs=outputs,
            )
        if tool.kind == "workflow":
            output = self.alpha.read_workflow_result(tool.workflow_address)
            numbers = dict(output.numbers or {})
            strings = dict(output.strings or {})
            merged = {**numbers, **strings}
            if not merged and not output.jsons:
                text = f"The workflow {tool.label} has no result yet (it never ran)."
            else:
                text = tool.formatter(output) if tool.formatter is not None else format_tensors(merged)
            outputs = {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in merged.items()}
            return ToolOutcome(content=str(text), outputs=outputs)
        if tool.kind == "function" and tool.func is not None:
            return ToolOutcome(content=str(tool.func(**dict(args))))
        raise ValidationError(f"Tool {tool.name} cannot be run (kind {tool.kind!r}).")


def _run_calldata(model_cid: str, mode: int, model_input: Mapping[str, Any]) -> bytes:
    """Calldata of the hub's ``run(modelId, mode, ModelInput)`` (as InferenceClient.infer sends it)."""
    from og_tui.core import inference_abi as A
    from og_tui.core.inference import encode_input

    numbers, strings = encode_input(model_input)
    tail = A.encode_model_input_tail((numbers, strings))
    return A.RUN_SELECTOR + A.encode_dynamic_tuple(
        [(True, A.encode_string_tail(model_cid)), (False, int(mode).to_bytes(32, "big")), (True, tail)]
    )


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
