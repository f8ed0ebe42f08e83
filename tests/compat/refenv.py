"""Where the reference SDK's interpreter is: ``make test`` builds ``.venv-ref`` and exports its path."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def reference_python() -> str:
    """The python that has opengradient==0.5.13; a clear failure (not a skip) when there is none."""
    python = os.environ.get("OG_TUI_REFERENCE_SDK_PYTHON") or str(ROOT / ".venv-ref" / "bin" / "python")
    assert os.path.exists(python), (
        f"No reference SDK environment at {python}: run `make test` (it builds .venv-ref with opengradient==0.5.13) "
        "or set OG_TUI_REFERENCE_SDK_PYTHON to a python that has it."
    )
    return python
