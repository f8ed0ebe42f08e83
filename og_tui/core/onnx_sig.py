"""ONNX model signatures: input and output names, element types and shapes.

Used by the devnet hub at upload time and by the client for files it downloads.
``onnx`` is imported lazily (it is heavy and the TUI must start fast).

A signature is plain JSON::

    {"inputs":  [{"name": "x", "dtype": "float32", "shape": [1, 3, 4]}],
     "outputs": [{"name": "y", "dtype": "float32", "shape": [null, 1]}]}

``dtype`` is the numpy-style name of the element type (``"string"`` for ONNX strings);
a dynamic dimension is ``null`` (its symbolic name, if any, is kept in ``dimNames``).
Non-tensor values (sequences, maps) get ``dtype`` such as ``"seq(map(int64,float32))"``
and ``shape`` null.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, BinaryIO, Dict, Iterator, List, Optional, Set, Union

if TYPE_CHECKING:  # onnx is imported lazily, where it is used
    import onnx

__all__ = ["NotOnnx", "signature_from_file", "signature_from_bytes", "signature_from_model", "format_signature"]


class NotOnnx(ValueError):
    """The bytes are not a usable ONNX model; ``str()`` says why."""


_DTYPES = {
    1: "float32",
    2: "uint8",
    3: "int8",
    4: "uint16",
    5: "int16",
    6: "int32",
    7: "int64",
    8: "string",
    9: "bool",
    10: "float16",
    11: "float64",
    12: "uint32",
    13: "uint64",
    14: "complex64",
    15: "complex128",
    16: "bfloat16",
}


def _elem(elem_type: int) -> str:
    if elem_type in _DTYPES:
        return _DTYPES[elem_type]
    try:
        import onnx

        name: str = onnx.TensorProto.DataType.Name(elem_type)
        return name.lower()
    except Exception:
        return f"elem_type_{elem_type}"


def _type_name(tp: onnx.TypeProto) -> str:
    kind = tp.WhichOneof("value")
    if kind == "tensor_type":
        return _elem(tp.tensor_type.elem_type)
    if kind == "sparse_tensor_type":
        return "sparse(" + _elem(tp.sparse_tensor_type.elem_type) + ")"
    if kind == "sequence_type":
        return "seq(" + _type_name(tp.sequence_type.elem_type) + ")"
    if kind == "map_type":
        return "map(" + _elem(tp.map_type.key_type) + "," + _type_name(tp.map_type.value_type) + ")"
    if kind == "optional_type":
        return "optional(" + _type_name(tp.optional_type.elem_type) + ")"
    return "unknown"


def _value_info(vi: onnx.ValueInfoProto) -> Dict[str, Any]:
    tp = vi.type
    entry: Dict[str, Any] = {"name": vi.name, "dtype": _type_name(tp), "shape": None}
    kind = tp.WhichOneof("value")
    tensor = (
        tp.tensor_type if kind == "tensor_type" else tp.sparse_tensor_type if kind == "sparse_tensor_type" else None
    )
    if tensor is not None and tensor.HasField("shape"):
        shape: List[Optional[int]] = []
        names: List[Optional[str]] = []
        for dim in tensor.shape.dim:
            which = dim.WhichOneof("value")
            if which == "dim_value" and dim.dim_value >= 0:
                shape.append(int(dim.dim_value))
                names.append(None)
            else:
                shape.append(None)
                names.append(dim.dim_param if which == "dim_param" else None)
        entry["shape"] = shape
        if any(n for n in names):
            entry["dimNames"] = names
    return entry


def signature_from_model(model: onnx.ModelProto) -> Dict[str, Any]:
    """Signature of an ``onnx.ModelProto``; raises NotOnnx if it has no usable graph."""
    if not model.ir_version or not model.HasField("graph"):
        raise NotOnnx("not an ONNX model (no IR version or graph)")
    graph = model.graph
    if len(graph.output) == 0:
        raise NotOnnx("not an ONNX model (the graph has no outputs)")
    initializers = {t.name for t in graph.initializer} | {s.values.name for s in graph.sparse_initializer}
    return {
        "inputs": [_value_info(v) for v in graph.input if v.name not in initializers],
        "outputs": [_value_info(v) for v in graph.output],
        "irVersion": int(model.ir_version),
        "opsets": {(o.domain or "ai.onnx"): int(o.version) for o in model.opset_import},
        "producer": model.producer_name or None,
    }


def signature_from_bytes(data: bytes) -> Dict[str, Any]:
    import onnx

    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:
        raise NotOnnx(f"not an ONNX model ({type(exc).__name__})") from None
    return signature_from_model(model)


def signature_from_file(path: Union[str, os.PathLike[str]]) -> Dict[str, Any]:
    """Parse ``path`` (without external data) and return its signature, or raise NotOnnx.

    Files above STREAM_THRESHOLD are read with seeks (bounded memory, weights skipped)."""
    if os.path.getsize(path) > STREAM_THRESHOLD:
        try:
            return _streamed_signature(path)
        except NotOnnx:
            raise
        except Exception as exc:  # protobuf decode errors and the like
            raise NotOnnx(f"not an ONNX model ({type(exc).__name__})") from None
    import onnx

    try:
        model = onnx.load(os.fspath(path), load_external_data=False)
    except Exception as exc:
        raise NotOnnx(f"not an ONNX model ({type(exc).__name__}: {str(exc)[:120]})") from None
    return signature_from_model(model)


def _fmt_shape(shape: Optional[List[Optional[int]]]) -> str:
    if shape is None:
        return "?"
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def format_signature(sig: Dict[str, Any]) -> List[str]:
    """Human-readable lines, e.g. ``in  x: float32 [1, 3, 4]``."""
    lines = []
    for kind, key in (("in ", "inputs"), ("out", "outputs")):
        for t in sig.get(key) or []:
            lines.append(f"{kind} {t['name']}: {t['dtype']} {_fmt_shape(t.get('shape'))}")
    return lines


# ---- bounded-memory reading of big models -------------------------------------------------
# onnx.load materializes the whole file (weights included). For big files we walk the
# protobuf wire format with seeks instead: only graph inputs/outputs, initializer names
# and opsets are read; weight bytes are skipped.

STREAM_THRESHOLD = 32 * 1024 * 1024


class _Wire:
    def __init__(self, fh: BinaryIO, end: int) -> None:
        self.fh, self.end = fh, end

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.fh.read(1)
            if not b:
                raise NotOnnx("not an ONNX model (truncated)")
            result |= (b[0] & 0x7F) << shift
            if not b[0] & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise NotOnnx("not an ONNX model (bad varint)")

    def fields(self, end: int) -> Iterator[tuple[int, int, int, int]]:
        """Yield (field, wire_type, start, length) for each field up to ``end``; value not consumed
        for LEN fields (caller reads or skips), consumed for VARINT/I64/I32. ``start`` is the
        value's offset in the file, except for VARINT fields where it is the value itself."""
        while self.fh.tell() < end:
            key = self.varint()
            field, wt = key >> 3, key & 7
            if field == 0:
                raise NotOnnx("not an ONNX model (field 0)")
            if wt == 0:
                yield field, wt, self.varint(), 0
            elif wt == 1:
                start = self.fh.seek(8, 1) - 8
                yield field, wt, start, 8
            elif wt == 5:
                start = self.fh.seek(4, 1) - 4
                yield field, wt, start, 4
            elif wt == 2:
                length = self.varint()
                start = self.fh.tell()
                if start + length > end:
                    raise NotOnnx("not an ONNX model (field runs past the end)")
                yield field, wt, start, length
                self.fh.seek(start + length)
            else:
                raise NotOnnx(f"not an ONNX model (wire type {wt})")
        if self.fh.tell() != end:
            raise NotOnnx("not an ONNX model (misaligned fields)")


