"""Inputs and outputs against a model's ONNX signature: the hub's signature of a file
(:func:`model_signature`), an input template to edit (:func:`input_template`), the problems
of an input (:func:`input_problems`, :func:`check_input`) and outputs reshaped to the
declared shapes (:func:`fit_outputs`). numpy is imported lazily.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from og_tui.core.errors import ValidationError

__all__ = ["model_signature", "input_template", "input_problems", "check_input", "fit_outputs"]


def model_signature(hub_url: str, cid: str, *, auth_url: Optional[str] = None) -> dict[str, Any]:
    """The hub's ``{inputs, outputs}`` signature of the ONNX file ``cid`` (see core/hub.py)."""
    from og_tui.core.hub import HubClient

    client = HubClient(hub_url, auth_url)
    try:
        return client.model_signature(cid)
    finally:
        client.close()


_NUMPY_DTYPES = {
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
}


def _dims(spec: dict[str, Any]) -> list[int]:
    shape = spec.get("shape")
    if shape is None:
        return [1]
    return [int(d) if isinstance(d, int) and d >= 0 else 1 for d in shape]


def input_template(signature: Mapping[str, Any], *, as_arrays: bool = False) -> dict[str, Any]:
    """Zero-filled inputs for a signature: ``{name: nested lists}`` (or ndarrays).

    Dynamic dimensions become 1; floats are 0.0, integers 0, strings "" (a
    one-dimensional list, as strings travel without a shape).
    """
    out: dict[str, Any] = {}
    for spec in signature.get("inputs") or []:
        name = spec.get("name")
        dtype = str(spec.get("dtype") or "float32")
        dims = _dims(spec)
        if dtype == "string":
            size = 1
            for d in dims:
                size *= d
            out[name] = [""] * size
            continue
        import numpy as np

        np_dtype = dtype if dtype in _NUMPY_DTYPES else "float32"
        arr = np.zeros(dims, dtype=np.int64 if np_dtype == "bool" else np_dtype)
        out[name] = arr if as_arrays else arr.tolist()
    return out


def input_problems(model_input: Any, signature: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems of ``model_input`` against a signature, as ``(tensor name, message)``.

    For inline validation in a UI before any gas is spent; empty when it looks right.
    The devnet checks the same rules again (the chain is the authority).
    """
    from og_tui.core.inference import encode_input  # the encoder the transaction uses

    problems: list[tuple[str, str]] = []
    if not isinstance(model_input, Mapping):
        return [("", "The input must be a JSON object of tensor name -> values.")]
    specs = {s.get("name"): s for s in signature.get("inputs") or []}
    if not model_input:
        return [("", "The input is empty.")]
    for name in model_input:
        if name not in specs:
            problems.append(
                (str(name), f"Unknown input {name!r}; the model takes {', '.join(map(str, specs)) or 'nothing'}.")
            )
    for name, spec in specs.items():
        if name not in model_input:
            problems.append((str(name), f"Missing input {name!r}."))
            continue
        value = model_input[name]
        dtype = str(spec.get("dtype") or "")
        try:
            numbers, strings = encode_input({name: value})
        except ValidationError as exc:
            problems.append((str(name), str(exc)))
            continue
        if dtype == "string":
            if numbers:
                problems.append((str(name), f"Input {name!r} takes strings, not numbers."))
            continue
        if strings:
            problems.append((str(name), f"Input {name!r} takes numbers ({dtype}), not strings."))
            continue
        values, shape = numbers[0][1], numbers[0][2]
        want = spec.get("shape")
        if want is not None:
            if len(want) != len(shape) or any(isinstance(w, int) and w >= 0 and w != g for w, g in zip(want, shape)):
                shown = ", ".join("?" if not isinstance(w, int) or w < 0 else str(w) for w in want)
                problems.append((str(name), f"Input {name!r} has shape {list(shape)}; the model expects [{shown}]."))
                continue
        if dtype.startswith(("int", "uint")) and any(d for _, d in values):
            problems.append((str(name), f"Input {name!r} must hold integers ({dtype})."))
    return problems


def check_input(model_input: Any, signature: Mapping[str, Any]) -> None:
    """Raise ValidationError (naming the first bad tensor) if :func:`input_problems` finds any."""
    problems = input_problems(model_input, signature)
    if problems:
        name, message = problems[0]
        raise ValidationError(message, field=name or "input")


def fit_outputs(outputs: Mapping[str, Any], signature: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    """Integer outputs come back from the chain as fixed-point numbers: give them the
    signature's integer dtype again when every value is integral."""
    import numpy as np

    specs = {s.get("name"): s for s in (signature or {}).get("outputs") or []}
    out = dict(outputs)
    for name, value in outputs.items():
        dtype = str((specs.get(name) or {}).get("dtype") or "")
        if not dtype.startswith(("int", "uint")) or not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            continue
        if np.isfinite(value).all() and (value == np.round(value)).all():
            try:
                out[name] = value.astype(dtype)
            except TypeError:
                out[name] = value.astype(np.int64)
    return out
