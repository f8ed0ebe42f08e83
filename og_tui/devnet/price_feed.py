"""The price-feed precompile at ``0x…F5``: candles from the synthetic market into a model.

``runInferenceOnPriceFeed(string modelId, string inputName, HistoricalInputQuery query)
returns (ModelOutput)`` (selector ``0xa192a0f9``). It builds the
``[1, total_candles, len(candle_types)]`` float tensor for the query at the block's time
(:mod:`og_tui.devnet.market`), checks it fits the model's input signature, runs the
ONNX model (by CID, from the devnet hub's blob store) and returns the ABI-encoded
``ModelOutput``. Every refusal is a revert with a readable reason (unknown pair, shape
mismatch, unknown model...), so the caller's ``eth_call``/``eth_estimateGas`` shows it.

Models run through :class:`og_tui.devnet.models.ModelRunner` when that module is present
(shared cache with the inference precompile), else through a small local runner.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any, Callable, Dict, Optional

from eth_abi import encode as abi_encode

from og_tui.core import constants
from og_tui.core.alpha import MODEL_OUTPUT_TYPE, QUERY_TYPE, check_query_fits
from og_tui.core.errors import ValidationError
from og_tui.core.types import CandleOrder, CandleType, HistoricalInputQuery
from og_tui.devnet.market import Market, MarketError
from og_tui.devnet.native import NativeCall, selector

log = logging.getLogger(__name__)

__all__ = ["PriceFeed", "RUN_SELECTOR", "install", "LocalModels"]

RUN_SELECTOR = selector(f"runInferenceOnPriceFeed(string,string,{QUERY_TYPE})")
assert RUN_SELECTOR.hex() == "a192a0f9"

GAS_PER_CALL = 40_000
GAS_PER_VALUE = 20  # per candle value fed to the model

_ORT_TYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(string)": "string",
    "tensor(bool)": "bool",
}


class ModelMissing(Exception):
    pass


class LocalModels:
    """Run ONNX models by CID from the devnet hub (sessions cached, LRU)."""

    def __init__(self, resolve_path: Callable[[str], Any], max_sessions: int = 32) -> None:
        self._resolve = resolve_path
        self._sessions: "OrderedDict[str, Any]" = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_sessions

    def _session(self, cid: str):
        with self._lock:
            sess = self._sessions.get(cid)
            if sess is not None:
                self._sessions.move_to_end(cid)
                return sess
        try:
            path = self._resolve(cid)
        except Exception as exc:  # HubProblem(404), bad CID...
            raise ModelMissing(f"model {cid} is not on the devnet hub ({_short(exc)})") from None
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            sess = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelMissing(f"model {cid} cannot be loaded by onnxruntime ({_short(exc)})") from None
        with self._lock:
            self._sessions[cid] = sess
            while len(self._sessions) > self._max:
                self._sessions.popitem(last=False)
        return sess

    def signature(self, cid: str) -> Dict[str, Any]:
        sess = self._session(cid)
        return {
            "inputs": [
                {
                    "name": i.name,
                    "dtype": _ORT_TYPES.get(i.type, i.type),
                    "shape": [d if isinstance(d, int) and d >= 0 else None for d in (i.shape or [])],
                }
                for i in sess.get_inputs()
            ]
        }

    def run(self, cid: str, inputs: Dict[str, Any]) -> Dict[str, Any]:
        sess = self._session(cid)
        names = [o.name for o in sess.get_outputs()]
        values = sess.run(names, inputs)
        return dict(zip(names, values))


class _RunnerAdapter:
    """Thin adapter over the shared :class:`og_tui.devnet.models.ModelRunner` (same cache as 0xF4)."""

    def __init__(self, runner: Any) -> None:
        self.runner = runner
        self.last_gas = 0

    def signature(self, cid: str) -> Dict[str, Any]:
        from og_tui.devnet.models import ModelError

        try:
            model = self.runner.load(cid)
        except ModelError as exc:
            raise ModelMissing(str(exc)) from None
        return {"inputs": [{"name": s.name, "dtype": s.dtype, "shape": s.shape} for s in model.inputs]}

    def run(self, cid: str, inputs: Dict[str, Any]) -> Dict[str, Any]:
        import hashlib

        from og_tui.core.tensors import encode_model_input
        from og_tui.devnet.models import ModelError

        digest = hashlib.sha256(b"price-feed")
        for name, arr in inputs.items():
            digest.update(name.encode() + b"\x00" + repr(arr.shape).encode() + arr.tobytes())
        try:
            result = self.runner.run(cid, encode_model_input(inputs), digest.digest())
        except ModelError as exc:
            raise ModelMissing(str(exc)) from None
        self.last_gas = int(getattr(result, "gas", 0) or 0)
        return dict(result.outputs)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def make_models(node: Any):
    """The model runner for ``node``: the shared ModelRunner of the inference service when
    present (og_tui/devnet/inference_hub.py), else a local one."""
    try:
        from og_tui.devnet.inference_hub import inference_service
    except ImportError:
        inference_service = None
    if inference_service is not None:
        try:
            runner = inference_service(node).runner
            if callable(getattr(runner, "run", None)) and callable(getattr(runner, "load", None)):
                return _RunnerAdapter(runner)
        except Exception:  # noqa: BLE001 - fall back to the local runner
            log.warning("shared ModelRunner unavailable; the price feed uses its own", exc_info=True)
    from og_tui.devnet.hub import get_service

    return LocalModels(get_service(node).blob_path)


class PriceFeed:
    """The native handler (``node.register_native(PRICE_FEED, PriceFeed(models))``)."""

    def __init__(self, models: Any, market: Optional[Market] = None) -> None:
        self.models = models
        self.market = market or Market()

    def __call__(self, call: NativeCall) -> bytes:
        if call.selector != RUN_SELECTOR:
            call.use_gas(1_000, "price feed: unknown function")
            call.revert("price feed: unknown function (only runInferenceOnPriceFeed)")
        model_id, input_name, q = call.decode(["string", "string", QUERY_TYPE])
        base, quote, total, duration, order, types = q
        call.use_gas(GAS_PER_CALL, "price feed")
        try:
            outputs = self.infer(model_id, input_name, q, call.timestamp, gas=call.use_gas)
        except (MarketError, ModelMissing, ValidationError) as exc:
            call.revert(f"price feed: {exc}")
        model_gas = int(getattr(self.models, "last_gas", 0) or 0)
        if model_gas:
            call.use_gas(model_gas, "price feed model")
        from og_tui.core.tensors import encode_model_output

        try:
            encoded = encode_model_output(outputs)
        except Exception as exc:
            call.revert(f"price feed: model output cannot be encoded ({_short(exc)})")
        return abi_encode([MODEL_OUTPUT_TYPE], [encoded])

    def build_input(self, input_name: str, query: tuple, now: int, signature: Dict[str, Any]):
        """The input tensor for ``query`` at ``now`` after the signature check (ValidationError)."""
        base, quote, total, duration, order, types = query
        hq = HistoricalInputQuery(base, quote, int(total), int(duration), _order(order), _types(types))
        # pair and ranges first: their messages name the problem best
        self.market._pair(base, quote)
        check_query_fits(signature, input_name, hq)
        dtype = "float32"
        for entry in signature.get("inputs") or []:
            if entry.get("name") == input_name and entry.get("dtype") in ("float64", "double"):
                dtype = "float64"
        return self.market.query_tensor(base, quote, total, duration, order, types, now, dtype=dtype)

    def infer(self, model_id: str, input_name: str, query: tuple, now: int, gas: Optional[Callable] = None):
        if not model_id:
            raise ValidationError("model id is empty")
        signature = self.models.signature(model_id)
        tensor = self.build_input(input_name, query, now, signature)
        if gas is not None:
            gas(GAS_PER_VALUE * int(tensor.size), "price feed candles")
        return self.models.run(model_id, {input_name: tensor})


def _order(value: int):
    try:
        return CandleOrder(int(value))
    except ValueError:
        raise MarketError(f"order must be 0 (ASCENDING) or 1 (DESCENDING), not {value}") from None


def _types(values) -> list:
    out = []
    for v in values:
        try:
            out.append(CandleType(int(v)))
        except ValueError:
            raise MarketError(f"unknown candle type {v} (0=HIGH, 1=LOW, 2=OPEN, 3=CLOSE, 4=VOLUME)") from None
    if not out:
        raise MarketError("candle_types is empty: pick at least one of HIGH, LOW, OPEN, CLOSE, VOLUME")
    return out


def install(node: Any, models: Any = None, market: Optional[Market] = None) -> PriceFeed:
    feed = PriceFeed(models or make_models(node), market)
    node.register_native(constants.PRICE_FEED_PRECOMPILE_ADDRESS, feed, name="price feed")
    return feed
