"""Model signatures as LLM tool schemas, tool arguments back as model inputs.

:func:`schema_from_signature` turns a model's ONNX input signature into the JSON
schema of an OpenAI tool's ``parameters``; :func:`fit_arguments` turns the arguments
an LLM sends back into a model input (reshaping a flat list when the shape is fully
static) or a ValidationError saying what does not fit; :func:`format_tensors` is
what the LLM reads of the model's outputs. Pure functions, no network.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, Mapping, Optional

from og_tui.core.errors import ValidationError

__all__ = ["schema_from_signature", "describe_signature", "tool_name_for", "format_tensors", "fit_arguments"]

_NAME_RE = re.compile(r"[^A-Za-z0-9_-]+")
_NUMBER_TYPES = {"float16": "number", "float32": "number", "float64": "number", "bfloat16": "number"}


def _shape_text(shape: Optional[list[Any]]) -> str:
    if shape is None:
        return "any shape"
    return "[" + ", ".join(str(d) if isinstance(d, int) and d >= 0 else "?" for d in shape) + "]"


def _item_schema(dtype: str) -> dict[str, Any]:
    if dtype == "string":
        return {"type": "string"}
    if dtype == "bool":
        return {"type": "integer", "minimum": 0, "maximum": 1}
    if dtype.startswith(("int", "uint")):
        return {"type": "integer"}
    return {"type": _NUMBER_TYPES.get(dtype, "number")}


def _nested(shape: list[Any], item: dict[str, Any]) -> dict[str, Any]:
    schema = item
    for d in reversed(shape):
        arr: Dict[str, Any] = {"type": "array", "items": schema}
        if isinstance(d, int) and d >= 0:
            arr["minItems"] = d
            arr["maxItems"] = d
        else:
            arr["minItems"] = 1
        schema = arr
    return schema


def schema_from_signature(signature: Mapping[str, Any]) -> dict[str, Any]:
    """JSON schema (OpenAI tool ``parameters``) of a model's inputs.

    One array-valued property per input tensor: nested arrays, one level per dimension,
    with ``minItems``/``maxItems`` fixed for static dimensions; the description names the
    dtype and shape. String tensors are one flat list of strings (as they travel).
    """
    props: Dict[str, Any] = {}
    for spec in signature.get("inputs") or []:
        name = str(spec.get("name"))
        dtype = str(spec.get("dtype") or "float32")
        shape = spec.get("shape")
        if dtype == "string":
            size = None
            if shape is not None and all(isinstance(d, int) and d >= 0 for d in shape):
                size = 1
                for d in shape:
                    size *= d
            schema = _nested([size if size is not None else None], {"type": "string"})
        else:
            schema = _nested(list(shape) if shape is not None else [None], _item_schema(dtype))
        schema["description"] = (
            f"Input tensor {name!r}: {dtype} values, shape {_shape_text(shape)} (nested lists, one level per dimension)."
        )
        props[name] = schema
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def describe_signature(signature: Mapping[str, Any]) -> str:
    """``input: float32 [1, 3, 4]; ...`` -> ``output: float32 [1, 1]`` (one line)."""
    ins = "; ".join(
        f"{s.get('name')}: {s.get('dtype')} {_shape_text(s.get('shape'))}" for s in signature.get("inputs") or []
    )
    outs = "; ".join(
        f"{s.get('name')}: {s.get('dtype')} {_shape_text(s.get('shape'))}" for s in signature.get("outputs") or []
    )
    return f"inputs {ins or 'none'} -> outputs {outs or 'none'}"


def tool_name_for(text: str, prefix: str = "") -> str:
    """A tool name OpenAI-style APIs accept (``[A-Za-z0-9_-]{1,64}``)."""
    base = _NAME_RE.sub("_", str(text)).strip("_") or "tool"
    return (prefix + base)[:64]


def _fmt_number(x: Any) -> Any:
    if isinstance(x, float):
        return float(f"{x:.6g}")
    return x


def _round_nested(value: Any) -> Any:
    if isinstance(value, list):
        return [_round_nested(v) for v in value]
    return _fmt_number(value)


def format_tensors(outputs: Mapping[str, Any]) -> str:
    """``name [shape] = values; ...`` with floats to 6 significant digits (what the LLM reads)."""
    parts = []
    for name, value in outputs.items():
        shape = list(getattr(value, "shape", []) or [])
        data = value.tolist() if hasattr(value, "tolist") else value
        if isinstance(data, bytes):
            data = data.decode(errors="replace")
        data = _round_nested(data)
        shown = json.dumps(data, default=str)
        parts.append(f"{name} {shape} = {shown}" if shape else f"{name} = {shown}")
    return "; ".join(parts) if parts else "(no outputs)"


# --- tool arguments -> model input ---------------------------------------------------------------


def _product(shape: list[Any]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        out: list[Any] = []
        for v in value:
            out.extend(_flatten(v))
        return out
    return [value]


def _reshape(flat: list[Any], shape: list[Any]) -> Any:
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = _product(shape[1:])
    return [_reshape(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def fit_arguments(args: Mapping[str, Any], signature: Mapping[str, Any]) -> dict[str, Any]:
    """The model input for tool ``args``, or ValidationError saying what does not fit.

    A flat (or differently nested) list with exactly the right number of values for a
    fully static shape is reshaped; anything else must match the signature."""
    from og_tui.core.inference import input_problems

    model_input = dict(args)
    for spec in signature.get("inputs") or []:
        name = spec.get("name")
        shape = spec.get("shape")
        if name not in model_input or shape is None or str(spec.get("dtype")) == "string":
            continue
        if not all(isinstance(d, int) and d >= 0 for d in shape):
            continue
        value = model_input[name]
        if isinstance(value, (list, tuple)):
            flat = _flatten(value)
            if len(flat) == _product(shape) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in flat
            ):
                model_input[name] = _reshape(flat, list(shape))
    problems = input_problems(model_input, signature)
    if problems:
        raise ValidationError(" ".join(msg for _, msg in problems), field=problems[0][0] or "input")
    return model_input
