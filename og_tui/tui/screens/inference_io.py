"""Pure helpers of the Inference screen (no widgets): input files -> tensors, editor
text -> validated input, outputs fitted to the signature. Called from workers and tests;
numpy is imported lazily.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from og_tui.core.inference import fit_outputs  # noqa: F401 - re-exported

__all__ = ["load_input_file", "check_input_text", "fit_outputs", "jsonable_input", "export_bytes", "INPUT_EXTENSIONS"]

INPUT_EXTENSIONS = (".json", ".npy", ".npz", ".csv")


# --- input files (pure; called from a worker) ---------------------------------------------------


def _fit(arr: Any, spec: Mapping[str, Any] | None) -> Any:
    """Reshape/cast a loaded array to the signature's shape and dtype when that is unambiguous."""
    import math

    import numpy as np

    if spec is None:
        return arr
    dtype = str(spec.get("dtype") or "")
    shape = spec.get("shape")
    if dtype == "string":
        return np.asarray(arr).astype(str).reshape(-1)
    if shape is not None and list(arr.shape) != list(shape):
        known = [d for d in shape if isinstance(d, int) and d >= 0]
        dynamic = len(shape) - len(known)
        size = arr.size
        target = None
        if dynamic == 0 and math.prod(known) == size:
            target = list(shape)
        elif dynamic == 1 and known and size % max(1, math.prod(known)) == 0:
            fill = size // max(1, math.prod(known))
            target = [fill if not (isinstance(d, int) and d >= 0) else d for d in shape]
        elif dynamic == 1 and not known:
            target = [size]
        if target is not None and len(target) != arr.ndim:
            arr = arr.reshape(target)
    if dtype.startswith(("int", "uint")) and arr.dtype.kind == "f":
        if np.isfinite(arr).all() and (arr == np.round(arr)).all():
            arr = arr.astype(np.int64)
    return arr


def _read_csv(path: Path, spec: Mapping[str, Any] | None) -> Any:
    import csv

    import numpy as np

    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = [[cell.strip() for cell in row] for row in csv.reader(fh) if any(cell.strip() for cell in row)]
    if not rows:
        raise ValueError(f"{path.name} has no values.")
    if spec is not None and spec.get("dtype") == "string":
        return np.array([cell for row in rows for cell in row], dtype=object)

    def numeric(row: list[str]) -> bool:
        try:
            [float(c) for c in row]
            return True
        except ValueError:
            return False

    if not numeric(rows[0]) and len(rows) > 1:
        rows = rows[1:]  # a header line
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ValueError(f"{path.name}: every row needs the same number of values (found {sorted(widths)}).")
    try:
        return np.array([[float(c) for c in row] for row in rows], dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}.") from None


def load_input_file(path: Path, signature: Mapping[str, Any] | None) -> tuple[dict, str]:
    """``({name: value}, summary)`` from a .json, .npy, .npz or .csv file.

    A file holding one unnamed tensor (.npy, .csv, a bare JSON array) goes to the model's
    only input; shapes and integer dtypes are fitted to the signature when unambiguous.
    """
    import numpy as np

    specs = list((signature or {}).get("inputs") or [])
    by_name = {s.get("name"): s for s in specs}
    single = specs[0] if len(specs) == 1 else None
    suffix = path.suffix.lower()

    def one_tensor(arr: Any, what: str) -> dict:
        if single is not None:
            return {single["name"]: _fit(arr, single)}
        if specs:
            names = ", ".join(str(s.get("name")) for s in specs)
            raise ValueError(
                f"{what} holds one tensor, but the model takes {len(specs)} inputs ({names}): use .json or .npz."
            )
        return {"input": arr}

    if suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, list):
            data = one_tensor(np.array(data), "The JSON file")
        if not isinstance(data, dict):
            raise ValueError("The JSON file must hold an object of tensor name -> values (or one array).")
        out = {}
        for name, value in data.items():
            if isinstance(value, dict) and "values" in value:  # an exported output file
                value = value["values"]
            if name in by_name and isinstance(value, list):
                try:
                    value = _fit(np.array(value), by_name[name])
                except ValueError:
                    pass
            out[name] = value
        return out, f"{len(out)} tensor{'s' if len(out) != 1 else ''} from {path.name}"
    if suffix == ".npy":
        arr = np.load(path, allow_pickle=False)
        out = one_tensor(arr, "A .npy file")
        return out, f"{arr.dtype} {list(arr.shape)} from {path.name}"
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        if not arrays:
            raise ValueError(f"{path.name} holds no arrays.")
        if single is not None and len(arrays) == 1 and single["name"] not in arrays:
            arrays = {single["name"]: next(iter(arrays.values()))}
        out = {name: _fit(arr, by_name.get(name)) for name, arr in arrays.items()}
        return out, f"{len(out)} array{'s' if len(out) != 1 else ''} from {path.name}"
    if suffix == ".csv":
        arr = _read_csv(path, single)
        out = one_tensor(arr, "A .csv file")
        return out, f"{arr.size:,} values from {path.name}"
    raise ValueError(f"{path.name}: use a .json, .npy, .npz or .csv file.")


def check_input_text(text: str, signature: Mapping[str, Any] | None) -> tuple[dict | None, list[str]]:
    """Parse the editor text and list its problems against the signature (never raises)."""
    from og_tui.core.errors import ValidationError
    from og_tui.core.inference import encode_input, input_problems

    if not text.strip():
        return None, ["The input is empty: type a JSON object of tensor name -> values (ctrl+t: template)."]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"Not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}."]
    if not isinstance(data, dict):
        return None, ['The input must be a JSON object of tensor name -> values, like {"x": [[1, 2]]}.']
    if signature:
        problems = [f"{name}: {msg}" if name else msg for name, msg in input_problems(data, signature)]
    else:
        try:
            encode_input(data)
            problems = []
        except ValidationError as exc:
            problems = [str(exc)]
    return (data if not problems else None), problems


def jsonable_input(model_input: Mapping[str, Any]) -> dict:
    from og_tui.tui.widgets.tensor_table import short_values

    out = {}
    for name, value in model_input.items():
        out[name] = short_values(value) if hasattr(value, "dtype") else value
    return out


# --- export (pure; called from a worker) ----------------------------------------------------------


def export_bytes(path: Path, outputs: Mapping[str, Any], summary: Mapping[str, Any]) -> bytes:
    """The outputs as a file's bytes: ``.npz`` (one array per tensor; strings as text) or JSON
    with the run's summary."""
    if path.suffix.lower() == ".npz":
        import io

        import numpy as np

        arrays = {name: np.asarray(value) for name, value in outputs.items()}
        buf = io.BytesIO()
        np.savez(buf, **{k: (v if v.dtype.kind != "O" else v.astype(str)) for k, v in arrays.items()})
        return buf.getvalue()
    from og_tui.tui.widgets.tensor_table import outputs_json

    return json.dumps({**summary, "outputs": outputs_json(dict(outputs))}, indent=2, ensure_ascii=False).encode()
