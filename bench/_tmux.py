"""The terminal for the terminal-chat bench: a program in a detached tmux session on a private tmux server.

The bench types keys with ``tmux send-keys`` and reads the screen with ``tmux capture-pane -p``.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bench._measure import alive

SIZE = (120, 40)


class Terminal:
    """One detached tmux session on a private tmux server (its own socket), killed as a whole."""

    def __init__(self, command: str, env: dict[str, str], cwd: str, history: bool = False) -> None:
        """Run the shell command line ``command`` (exec'd by tmux's shell: the pane's pid is the program's)."""
        self.history = history  # read the scrollback too (for programs that scroll rather than redraw)
        self.socket = f"og-bench-{os.getpid()}-{time.monotonic_ns() % 1_000_000}"
        env_args = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
        self.pid = -1
        self.capture_ms = 0.0
        self.probes_before = 0
        self.socket_path = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}" / self.socket
        try:
            self.tmux(
                "new-session",
                "-d",
                "-s",
                "bench",
                "-x",
                str(SIZE[0]),
                "-y",
                str(SIZE[1]),
                "-c",
                cwd,
                *env_args,
                "exec " + command,
            )
            pid, path = (
                self.tmux("display-message", "-p", "-t", "bench", "#{pane_pid} #{socket_path}").strip().split(" ", 1)
            )
            self.pid, self.socket_path = int(pid), Path(path)
        except Exception:
            self.close()
            raise

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            why = done.stderr.strip() or f"exit status {done.returncode}"
            raise RuntimeError(f"tmux {args[0]} failed ({why}): did the program in the terminal exit?")
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "bench", *(["-S", "-"] if self.history else []))

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", "-t", "bench", *(["-l"] if literal else []), *keys)

    def wait_for(self, predicate: Callable[[str], bool], what: str, timeout: float = 60.0, step: float = 0.001) -> str:
        deadline = time.perf_counter() + timeout
        screen = ""
        while time.perf_counter() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            if not alive(self.pid):
                break
            time.sleep(step)
        raise RuntimeError(f"{what} did not show within {timeout:g} s; the screen was:\n{screen}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)
        deadline = time.monotonic() + 5
        while self.pid > 0 and alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.pid > 0 and alive(self.pid):
            try:
                os.kill(self.pid, 9)
            except OSError:
                pass
        self.socket_path.unlink(missing_ok=True)
