"""Model outputs, one block per tensor: name, dtype, shape, the values in a scrollable
table, and a sparkline for one-dimensional numeric outputs.

Also the pure helpers the Inference screen shares with its tests: tensors <-> JSON
(short float32 digits, so ``0.1`` stays ``0.1``), editor text for a model input.
numpy is imported lazily (the module is imported with the screen).
"""

from __future__ import annotations

import json
import math
from typing import Any, Iterable, Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Sparkline, Static

from og_tui.tui.widgets.key_scroll import KeyScroll

MAX_ROWS = 500  # rows drawn per tensor; copy/export carry every value
MAX_COLS = 64
ROW_THRESHOLD = 12
SPARK_MIN = 4  # fewer values make no useful plot  # a single row longer than this is shown as a column instead


# --- pure helpers ----------------------------------------------------------------------------------


def _np():
    import numpy as np

    return np


def short_values(arr: Any) -> Any:
    """Nested lists of ``arr`` with the shortest decimal for each float (float32-exact)."""
    np = _np()
    a = np.asarray(arr)
    if a.dtype.kind == "f" and a.dtype.itemsize < 8:
        # float32/16 -> the shortest text that reads back as the same float32 (numpy's repr)
        flat = [float(t) for t in a.reshape(-1).astype(str).tolist()]
        return _nest(flat, a.shape)
    if a.dtype.kind == "f":
        return a.tolist()
    if a.dtype.kind in "iub":
        return a.astype(np.int64 if a.dtype.kind != "b" else bool).tolist()
    return a.tolist()


def _nest(flat: list, shape: tuple) -> Any:
    if not shape:
        return flat[0]
    for dim in reversed(shape[1:]):
        flat = [flat[i : i + dim] for i in range(0, len(flat), dim)] if dim else [[] for _ in range(len(flat))]
    return flat


def tensor_json(value: Any) -> dict:
    """``{"dtype", "shape", "values"}`` for one output tensor (non-arrays: ``{"value"}``)."""
    np = _np()
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O" and value.ndim == 0:
            return {"dtype": "json", "shape": [], "value": value.item()}
        return {"dtype": str(value.dtype), "shape": list(value.shape), "values": short_values(value)}
    return {"dtype": "json", "shape": [], "value": value}


def outputs_json(outputs: Mapping[str, Any]) -> dict:
    return {str(name): tensor_json(value) for name, value in outputs.items()}


def outputs_from_json(data: Mapping[str, Any]) -> dict:
    """Inverse of :func:`outputs_json` (history rows back to arrays)."""
    np = _np()
    out: dict = {}
    for name, item in (data or {}).items():
        if not isinstance(item, Mapping):
            out[name] = item
            continue
        if "values" not in item:
            out[name] = item.get("value")
            continue
        dtype = item.get("dtype") or None
        try:
            arr = np.array(item["values"], dtype=None if dtype in (None, "json") or dtype.startswith("<U") else dtype)
        except (TypeError, ValueError):
            arr = np.array(item["values"], dtype=object)
        shape = item.get("shape")
        if shape is not None and arr.size == math.prod(shape):
            arr = arr.reshape(shape)
        out[name] = arr
    return out


def _json_compact(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False, allow_nan=True)


def _rows_text(value: Any, indent: int) -> str:
    """Nested lists: innermost lists on one line each, outer levels indented."""
    if (
        isinstance(value, list)
        and value
        and isinstance(value[0], list)
        and isinstance(value[0][0] if value[0] else None, list)
    ):
        pad = " " * (indent + 2)
        inner = (",\n" + pad).join(_rows_text(v, indent + 2) for v in value)
        return "[\n" + pad + inner + "\n" + " " * indent + "]"
    if isinstance(value, list) and len(value) > 1 and all(isinstance(v, list) for v in value):
        pad = " " * (indent + 2)
        return "[\n" + pad + (",\n" + pad).join(_json_compact(v) for v in value) + "\n" + " " * indent + "]"
    return _json_compact(value)


def input_text(model_input: Mapping[str, Any]) -> str:
    """Editor text for ``{name: array or lists}``: one tensor per key, rows on their own lines."""
    np = _np()
    lines = []
    for name, value in model_input.items():
        if isinstance(value, np.ndarray):
            value = short_values(value)
        lines.append(f"  {json.dumps(str(name))}: {_rows_text(value, 2)}")
    return "{\n" + ",\n".join(lines) + "\n}\n" if lines else "{}\n"


