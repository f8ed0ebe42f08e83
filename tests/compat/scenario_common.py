"""What the SDK scenarios (scenario.py, scenario_1x.py) share: a comparable, JSON-able form of
an SDK result, and sections that record a result or the error instead of stopping the run.

Imported by the scenario scripts (run as ``python tests/compat/scenario*.py``, so this
directory is on their path) in the reference SDKs' environments as well as og-tui's.
"""

from __future__ import annotations

import dataclasses
import traceback
from enum import Enum

import numpy as np


def norm(value):
    """A JSON-able, comparable form of an SDK result."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc":
            return {"ndarray": np.round(value.astype(np.float64), 5).tolist(), "shape": list(value.shape)}
        return {"ndarray": value.tolist(), "shape": list(value.shape)}
    if isinstance(value, np.floating):
        return round(float(value), 5)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "__type__": type(value).__name__,
            **{f.name: norm(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, dict):
        return {str(k): norm(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [norm(v) for v in value]
    if isinstance(value, float):
        return round(value, 5)
    return value


def sections(out: dict):
    """A ``@section(name)`` decorator that runs the function at once and records its normalized
    result in ``out[name]``, or ``{"error", "trace"}`` when it raises (compared by the test)."""

    def section(name):
        def run(fn):
            try:
                out[name] = norm(fn())
            except Exception as exc:
                out[name] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-1500:]}
            return fn

        return run

    return section
