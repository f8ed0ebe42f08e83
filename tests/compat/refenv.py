"""Where the reference SDKs' interpreters are: ``make test`` builds ``.venv-ref`` (0.5.13) and
``.venv-ref1`` (1.1.4) and exports their paths."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


_GENERATIONS = {
    0: ("OG_TUI_REFERENCE_SDK_PYTHON", ".venv-ref", "opengradient==0.5.13"),
    1: ("OG_TUI_REFERENCE_SDK1_PYTHON", ".venv-ref1", "opengradient==1.1.4"),
}


def reference_python(generation: int = 0) -> str:
    """The python that has the reference SDK (0.5.13, or 1.1.4 for ``generation=1``); a clear
    failure (not a skip) when there is none."""
    env, venv, sdk = _GENERATIONS[generation]
    python = os.environ.get(env) or str(ROOT / venv / "bin" / "python")
    assert os.path.exists(python), (
        f"No reference SDK environment at {python}: run `make test` (it builds {venv} with {sdk}) "
        f"or set {env} to a python that has it."
    )
    return python


# How the parity tests describe a signature, the same on both sides: run by the reference
# interpreter (prepended to each dump script) and here (:func:`signature_of`).
SIG_SOURCE = """
import inspect
from enum import Enum

def sig(fn):
    out = []
    for p in inspect.signature(fn).parameters.values():
        d = p.default
        if d is inspect.Parameter.empty:
            d = "<required>"
        elif isinstance(d, Enum):
            d = f"{type(d).__name__}.{d.name}"
        elif not isinstance(d, (str, int, float, bool, type(None), list)):
            d = repr(d)
        out.append([p.name, d])
    return out
"""


def signature_of(fn) -> list:
    """``[[name, default], ...]`` of ``fn`` as the reference side dumps it (SIG_SOURCE)."""
    namespace: dict = {}
    exec(SIG_SOURCE, namespace)
    return namespace["sig"](fn)