def _streamed_signature(path: Union[str, os.PathLike[str]]) -> Dict[str, Any]:
    import onnx

    size = os.path.getsize(path)
    ir_version = 0
    producer = None
    opsets: Dict[str, int] = {}
    inputs: List[onnx.ValueInfoProto] = []
    outputs: List[onnx.ValueInfoProto] = []
    init_names: Set[str] = set()
    saw_graph = False
    with open(path, "rb") as fh:
        w = _Wire(fh, size)
        for field, wt, start, length in w.fields(size):
            if field == 1 and wt == 0:
                ir_version = start
            elif field == 2 and wt == 2 and length < 4096:
                producer = fh.read(length).decode("utf-8", "replace")
            elif field == 8 and wt == 2 and length < 4096:
                op = onnx.OperatorSetIdProto.FromString(fh.read(length))
                opsets[op.domain or "ai.onnx"] = int(op.version)
            elif field == 7 and wt == 2:
                saw_graph = True
                for gf, gwt, gstart, glen in w.fields(start + length):
                    if gwt != 2:
                        continue
                    if gf in (11, 12):
                        if glen > 1 << 20:
                            raise NotOnnx("not an ONNX model (oversized value info)")
                        vi = onnx.ValueInfoProto.FromString(fh.read(glen))
                        (inputs if gf == 11 else outputs).append(vi)
                    elif gf == 5:  # initializer: only its name (field 8)
                        for tf, twt, tstart, tlen in w.fields(gstart + glen):
                            if tf == 8 and twt == 2:
                                init_names.add(fh.read(tlen).decode("utf-8", "replace"))
                                fh.seek(tstart + tlen)
    if not ir_version or not saw_graph or not outputs:
        raise NotOnnx("not an ONNX model (no IR version, graph or outputs)")
    return {
        "inputs": [_value_info(v) for v in inputs if v.name not in init_names],
        "outputs": [_value_info(v) for v in outputs],
        "irVersion": int(ir_version),
        "opsets": opsets,
        "producer": producer or None,
    }
