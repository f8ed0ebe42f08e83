"""What the serve tests share: the og-tui CLI run in a subprocess against a devnet, with its own
config and data dirs and a funded wallet imported (file keystore, passphrase in the environment),
and a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_with_wallet(devnet, tmp: Path, name: str, config: Optional[str] = None):
    """``run(*args, ok=True)`` running ``og-tui --profile local ARGS``; ``run.env``, ``run.address``
    and ``run.data_dir`` describe its set-up. The wallet ``name`` is funded by the faucet."""
    from eth_account import Account

    acct = Account.create()
    assert devnet.post("/faucet", {"address": acct.address})[0] == 200
    (tmp / "config").mkdir(exist_ok=True)
    if config is not None:
        (tmp / "config" / "config.toml").write_text(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OG_TUI_")}
    env.update(
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        OG_TUI_CONFIG_DIR=str(tmp / "config"),
        OG_TUI_DATA_DIR=str(tmp / "data"),
        OG_TUI_DEVNET_PORT=str(devnet.port),
        OG_TUI_KEYRING="file",
        OG_TUI_SCRYPT_N="1024",
        OG_TUI_PASSPHRASE=f"{name} cli pass",
    )
    key = tmp / "key.txt"
    key.write_text(acct.key.hex())

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [sys.executable, "-m", "og_tui", "--profile", "local", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=90,
        )
        if ok:
            assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    run("account", "import", "--key-file", str(key), "--name", name)
    run.env = env
    run.address = acct.address
    run.data_dir = tmp / "data"
    return run
