"""The tools of an agent conversation: hub models (inference transactions) and workflows (reads).

:class:`AgentTools` holds them, gives the LLM their OpenAI tool definitions (:meth:`AgentTools.specs`) and runs a
call (:meth:`AgentTools.execute`), returning a :class:`ToolOutcome`; :mod:`og_tui.core.agent`
runs the loop around them. Nothing heavy at import time (numpy, eth_abi imported lazily).
"""

from __future__ import annotations

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
from og_tui.core.errors import OGError, ValidationError
from og_tui.core.types import InferenceMode

__all__ = ["AgentTool", "AgentTools", "ToolOutcome"]


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
        from og_tui.core.alpha_abi import _addr

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
            from og_tui.core.inference import run_calldata

            data = run_calldata(tool.model_cid or "", tool.mode, model_input)
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
