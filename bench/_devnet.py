"""What the benchmarks share: a free port, a devnet child process on it, stopping it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Optional


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_devnet(
    data_dir: Path, log_path: Optional[Path] = None, env: Optional[dict] = None, timeout: float = 60.0
) -> tuple[subprocess.Popen, str]:
    """``og-tui devnet`` on a free port with ``data_dir``; returns (process, base URL) once /health answers."""
    port = free_port()
    log = open(log_path, "wb") if log_path is not None else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "og_tui", "devnet", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, **(env or {})),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(url + "/health", timeout=1).read()
            return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"devnet did not start (see {log_path})" if log_path else "devnet did not start")


def stop_devnet(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
