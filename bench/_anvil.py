"""The reference dev chain for the devnet benchmarks: anvil, when it is installed.

anvil is looked up in ``$OG_TUI_BENCH_ANVIL``, on ``PATH``, then in the npm package under
bench's cache dir. Install it there (never committed; ``.bench/`` is ignored by git)::

    npm install --prefix .bench/anvil @foundry-rs/anvil

The npm package ships the binary in a per-platform package
(``@foundry-rs/anvil-linux-amd64/bin/anvil``); that binary is run directly, without node.
When anvil is absent, the benchmarks print "-" in its column.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench" / "anvil"
ENV = "OG_TUI_BENCH_ANVIL"
# anvil's own chain id; the accounts come from the same public mnemonic as the devnet's
ANVIL_CHAIN_ID = 31337
DEV_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def find_anvil() -> Optional[str]:
    """Path of a runnable anvil binary, or None."""
    candidates: list[str] = []
    if os.environ.get(ENV):
        candidates.append(os.environ[ENV])
    on_path = shutil.which("anvil")
    if on_path:
        candidates.append(on_path)
    candidates += sorted(glob.glob(str(CACHE / "node_modules" / "@foundry-rs" / "anvil-*" / "bin" / "anvil")))
    for path in candidates:
        try:
            subprocess.run([path, "--version"], capture_output=True, timeout=10, check=True)
        except (OSError, subprocess.SubprocessError):
            continue
        return path
    return None


def anvil_command(binary: str, port: int) -> list[str]:
    return [binary, "--port", str(port), "--host", "127.0.0.1", "--silent"]
