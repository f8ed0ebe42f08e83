"""Import hygiene: the import-linter contracts hold; start-up modules stay light."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import og_tui.core
import og_tui.devnet

ROOT = Path(__file__).resolve().parents[2]


def _modules(pkg) -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."))


def test_import_contracts_hold():
    """The layer and forbidden-import contracts in pyproject.toml, lazy imports included."""
    lint = Path(sys.executable).with_name("lint-imports")
    assert lint.exists(), f"{lint} is missing: install the test extra (import-linter)"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run(
        [str(lint), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, "import contracts broken:\n" + report
    assert "0 broken" in proc.stdout and "KEPT" in proc.stdout, report


def test_core_and_devnet_do_not_import_textual():
    mods = _modules(og_tui.core) + _modules(og_tui.devnet)
    assert "og_tui.core.config" in mods
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "assert not bad, bad[:5]\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_startup_modules_are_light():
    """What the TUI imports at start must not pull web3, eth_account, numpy or keyring."""
    code = (
        "import sys\n"
        "import og_tui.core.config, og_tui.core.store, og_tui.core.errors, og_tui.core.types,"
        " og_tui.core.amounts, og_tui.core.secrets, og_tui.core.log, og_tui.core.fsperm\n"
        "heavy = [m for m in ('web3', 'eth_account', 'numpy', 'keyring', 'eth_utils', 'tomlkit',"
        " 'textual') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
