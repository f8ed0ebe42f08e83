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
