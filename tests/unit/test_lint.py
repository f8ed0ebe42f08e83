"""Lint and format: ruff, with the settings under [tool.ruff] in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ["og_tui", "tests", "bench"]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *CHECKED], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_ruff_lint_is_clean():
    proc = _ruff("check", "--no-fix", "--output-format", "concise")
    assert proc.returncode == 0, "ruff finds problems (fix them, or `ruff check --fix`):\n" + proc.stdout[-20000:]


def test_ruff_format_is_applied():
    proc = _ruff("format", "--check")
    assert proc.returncode == 0, "files not formatted (run `ruff format og_tui tests bench`):\n" + proc.stdout[-5000:]
