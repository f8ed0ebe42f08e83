"""Time to first screen of `og-tui` in a real terminal, against a minimal Textual app.

Both run in tmux; we poll `capture-pane` until the first screen's text shows. The
devnet is already running (as the issue asks), in a temp data dir, with temp config.
Also reports the app's peak RSS (VmHWM) after it has polled the chain for a while.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._devnet import free_port

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
HELLO = """
from textual.app import App
from textual.widgets import Static
class Hello(App):
    def compose(self):
        yield Static("HELLO-READY")
Hello().run()
"""


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def time_to_text(command: str, needle: str, env: dict[str, str], timeout: float = 20.0) -> tuple[float, int]:
    """Start ``command`` in a fresh tmux session; seconds until ``needle`` is on screen, and its pid."""
    session = f"bench{os.getpid()}{time.monotonic_ns() % 100000}"
    env_args = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
    start = time.perf_counter()
    _tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", *env_args, command)
    try:
        pid = int(_tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())
        while time.perf_counter() - start < timeout:
            screen = _tmux("capture-pane", "-p", "-t", session)
            if needle in screen:
                return time.perf_counter() - start, pid
            time.sleep(0.005)
        raise TimeoutError(f"{needle!r} did not appear within {timeout}s:\n{screen}")
    finally:
        globals()["_last_session"] = session


def kill(session: str) -> None:
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    if not shutil.which("tmux"):
        print("startup: tmux is not installed (apt-get install tmux); skipped")
        return
    from og_tui.core.devnet_proc import ensure_devnet

    py = sys.executable
    bindir = Path(py).parent
    og = str(bindir / "og-tui")
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {
            "OG_TUI_CONFIG_DIR": f"{tmp}/config",
            "OG_TUI_DATA_DIR": f"{tmp}/data",
            "OG_TUI_DEVNET_PORT": str(port),
            "TERM": "xterm-256color",
        }
        handle = ensure_devnet("127.0.0.1", port, data_dir=Path(tmp) / "devnet")
        hello = Path(tmp) / "hello.py"
        hello.write_text(HELLO)
        app_times, hello_times, rss = [], [], []
        try:
            for i in range(RUNS):
                t, _ = time_to_text(f"{py} {hello}", "HELLO-READY", env)
                kill(globals()["_last_session"])
                hello_times.append(t)
                t, pid = time_to_text(og, "LOCAL DEVNET", env)
                if i == 0:
                    time.sleep(4.0)  # let it connect and poll balances a couple of times
                    rss.append(peak_rss_mb(pid))
                kill(globals()["_last_session"])
                app_times.append(t)
        finally:
            handle.stop()
    app_med, hello_med = statistics.median(app_times), statistics.median(hello_times)
    print(
        f"startup: og-tui first screen median {app_med:.3f} s (min {min(app_times):.3f}, max {max(app_times):.3f}, n={RUNS})"
    )
    print(f"startup: textual hello-world median {hello_med:.3f} s (min {min(hello_times):.3f})")
    print(f"startup: og-tui minus hello-world {app_med - hello_med:+.3f} s")
    print(f"startup: og-tui peak RSS after 4 s connected {rss[0]:.1f} MB")


if __name__ == "__main__":
    main()
