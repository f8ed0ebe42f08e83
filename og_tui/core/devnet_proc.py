"""Start the local devnet as a child process, or reuse one that already answers.

``ensure_devnet`` probes the port: a devnet answering ``/health`` is reused; a port
held by anything else is a clear error; a free port gets a child process
(``python -m og_tui.devnet --parent PID ...``, which carries the parent watchdog) in its
own process group, with stdout/stderr going to ``devnet.log`` in the data dir, never to
the terminal (the TUI owns it).

A devnet we started never outlives us: ``DevnetHandle.stop()`` (SIGTERM, then
SIGKILL), an ``atexit`` hook for every started child, and inside the child a thread
that shuts it down when its parent process disappears (even after a SIGKILL of the
app, which no ``atexit`` hook survives).
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

from og_tui.core.constants import DEVNET_HOST, DEVNET_PORT
from og_tui.core.errors import OGError

_log = logging.getLogger(__name__)

__all__ = [
    "DevnetHandle",
    "DevnetStartError",
    "DevnetPortInUse",
    "ensure_devnet",
    "ensure_local_devnet",
    "devnet_address",
    "devnet_log_path",
]

ProgressCallback = Callable[[float, str], None]

LOG_NAME = "devnet.log"
POLL_INTERVAL = 0.01  # seconds between /health attempts while the child is not listening yet
HEALTH_WAIT = 1.0  # seconds one /health attempt may wait (the child checks in between)
_PARENT_ENV = "OG_TUI_DEVNET_PARENT_PID"


class DevnetStartError(OGError):
    default_hint = "See the devnet log for details, or run `og-tui devnet` in a terminal to watch it start."


class DevnetPortInUse(DevnetStartError):
    default_hint = "Set OG_TUI_DEVNET_PORT to a free port, or stop that program."


@dataclass
class DevnetHandle:
    """A devnet we talk to. ``started`` is True only when this process launched it."""

    url: str
    started: bool
    pid: Optional[int] = None
    process: Optional[subprocess.Popen[bytes]] = field(default=None, repr=False)
    log_path: Optional[Path] = None
    health: dict[str, Any] = field(default_factory=dict)
    startup_s: float = 0.0

    @property
    def rpc_url(self) -> str:
        return f"{self.url}/rpc"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> Optional[int]:
        """Stop the child if we started it (SIGTERM, then SIGKILL). Returns its exit code."""
        proc = self.process
        if not self.started or proc is None:
            return None
        _STARTED.pop(id(self), None)
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout)
        return proc.returncode


# handles started by this process (by id), stopped at exit
_STARTED: dict[int, DevnetHandle] = {}


@atexit.register
def _stop_all_at_exit() -> None:
    for handle in list(_STARTED.values()):
        try:
            handle.stop(timeout=3.0)
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            _log.debug("best effort at interpreter exit", exc_info=True)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, sig)
        else:  # pragma: no cover - windows
            proc.terminate() if sig == signal.SIGTERM else proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


# --- probing -------------------------------------------------------------------------


def _connect_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


def _port_state(host: str, port: int) -> str:
    """ "free" when nothing accepts connections on host:port, else "busy"."""
    try:
        with socket.create_connection((_connect_host(host), port), timeout=0.5):
            return "busy"
    except ConnectionRefusedError:
        return "free"
    except socket.timeout:
        # loopback never times out unless a listener is stuck; elsewhere it means unreachable
        return "busy" if _connect_host(host) in ("127.0.0.1", "localhost", "::1") else "free"
    except OSError:
        return "free"


def _who_listens(port: int) -> Optional[str]:
    """Best effort (Linux /proc): "pid 123: python -m http.server" for a listening port."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 9 and parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(parts[9])
    if not inodes:
        return None
    targets = {f"socket:[{i}]" for i in inodes}
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            fds = list((pid_dir / "fd").iterdir())
        except OSError:  # gone, or not ours to look at
            continue
        for fd in fds:
            try:
                if os.readlink(fd) not in targets:
                    continue
                cmd = (pid_dir / "cmdline").read_bytes().replace(b"\x00", b" ").decode("utf-8", "replace").strip()
            except OSError:  # fd closed meanwhile
                continue
            return f"pid {pid_dir.name}: {cmd[:120]}"
    return None


