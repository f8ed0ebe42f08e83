"""What ``og-tui mcp`` does for its tools, through core (no MCP types here; see mcp_server).

:class:`McpBackend` holds one profile's clients and the unlocked wallet:

* Hub models named in ``[mcp] models`` are resolved once (latest or named version, its
  ONNX file's CID and signature, read from the Hub or, when the listing has none, from the
  downloaded file with :mod:`og_tui.core.onnx_sig`) and each becomes a tool whose input
  schema follows the model's input tensors (:func:`tensor_schema`);
* :meth:`run_model` checks the input against the signature, then sends the inference
  transaction with :class:`og_tui.core.inference.InferenceClient`; the transaction and the
  run are recorded in the history (Activity) like the app's own;
* :meth:`list_workflows` / :meth:`read_workflow` read the exposed workflows with
  :class:`og_tui.core.alpha.AlphaClient`;
* :meth:`chat` asks an LLM with :class:`og_tui.core.llm.LLMClient`, paid with x402 under
  the global spend caps (x402 v2: the global OPG caps; a payment over a cap raises
  SpendCapReached before anything is signed); the payment lands in the history like any
  other. The MCP server's keys carry no budgets (unlike the gateway's): the global caps
  bound them, as they bound a gateway key without budgets.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from og_tui.core.errors import OGError, ValidationError

_log = logging.getLogger(__name__)

__all__ = ["ExposedModel", "McpBackend", "tensor_schema", "model_input_schema", "tool_name_for"]

MAX_HISTORY = 50
RETRY_SECONDS = 30.0  # a model the Hub could not resolve is looked up again after this


@dataclass
class ExposedModel:
    """One ``[mcp] models`` entry as found on the Hub (``error`` set when it could not be)."""

    name: str
    tool: str
    version: Optional[str] = None
    cid: Optional[str] = None
    file: Optional[str] = None
    description: str = ""
    signature: Optional[Dict[str, Any]] = None
    error: Optional[str] = None
    looked_up: float = 0.0  # time.monotonic() of the Hub lookup

    def as_dict(self) -> Dict[str, Any]:
        return {
            "name": self.name,
            "tool": self.tool,
            "version": self.version,
            "cid": self.cid,
            "file": self.file,
            "description": self.description,
            "inputs": (self.signature or {}).get("inputs"),
            "outputs": (self.signature or {}).get("outputs"),
            "error": self.error,
        }


def tool_name_for(model_name: str, taken: set[str]) -> str:
    """``run_`` plus the model name with every character MCP does not allow made ``_``."""
    base = "run_" + (re.sub(r"[^A-Za-z0-9_]+", "_", model_name).strip("_").lower() or "model")
    base = base[:60]
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "any shape"
    return "[" + ", ".join("?" if not isinstance(d, int) or d < 0 else str(d) for d in shape) + "]"


def tensor_schema(spec: Dict[str, Any]) -> Dict[str, Any]:
    """The JSON schema of one input tensor of an ONNX signature: nested arrays, one level per
    dimension (fixed dimensions as minItems = maxItems), numbers, integers or strings inside."""
    dtype = str(spec.get("dtype") or "float32")
    shape = spec.get("shape")
    what = f"{dtype} tensor {_shape_text(shape)}"
    if dtype == "string":
        size = None
        if shape is not None and all(isinstance(d, int) and d >= 0 for d in shape):
            size = 1
            for d in shape:
                size *= d
        out: Dict[str, Any] = {"type": "array", "items": {"type": "string"}, "minItems": 1}
        if size:
            out["minItems"] = out["maxItems"] = size
        out["description"] = f"{what}: the strings, in one flat list"
        return out
    if dtype.startswith(("seq(", "map(", "optional(", "sparse(")) or shape is None:
        return {"description": f"{what} (passed on as given)"}
    if dtype.startswith(("int", "uint")):
        item: Dict[str, Any] = {"type": "integer"}
    elif dtype == "bool":
        item = {"type": ["boolean", "integer"]}
    else:
        item = {"type": "number"}
    for dim in reversed(shape):
        item = {"type": "array", "items": item}
        if isinstance(dim, int) and dim >= 0:
            item["minItems"] = item["maxItems"] = dim
        else:
            item["minItems"] = 1
    item["description"] = what
    return item


def model_input_schema(signature: Dict[str, Any]) -> Dict[str, Any]:
    inputs = signature.get("inputs") or []
    return {
        "type": "object",
        "properties": {str(s.get("name")): tensor_schema(s) for s in inputs},
        "required": [str(s.get("name")) for s in inputs],
        "additionalProperties": False,
    }


def outputs_json(model_output: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for name, value in model_output.items():
        try:
            out[str(name)] = {"dtype": str(value.dtype), "shape": list(value.shape), "values": value.tolist()}
        except AttributeError:
            out[str(name)] = {"dtype": None, "shape": None, "values": value}
    return out


class McpBackend:
    """The OpenGradient side of the MCP server for one profile and wallet (thread-safe)."""

    def __init__(
        self,
        profile: Any,
        signer: Any,
        config: Any,
        *,
        store: Any,
        chain: Any,
        caps: Any = None,
        data_dir: Any = None,
        opg_caps: Any = None,
        hub: Any = None,
    ) -> None:
        from og_tui.core.alpha import AlphaClient
        from og_tui.core.hub import HubClient
        from og_tui.core.inference import InferenceClient
        from og_tui.core.llm import LLMClient

        self.profile = profile
        self.signer = signer
        self.config = config
        self.store = store
        self.chain = chain
        self.data_dir = data_dir
        self.hub = hub or HubClient(profile.hub_url, profile.auth_url, getattr(profile, "firebase_api_key", None))
        self.inference = InferenceClient(chain, profile.inference_contract, profile.api_url)
        self.llm = LLMClient(profile, signer, store=store, caps=caps, chain=chain, opg_caps=opg_caps)
        self.alpha = AlphaClient(
            chain, scheduler_address=profile.scheduler_address, price_feed_address=profile.price_feed_precompile
        )
        self._models: Dict[str, ExposedModel] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.signer = None
        self.llm.signer = None
        for closer in (self.llm.close, self.inference.close, self.hub.close):
            try:
                closer()
            except Exception:  # noqa: BLE001 - closing what is left
                _log.debug("closing the MCP backend", exc_info=True)

    @property
    def address(self) -> Optional[str]:
        return getattr(self.signer, "address", None)

    # -- models --------------------------------------------------------------------------------
    def _resolve(self, ref: Any, tool: str) -> ExposedModel:
        model = ExposedModel(ref.name, tool, looked_up=time.monotonic())
        try:
            detail = self.hub.model_detail(ref.name)
            model.description = str(detail.get("description") or "")
            versions = [v for v in detail.get("versions") or [] if isinstance(v, dict)]
            if ref.version:
                from og_tui.core.hub_rules import format_version, parse_version

                want = format_version(*parse_version(ref.version))
                versions = [v for v in versions if str(v.get("versionString")) == want]
                if not versions:
                    raise ValidationError(f"Model {ref.name!r} has no version {want} on the Hub.")
            version = str((versions[-1] if versions else {}).get("versionString") or detail.get("latestVersion") or "")
            if not version:
                raise ValidationError(f"Model {ref.name!r} has no version on the Hub yet.")
            model.version = version
            files = [
                f for f in self.hub.list_files(ref.name, version) if f.get("ipfsCid") and f.get("isOnnx") is not False
            ]
            onnx = [f for f in files if str(f.get("name", "")).lower().endswith(".onnx")] or files
            if not onnx:
                raise ValidationError(f"Model {ref.name!r} version {version} has no ONNX file.")
            chosen = onnx[0]
            model.cid, model.file = str(chosen["ipfsCid"]), chosen.get("name")
            sig = chosen.get("signature")
            if not isinstance(sig, dict) or not sig.get("inputs"):
                sig = self.hub.model_signature(model.cid)  # the file, read with onnx_sig when the Hub has none
            model.signature = sig
        except OGError as exc:
            model.error = str(exc)
        return model

    def models(self) -> List[ExposedModel]:
        """The exposed models, resolved on the Hub (those that failed: again after RETRY_SECONDS)."""
        with self._lock:
            taken: set[str] = set()
            out = []
            for ref in self.config.models:
                key = str(ref)
                known = self._models.get(key)
                tool = known.tool if known is not None else tool_name_for(ref.name, taken)
                taken.add(tool)
                if known is None or (known.error and time.monotonic() - known.looked_up > RETRY_SECONDS):
                    known = self._resolve(ref, tool)
                    self._models[key] = known
                out.append(known)
            return out

    def model_for_tool(self, tool: str) -> Optional[ExposedModel]:
        for m in self.models():
            if m.tool == tool:
                return m
        return None

    def run_model(self, model: ExposedModel, arguments: Dict[str, Any]) -> Dict[str, Any]:
        """One on-chain inference of ``model`` (input checked first: a bad one spends nothing)."""
        from og_tui.core.history import TxRecorder
        from og_tui.core.inference import check_input, encode_input, fit_outputs

        if model.error or not model.cid or not model.signature:
            raise ValidationError(f"Model {model.name!r} is not available: {model.error or 'not found on the Hub'}.")
        if self.signer is None:
            raise ValidationError("The wallet is locked: the MCP server has stopped.")
        encode_input(arguments)
        check_input(arguments, model.signature)
        mode = self.config.inference_mode
        self.gas_check(model, arguments)
        recorder = TxRecorder(
            self.store,
            self.profile.name,
            "inference",
            from_addr=self.signer.address,
            to_addr=self.profile.inference_contract,
            detail={"model": model.cid, "model_name": model.name, "mode": mode, "source": "mcp", "tool": model.tool},
        )
        try:
            run = self.inference.infer(self.signer, model.cid, mode, arguments, on_status=recorder)
        except BaseException as exc:
            recorder.failed(exc)
            raise
        outputs = outputs_json(fit_outputs(run.model_output, model.signature))
        tx_hash = run.tx_hash if run.tx_hash.startswith("0x") else "0x" + run.tx_hash
        try:
            self.store.add_run(
                model.cid,
                mode,
                arguments,
                outputs,
                model_name=f"{model.name} {model.version}",
                tx_hash=tx_hash,
                block=run.block,
                gas_used=run.gas_used,
                latency_s=run.latency_s,
                profile=self.profile.name,
                detail={"source": "mcp", "tool": model.tool},
            )
        except Exception:  # noqa: BLE001 - the history must not break a mined run
            _log.debug("recording the MCP inference run failed", exc_info=True)
        return {
            "model": model.name,
            "version": model.version,
            "cid": model.cid,
            "mode": mode,
            "outputs": outputs,
            "transaction_hash": tx_hash,
            "block": run.block,
            "gas_used": run.gas_used,
            "fee_wei": str(run.fee_wei),
            "explorer": self.profile.explorer_tx_url(tx_hash),
        }

    # -- workflows -----------------------------------------------------------------------------
    def workflows(self) -> List[Dict[str, Any]]:
        from og_tui.core.workflow_book import WorkflowBook
        from og_tui.core.workflow_models import workflow_models

        public = {m.function: m for m in workflow_models(self.profile)}
        out: List[Dict[str, Any]] = []
        seen: set[str] = set()

        def add(entry: Dict[str, Any]) -> None:
            if entry["address"].lower() not in seen:
                seen.add(entry["address"].lower())
                out.append(entry)

        def public_entry(m: Any) -> Dict[str, Any]:
            return {
                "address": m.address,
                "name": m.function,
                "title": m.title,
                "kind": "public",
                "pair": m.pair,
                "output": m.output_key,
            }

        for item in self.config.workflows:
            if item == "public":
                for m in public.values():
                    add(public_entry(m))
            elif item == "mine":
                for e in WorkflowBook(self.data_dir).list(self.profile.name) if self.data_dir else []:
                    q = e.get("query") or {}
                    pair = f"{q.get('base', '?')}/{q.get('quote', '?')}" if q else None
                    add(
                        {
                            "address": str(e["address"]),
                            "name": None,
                            "title": f"mine {pair}" if pair else "mine",
                            "kind": "mine",
                            "pair": pair,
                            "output": None,
                        }
                    )
            elif item in public:
                add(public_entry(public[item]))
            else:
                add({"address": item, "name": None, "title": item, "kind": "address", "pair": None, "output": None})
        return out

    def _workflow(self, ref: str) -> Dict[str, Any]:
        ref = str(ref or "").strip()
        for w in self.workflows():
            if ref.lower() == w["address"].lower() or (w["name"] and ref == w["name"]):
                return w
        raise ValidationError(
            f"{ref!r} is not one of this server's workflows.",
            hint="list_workflows shows them (by address or name); [mcp] workflows in config.toml sets them.",
        )

    def read_workflow(self, ref: str, history: int = 0) -> Dict[str, Any]:
        from og_tui.core.alpha import output_to_dict
        from og_tui.core.workflow_models import format_forecast

        if isinstance(history, bool) or not isinstance(history, int) or not 0 <= history <= MAX_HISTORY:
            raise ValidationError(f"history must be a whole number from 0 to {MAX_HISTORY}, not {history!r}.")
        w = self._workflow(ref)
        address = self.alpha.require_workflow(w["address"])
        output = self.alpha.read_workflow_result(address)
        times = self.alpha.run_times(address, 1)
        latest = {"time": times[0] if times else None, "output": output_to_dict(output)}
        key = w.get("output")
        if key and key in output.numbers:
            latest["forecast"] = format_forecast(float(output.numbers[key].item()))
        result: Dict[str, Any] = {**w, "address": address, "latest": latest}
        if history:
            runs = self.alpha.read_history_with_times(address, history)
            result["history"] = [{"time": r.time, "output": output_to_dict(r.output)} for r in runs]
        return result

    # -- chat ------------------------------------------------------------------------------------
    def chat_models(self) -> List[str]:
        if self.config.chat_models:
            return list(self.config.chat_models)
        return [str(m.get("id")) for m in self.llm.models() if m.get("id")]

    def chat_request(self, arguments: Dict[str, Any]) -> Dict[str, Any]:
        """The chat call's checked parameters (model, messages, max_tokens, temperature)."""
        messages = arguments.get("messages")
        prompt = arguments.get("prompt")
        if messages is None and prompt is None:
            raise ValidationError("Give a prompt (text) or messages ([{role, content}, ...]).")
        if messages is None:
            if not isinstance(prompt, str) or not prompt.strip():
                raise ValidationError("prompt must be non-empty text.")
            messages = [{"role": "user", "content": prompt}]
        from og_tui.core.llm import parse_messages

        messages = parse_messages(messages)
        model = arguments.get("model")
        allowed = self.chat_models()
        if model is None:
            if not allowed:
                raise ValidationError("The network lists no LLM to chat with.")
            model = allowed[0]
        if not isinstance(model, str) or model not in allowed:
            raise ValidationError(
                f"Model {model!r} is not one this server may use: {', '.join(allowed) or 'none'}.",
                hint="[mcp] chat_models in config.toml sets them.",
            )
        limit = self.config.chat_max_tokens
        max_tokens = arguments.get("max_tokens", limit)
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= limit:
            raise ValidationError(f"max_tokens must be a whole number from 1 to {limit}, not {max_tokens!r}.")
        temperature = arguments.get("temperature", 0.0)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 <= temperature <= 2:
            raise ValidationError(f"temperature must be a number from 0 to 2, not {temperature!r}.")
        return {"model": model, "messages": messages, "max_tokens": max_tokens, "temperature": float(temperature)}

    def gas_check(self, model: ExposedModel, arguments: Dict[str, Any]) -> str:
        """What one run of ``model`` costs in gas at most, as text; SpendCapExceeded (nothing signed)
        when that is over this server's ``max_gas_fee``."""
        from og_tui.core.amounts import format_amount
        from og_tui.core.errors import SpendCapExceeded

        sender = self.signer.address if self.signer is not None else self.address
        gas, _price, fee = self.inference.estimate_fee(sender, model.cid or "", self.config.inference_mode, arguments)
        sym = self.profile.native_symbol
        cap = self.config.max_gas_fee_wei
        if fee > cap:
            raise SpendCapExceeded(
                f"Running {model.name} would cost up to {format_amount(fee, 18)} {sym} in gas ({gas:,} gas), over "
                f"this server's cap of {format_amount(cap, 18)} {sym} per model run; nothing was signed.",
                hint="Raise max_gas_fee in the [mcp] table of the config file if you meant to pay this much.",
            )
        return f"up to {format_amount(fee, 18)} {sym} in gas ({gas:,} gas)"

    def price_text(self, model: str, max_tokens: int) -> str:
        """What a chat of ``max_tokens`` will cost at most, as far as the network says."""
        from og_tui.core.amounts import format_amount

        sym, dec = self.profile.payment_token_symbol, self.profile.payment_token_decimals
        try:
            for m in self.llm.models():
                if m.get("id") == model and m.get("price_per_token") is not None:
                    units = int(str(m["price_per_token"])) * int(max_tokens)
                    return f"up to {format_amount(units, dec)} {sym} (x402, {max_tokens} tokens of {model})"
        except (OGError, ValueError):
            pass
        return f"{sym} for up to {max_tokens} tokens of {model} (x402, within the spend caps)"

    def chat(self, request: Dict[str, Any]) -> Dict[str, Any]:
        if self.signer is None:
            raise ValidationError("The wallet is locked: the MCP server has stopped.")
        started = time.monotonic()
        result = self.llm.chat(
            request["model"],
            request["messages"],
            max_tokens=request["max_tokens"],
            temperature=request["temperature"],
            settlement=self.config.settlement,
        )
        meta = result.meta
        message = dict(result.chat_output or {})
        return {
            "model": request["model"],
            "content": message.get("content") or "",
            "finish_reason": result.finish_reason,
            "prompt_tokens": int(meta.prompt_tokens or 0),
            "completion_tokens": int(meta.completion_tokens or 0),
            "cost": str(meta.cost or 0),
            "cost_text": meta.cost_text,
            "payment_hash": meta.payment_hash,
            "settlement_mode": meta.settlement_mode,
            "settlement_status": meta.settlement_status,
            "settlement_tx": meta.settlement_tx,
            "latency_s": round(time.monotonic() - started, 4),
        }
