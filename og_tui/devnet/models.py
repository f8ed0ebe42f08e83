"""ModelRunner: ONNX models by CID from the hub's blob store, run with onnxruntime.

- sessions are cached (LRU, ``max_sessions``), keyed by CID (content-addressed, so a
  CID's bytes never change);
- the input (a decoded ``ModelInput`` tuple) is checked against the model signature
  (names, element types, shapes) with readable errors (:class:`ModelError`; the hub
  turns them into revert reasons);
- results are cached by ``(cid, input digest)`` (LRU, ``max_results``), so
  ``eth_estimateGas`` (which runs a transaction several times) and the mined
  transaction run the model once; :attr:`stats` counts real runs and cache hits;
- :func:`gas_for` prices the work: a base plus per input/output element plus a
  FLOP-ish proxy (parameters touched per input row), deterministic for a given
  (model, input) so estimates match the mined transaction.

onnxruntime and numpy are imported lazily (first inference), so a devnet that never
runs a model does not pay for them.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

log = logging.getLogger(__name__)

__all__ = [
    "ModelError",
    "UnknownModel",
    "NotOnnxModel",
    "InputMismatch",
    "ModelFailed",
    "LoadedModel",
    "RunResult",
    "ModelRunner",
    "gas_for",
    "GAS_BASE",
    "GAS_PER_INPUT_ELEMENT",
    "GAS_PER_OUTPUT_ELEMENT",
    "GAS_PER_PARAM_ROW",
    "MAX_INPUT_ELEMENTS",
]

GAS_BASE = 30_000
GAS_PER_INPUT_ELEMENT = 20
GAS_PER_OUTPUT_ELEMENT = 20
GAS_PER_PARAM_ROW = 1  # per (parameter element x input row): a multiply-add proxy
GAS_WORK_CAP = 20_000_000
MAX_INPUT_ELEMENTS = 10_000_000  # beyond this the devnet refuses before touching the model

_ORT_TYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(int16)": "int16",
    "tensor(int8)": "int8",
    "tensor(uint8)": "uint8",
    "tensor(uint16)": "uint16",
    "tensor(uint32)": "uint32",
    "tensor(uint64)": "uint64",
    "tensor(bool)": "bool",
    "tensor(string)": "string",
}


class ModelError(Exception):
    """A request the devnet cannot serve; ``str()`` is the revert reason."""

    cacheable = True


class UnknownModel(ModelError):
    cacheable = False  # the file may be uploaded later


class NotOnnxModel(ModelError):
    pass


class InputMismatch(ModelError):
    pass


class ModelFailed(ModelError):
    pass


@dataclass
class TensorSpec:
    name: str
    dtype: str  # numpy-style name or "string"
    shape: Optional[list]  # ints, None for dynamic dims

    def describe(self) -> str:
        dims = "?" if self.shape is None else ", ".join("?" if d is None else str(d) for d in self.shape)
        return f"{self.name} {self.dtype}[{dims}]"


@dataclass
class LoadedModel:
    cid: str
    session: Any
    inputs: list
    outputs: list
    param_elements: int
    size: int

    def signature_text(self) -> str:
        return ", ".join(s.describe() for s in self.inputs)


@dataclass
class RunResult:
    """Outputs of one model run (name -> ndarray, in graph order) and its price."""

    cid: str
    outputs: dict
    gas: int
    input_elements: int
    output_elements: int
    seconds: float
    extra: dict = field(default_factory=dict)


def gas_for(model: LoadedModel, input_elements: int, output_elements: int, rows: int) -> int:
    work = min(GAS_WORK_CAP, GAS_PER_PARAM_ROW * model.param_elements * max(1, rows))
    return GAS_BASE + GAS_PER_INPUT_ELEMENT * input_elements + GAS_PER_OUTPUT_ELEMENT * output_elements + work


def _spec(arg: Any) -> TensorSpec:
    dtype = _ORT_TYPES.get(arg.type, arg.type)
    shape = arg.shape
    if shape is not None:
        shape = [d if isinstance(d, int) and d >= 0 else None for d in shape]
    return TensorSpec(arg.name, dtype, shape)


def _fmt_shape(shape: Any) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


class ModelRunner:
    """Loads, checks and runs ONNX models by CID. Thread-safe."""

    def __init__(
        self,
        resolve: Callable[[str], Path],
        *,
        max_sessions: int = 16,
        max_results: int = 256,
        threads: int = 1,
    ) -> None:
        """``resolve(cid) -> Path`` finds a blob (raise :class:`UnknownModel` / KeyError if absent)."""
        self.resolve = resolve
        self.max_sessions = max_sessions
        self.max_results = max_results
        self.threads = threads
        self._sessions: "OrderedDict[str, LoadedModel]" = OrderedDict()
        self._results: "OrderedDict[tuple, Any]" = OrderedDict()
        self._lock = threading.RLock()
        self.stats = {"runs": 0, "cache_hits": 0, "loads": 0, "session_hits": 0, "errors": 0}

    # -- loading -------------------------------------------------------------------------
    def load(self, cid: str) -> LoadedModel:
        with self._lock:
            model = self._sessions.get(cid)
            if model is not None:
                self._sessions.move_to_end(cid)
                self.stats["session_hits"] += 1
                return model
        model = self._load(cid)
        with self._lock:
            self._sessions[cid] = model
            self._sessions.move_to_end(cid)
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
            self.stats["loads"] += 1
        return model

    def _load(self, cid: str) -> LoadedModel:
        if not cid or not isinstance(cid, str):
            raise UnknownModel("no model CID given")
        try:
            path = Path(self.resolve(cid))
        except ModelError:
            raise
        except Exception:  # HubProblem(404), KeyError, ValueError(not a CID)
            raise UnknownModel(f"unknown model CID {cid!r}: no such file on this devnet's Model Hub") from None
        data = path.read_bytes()
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            session = ort.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as exc:
            text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise NotOnnxModel(f"the file {cid} is not a runnable ONNX model ({text})") from None
        param_elements = self._param_elements(data)
        inputs = [_spec(a) for a in session.get_inputs()]
        outputs = [_spec(a) for a in session.get_outputs()]
        return LoadedModel(cid, session, inputs, outputs, param_elements, len(data))

    @staticmethod
    def _param_elements(data: bytes) -> int:
        try:
            import onnx

            model = onnx.load_model_from_string(data)
            total = 0
            for init in model.graph.initializer:
                n = 1
                for d in init.dims:
                    n *= int(d)
                total += n
            return total
        except Exception:  # pragma: no cover - ort accepted it, onnx did not: price by size
            return len(data) // 4

    # -- input checks ----------------------------------------------------------------------
    def prepare(self, model: LoadedModel, model_input: Any) -> tuple[dict, int, int]:
        """Decoded ``ModelInput`` -> ({name: ndarray in the model's dtype}, elements, rows).

        Raises :class:`InputMismatch` naming the tensor.
        """
        import numpy as np

        from og_tui.core.tensors import TensorError, decode_number_tensor

        numbers, strings = model_input[0], model_input[1]
        given: dict = {}
        for t in numbers:
            name = str(t[0])
            if name in given:
                raise InputMismatch(f"input tensor {name!r} is given twice")
            given[name] = ("number", t)
        for t in strings:
            name = str(t[0])
            if name in given:
                raise InputMismatch(f"input tensor {name!r} is given twice")
            given[name] = ("string", t)
        if not given:
            raise InputMismatch(f"the input has no tensors; the model expects {model.signature_text()}")
        expected = {s.name: s for s in model.inputs}
        unknown = [n for n in given if n not in expected]
        if unknown:
            raise InputMismatch(f"unknown input tensor {unknown[0]!r}; the model expects {model.signature_text()}")
        missing = [n for n in expected if n not in given]
        if missing:
            raise InputMismatch(f"missing input tensor {missing[0]!r}; the model expects {model.signature_text()}")

        feeds: dict = {}
        elements = 0
        rows = 1
        for spec in model.inputs:
            kind, t = given[spec.name]
            if spec.dtype == "string":
                if kind != "string":
                    raise InputMismatch(
                        f"input {spec.name!r} must be strings (the model takes {spec.describe()}), got numbers"
                    )
                arr = np.array([str(s) for s in t[1]], dtype=object)
                arr = self._shape_strings(spec, arr)
            else:
                if kind != "number":
                    raise InputMismatch(f"input {spec.name!r} must be numbers ({spec.describe()}), got strings")
                try:
                    arr = decode_number_tensor(t, exact=True)
                except TensorError as exc:
                    raise InputMismatch(f"input {spec.name!r}: {exc}") from None
                arr = self._cast(spec, arr)
                self._check_shape(spec, list(arr.shape))
            if arr.size == 0:
                raise InputMismatch(f"input {spec.name!r} is empty; the model expects {spec.describe()}")
            elements += int(arr.size)
            if elements > MAX_INPUT_ELEMENTS:
                raise InputMismatch(f"the input has more than {MAX_INPUT_ELEMENTS:,} elements, the devnet limit")
            if arr.ndim >= 1:
                rows = max(rows, int(arr.shape[0]) if spec.shape and spec.shape[0] is None else 1)
            feeds[spec.name] = arr
        return feeds, elements, rows

    @staticmethod
    def _check_shape(spec: TensorSpec, shape: list) -> None:
        if spec.shape is None:
            return
        if len(shape) != len(spec.shape) or any(e is not None and e != g for e, g in zip(spec.shape, shape)):
            raise InputMismatch(
                f"input {spec.name!r} has shape {_fmt_shape(shape)} but the model expects {_fmt_shape(spec.shape)}"
            )

    @staticmethod
    def _shape_strings(spec: TensorSpec, arr: Any) -> Any:
        """String tensors travel without a shape: fit the flat values to the model's."""
        if spec.shape is None or len(spec.shape) == 1:
            if spec.shape and spec.shape[0] is not None and spec.shape[0] != arr.size:
                raise InputMismatch(
                    f"input {spec.name!r} has {arr.size} strings but the model expects {_fmt_shape(spec.shape)}"
                )
            return arr
        known = 1
        unknown = 0
        for d in spec.shape:
            if d is None:
                unknown += 1
            else:
                known *= d
        dims = list(spec.shape)
        if unknown == 0 and known == arr.size:
            return arr.reshape(dims)
        if unknown and known and arr.size % known == 0:
            fill = arr.size // known
            dims = [d if d is not None else 1 for d in dims]
            dims[[i for i, d in enumerate(spec.shape) if d is None][0]] = fill
            return arr.reshape(dims)
        raise InputMismatch(
            f"input {spec.name!r} has {arr.size} strings, which does not fit the model's shape {_fmt_shape(spec.shape)}"
        )

    @staticmethod
    def _cast(spec: TensorSpec, arr: Any) -> Any:
        import numpy as np

        dtype = spec.dtype
        if dtype == "bool":
            if not np.isin(arr, (0, 1)).all():
                raise InputMismatch(f"input {spec.name!r} is boolean: send 0 or 1 values")
            return arr.astype(bool)
        try:
            target = np.dtype(dtype)
        except TypeError:
            raise InputMismatch(f"input {spec.name!r} has type {dtype}, which the devnet cannot feed") from None
        if target.kind in "iu":
            if arr.dtype.kind == "f":
                bad = np.flatnonzero(arr != np.round(arr))
                if bad.size:
                    i = int(bad[0])
                    raise InputMismatch(
                        f"input {spec.name!r} must hold integers ({dtype}) but element {i} is {float(arr.ravel()[i])!r}"
                    )
            info = np.iinfo(target)
            if arr.size and (arr.min() < info.min or arr.max() > info.max):
                raise InputMismatch(f"input {spec.name!r} has values outside the {dtype} range")
            return arr.astype(target)
        if target.kind == "f":
            out = arr.astype(target)
            if not np.isfinite(out).all():
                raise InputMismatch(f"input {spec.name!r} has values too large for {dtype}")
            return out
        raise InputMismatch(f"input {spec.name!r} has type {dtype}, which the devnet cannot feed")

    # -- running ---------------------------------------------------------------------------
    def run(self, cid: str, model_input: Any, input_digest: bytes) -> RunResult:
        """Check and run (or return the cached result for) ``(cid, input_digest)``."""
        key = (cid, bytes(input_digest))
        with self._lock:
            hit = self._results.get(key)
            if hit is not None:
                self._results.move_to_end(key)
                self.stats["cache_hits"] += 1
                if isinstance(hit, ModelError):
                    raise hit
                return hit
        try:
            result = self._run(cid, model_input)
        except ModelError as exc:
            with self._lock:
                self.stats["errors"] += 1
                if exc.cacheable:
                    self._remember(key, exc)
            raise
        with self._lock:
            self._remember(key, result)
        return result

    def _remember(self, key: tuple, value: Any) -> None:
        self._results[key] = value
        self._results.move_to_end(key)
        while len(self._results) > self.max_results:
            self._results.popitem(last=False)

    def _run(self, cid: str, model_input: Any) -> RunResult:
        import time

        import numpy as np

        model = self.load(cid)
        feeds, in_elems, rows = self.prepare(model, model_input)
        started = time.perf_counter()
        try:
            raw = model.session.run(None, feeds)
        except Exception as exc:
            text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise ModelFailed(f"the model failed inside onnxruntime: {text}") from None
        finally:
            with self._lock:
                self.stats["runs"] += 1
        seconds = time.perf_counter() - started
        outputs: dict = {}
        out_elems = 0
        for spec, value in zip(model.outputs, raw):
            if isinstance(value, np.ndarray):
                if value.dtype.kind == "f" and value.size and not np.isfinite(value).all():
                    raise ModelFailed(
                        f"the model produced NaN or infinity in output {spec.name!r}, which cannot be returned on-chain"
                    )
                out_elems += int(value.size)
            outputs[spec.name] = value
        gas = gas_for(model, in_elems, out_elems, rows)
        return RunResult(cid, outputs, gas, in_elems, out_elems, seconds)

    def clear(self) -> None:
        with self._lock:
            self._sessions.clear()
            self._results.clear()