def format_number(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value == 0:
            return "0"
        return f"{value:.6g}"
    return str(value)


def describe_shape(shape: Iterable[Any]) -> str:
    return "[" + ", ".join("?" if d is None or (isinstance(d, int) and d < 0) else str(d) for d in shape) + "]"


def sparkline_data(value: Any) -> list[float] | None:
    """The values for a sparkline when ``value`` is numeric and one-dimensional (after squeeze)."""
    np = _np()
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf" or value.size < SPARK_MIN:
        return None
    flat = np.squeeze(value)
    if flat.ndim != 1:
        return None
    data = flat.astype(np.float64)
    if not np.isfinite(data).all():
        return None
    return data.tolist()


def _table_view(value: Any) -> tuple[list[str], list[tuple[str, list[str]]], int]:
    """(column labels, [(row label, cells)], total rows) for any tensor (rows capped)."""
    np = _np()
    a = value
    if a.ndim == 0:
        return ["value"], [("", [format_number(a.item())])], 1
    if a.ndim == 1:
        if a.shape[0] <= ROW_THRESHOLD:
            return [str(i) for i in range(a.shape[0])], [("", [format_number(v) for v in a.tolist()])], 1
        rows = [(str(i), [format_number(v)]) for i, v in enumerate(a[:MAX_ROWS].tolist())]
        return ["value"], rows, a.shape[0]
    lead = a.shape[:-1]
    flat = a.reshape(-1, a.shape[-1])
    total = flat.shape[0]
    if total == 1 and a.shape[-1] > ROW_THRESHOLD:
        prefix = ", ".join("0" for _ in lead)
        rows = [(f"[{prefix}, {i}]", [format_number(v)]) for i, v in enumerate(flat[0, :MAX_ROWS].tolist())]
        return ["value"], rows, a.shape[-1]
    ncols = min(a.shape[-1], MAX_COLS)
    cols = [str(i) for i in range(ncols)] + (["…"] if a.shape[-1] > MAX_COLS else [])
    rows = []
    for r in range(min(total, MAX_ROWS)):
        index = np.unravel_index(r, lead) if lead else ()
        label = "[" + ", ".join(str(int(i)) for i in index) + "]"
        cells = [format_number(v) for v in flat[r, :ncols].tolist()]
        if a.shape[-1] > MAX_COLS:
            cells.append(f"+{a.shape[-1] - MAX_COLS}")
        rows.append((label, cells))
    return cols, rows, total


# --- widget -------------------------------------------------------------------------------------------


class TensorBlock(Vertical):
    """One output tensor."""

    DEFAULT_CSS = """
    TensorBlock { height: auto; margin-bottom: 1; }
    TensorBlock .tensor-head { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    TensorBlock Sparkline { height: 2; margin: 0 1 0 0; }
    TensorBlock .tensor-range { height: 1; color: $text-muted; }
    TensorBlock DataTable { height: auto; max-height: 10; background: $surface; }
    TensorBlock .tensor-note { height: auto; color: $text-muted; }
    TensorBlock .tensor-json { height: auto; max-height: 10; }
    """

    def __init__(self, name: str, value: Any) -> None:
        super().__init__(classes="tensor-block")
        self.tensor_name = name
        self.value = value

    def compose(self) -> ComposeResult:
        np = _np()
        value = self.value
        head = Text()
        head.append(self.tensor_name, style="bold")
        if isinstance(value, np.ndarray) and not (value.dtype.kind == "O" and value.ndim == 0):
            kind = "string" if value.dtype.kind in "OUS" else str(value.dtype)
            head.append(f"  {kind} {describe_shape(value.shape)}", style="dim")
            head.append(f"  {value.size:,} value{'s' if value.size != 1 else ''}", style="dim")
            yield Static(head, classes="tensor-head")
            spark = sparkline_data(value)
            if spark is not None:
                yield Sparkline(spark, classes="tensor-spark")
                lo, hi = min(spark), max(spark)
                yield Static(f"min {format_number(lo)} · max {format_number(hi)}", classes="tensor-range")
            yield DataTable(classes="tensor-values", cursor_type="cell", zebra_stripes=True)
            return
        head.append("  json", style="dim")
        yield Static(head, classes="tensor-head")
        shown = value.item() if isinstance(value, np.ndarray) else value
        text = json.dumps(shown, indent=2, ensure_ascii=False, default=str)
        if len(text) > 4000:
            text = text[:4000] + "\n…"
        yield Static(Text(text), classes="tensor-json")

    def on_mount(self) -> None:
        np = _np()
        tables = self.query(DataTable)
        if not tables:
            return
        table = tables.first()
        value = self.value
        if value.dtype.kind in "OUS":
            value = np.vectorize(lambda s: s if len(str(s)) <= 60 else str(s)[:59] + "…", otypes=[object])(value)
        cols, rows, total = _table_view(value)
        table.add_column(" ", key="_index")
        for i, label in enumerate(cols):
            table.add_column(label, key=f"c{i}")
        for label, cells in rows:
            table.add_row(Text(label, style="dim"), *cells)
        table.show_row_labels = False
        if total > len(rows):
            self.mount(
                Static(
                    f"showing {len(rows):,} of {total:,} rows · copy (ctrl+b) or export (ctrl+s) for all",
                    classes="tensor-note",
                )
            )


class TensorTable(KeyScroll, VerticalScroll):
    """Every output tensor of a run, in order; ``show({})`` clears it."""

    DEFAULT_CSS = """
    TensorTable { height: 1fr; }
    TensorTable .tensor-empty { color: $text-muted; }
    """

    def __init__(self, *, placeholder: str = "", id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.placeholder = placeholder
        self.outputs: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield Static(self.placeholder, classes="tensor-empty")

    def show(self, outputs: Mapping[str, Any] | None) -> None:
        self.outputs = dict(outputs or {})
        with self.app.batch_update():
            self.remove_children()
            if not self.outputs:
                self.mount(Static(self.placeholder, classes="tensor-empty"))
                return
            self.mount_all([TensorBlock(str(name), value) for name, value in self.outputs.items()])
        self.scroll_home(animate=False)