def _log_tail(path: Path, offset: int = 0, lines: int = 15) -> str:
    """The last ``lines`` lines written after ``offset`` (this start's part of the log)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def _rotate(path: Path, max_bytes: int = 2_000_000) -> None:
    """Keep the log small: move a big one to ``devnet.log.1``."""
    try:
        if path.stat().st_size > max_bytes:
            os.replace(path, path.with_name(path.name + ".1"))
    except OSError:
        pass


def devnet_address(rpc_url: str) -> tuple[str, int]:
    """(host, port) of a devnet RPC/base URL."""
    import httpx

    url = httpx.URL(rpc_url)
    return url.host or DEVNET_HOST, url.port or DEVNET_PORT


# --- ensure --------------------------------------------------------------------------


def ensure_devnet(
    host: str = DEVNET_HOST,
    port: int = DEVNET_PORT,
    data_dir: Optional[os.PathLike[str] | str] = None,
    on_progress: Optional[ProgressCallback] = None,
    timeout: float = 30.0,
) -> DevnetHandle:
    """Reuse the devnet on ``host:port`` or start one; block until ``/health`` answers.

    Raises DevnetPortInUse when something that is not a devnet holds the port and
    DevnetStartError when the child exits early or is not ready within ``timeout``.
    """
    from og_tui.core.devnet_client import DevnetClient

    t0 = time.monotonic()
    port = int(port)
    base = f"http://{_connect_host(host)}:{port}"
    client = DevnetClient(base)

    def progress(text: str) -> None:
        if on_progress is not None:
            on_progress(time.monotonic() - t0, text)

    try:
        if _port_state(host, port) == "busy":
            health = client.health(timeout=1.0)
            who = None
            if health is None:
                who = _who_listens(port)
                health = _wait_for_other_devnet(client, who, t0 + timeout, progress)
            for attempt in range(2):
                if health is not None:
                    break
                time.sleep(0.2 * (attempt + 1))
                health = client.health(timeout=1.0)
            if health is not None:
                progress(f"Using the devnet already running at {base}")
                return DevnetHandle(base, False, health=health, startup_s=time.monotonic() - t0)
            who = who or _who_listens(port)
            raise DevnetPortInUse(
                f"Port {port} on {host} is in use by another program"
                + (f" ({who})" if who else "")
                + "; set OG_TUI_DEVNET_PORT or stop it."
            )

        from og_tui.core.fsperm import open_private, private_dir

        data_path = Path(data_dir) if data_dir is not None else _default_log_dir()
        try:
            private_dir(data_path)
        except OSError as exc:
            raise DevnetStartError(
                f"Cannot use {data_path} as the devnet data dir: {exc.strerror or exc}.",
                hint="Point OG_TUI_DEVNET_DATA_DIR (or --data-dir) at a writable folder.",
            ) from None
        log_path = data_path / LOG_NAME
        cmd = [sys.executable, "-m", "og_tui.devnet", "--parent", str(os.getpid())]
        cmd += ["--host", host, "--port", str(port)]
        if data_dir is not None:
            cmd += ["--data-dir", str(data_dir)]
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        env[_PARENT_ENV] = str(os.getpid())
        progress(f"Starting the local devnet on {host}:{port}")
        _rotate(log_path)
        # append: a concurrent starter must not truncate the winner's log; 0600: it lists the dev keys
        with open_private(log_path, "ab") as log:
            log.write(
                f"--- og-tui devnet start {time.strftime('%Y-%m-%d %H:%M:%S')} (parent pid {os.getpid()})\n".encode()
            )
            log.flush()
            log_offset = log.tell()
            kwargs: dict[str, Any] = {}
            if os.name == "posix":
                kwargs["start_new_session"] = True
            else:  # pragma: no cover - windows
                kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, close_fds=True, **kwargs
            )
        handle = DevnetHandle(base, True, pid=proc.pid, process=proc, log_path=log_path)
        _STARTED[id(handle)] = handle

        last_report = 0.0
        while True:
            # the child listens before it loads its chain: a request sent then waits in the
            # socket's backlog and is answered the moment the chain is open (no poll gap)
            asked = time.monotonic()
            health = client.health(timeout=HEALTH_WAIT)
            if health is not None:
                handle.health = health
                handle.startup_s = time.monotonic() - t0
                progress(f"Devnet ready at {base} (block {health.get('block', '?')})")
                return handle
            rc = proc.poll()
            if rc is not None:
                _STARTED.pop(id(handle), None)
                # Lost a race with another og-tui starting the same devnet? Then use it.
                other = client.health(timeout=1.0)
                if other is None and _port_state(host, port) == "busy":
                    other = _wait_for_other_devnet(client, _who_listens(port), t0 + timeout, progress)
                if other is not None:
                    progress(f"Using the devnet already running at {base}")
                    return DevnetHandle(base, False, health=other, startup_s=time.monotonic() - t0)
                raise DevnetStartError(
                    f"The devnet exited with code {rc} before it was ready. Last lines of {log_path}:\n{_log_tail(log_path, log_offset)}"
                )
            elapsed = time.monotonic() - t0
            if elapsed > timeout:
                handle.stop()
                raise DevnetStartError(
                    f"The devnet did not answer on {base}/health within {timeout:g} s. "
                    f"Last lines of {log_path}:\n{_log_tail(log_path, log_offset)}"
                )
            if elapsed - last_report >= 0.25:
                last_report = elapsed
                progress(f"Waiting for the devnet on {host}:{port}")
            if time.monotonic() - asked < POLL_INTERVAL:
                time.sleep(POLL_INTERVAL)  # refused at once: the child is not listening yet
    finally:
        client.close()


def _wait_for_other_devnet(
    client: Any, who: Optional[str], deadline: float, progress: Callable[[str], None]
) -> Optional[dict[str, Any]]:
    """If ``who`` (the port's listener) is an og-tui devnet still starting, wait for its /health."""
    if not who or "devnet" not in who or not ("og_tui" in who or "og-tui" in who):
        return None
    health = None
    while health is None and time.monotonic() < deadline:
        progress("Waiting for the devnet another og-tui is starting")
        time.sleep(0.1)
        health = client.health(timeout=0.5)
    return health


def ensure_local_devnet(
    settings: Any, on_progress: Optional[ProgressCallback] = None, timeout: float = 30.0
) -> DevnetHandle:
    """ensure_devnet for a Settings whose active profile is a devnet profile."""
    profile = settings.profile
    if profile.devnet_host and profile.devnet_port:
        host, port = profile.devnet_host, int(profile.devnet_port)
    else:
        host, port = devnet_address(profile.rpc_url)
    # Same choice as the TUI, so the CLI and the app always share one devnet state.
    data_dir = getattr(settings, "devnet_data_dir", None)
    return ensure_devnet(host, port, data_dir=data_dir, on_progress=on_progress, timeout=timeout)


def _default_log_dir() -> Path:
    from og_tui.core.config import default_data_dir

    return default_data_dir()


def devnet_log_path(data_dir: Optional[Union[str, os.PathLike[str]]] = None) -> Path:
    """Where a devnet started by :func:`ensure_devnet` with this ``data_dir`` writes its
    output (``None``: the default, as the app and the CLI start it)."""
    return (Path(data_dir) if data_dir is not None else _default_log_dir()) / LOG_NAME
