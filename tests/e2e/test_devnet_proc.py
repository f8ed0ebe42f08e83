"""ensure_devnet: reuse, start, stop, port taken, early exit, no orphaned child."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from og_tui.core.devnet_client import DevnetClient
from og_tui.core.devnet_proc import DevnetPortInUse, DevnetStartError, ensure_devnet

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_free(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return False
    except OSError:
        return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_reuses_running_devnet(devnet):
    seen = []
    handle = ensure_devnet("127.0.0.1", devnet.port, on_progress=lambda t, m: seen.append(m))
    assert handle.started is False and handle.pid is None
    assert handle.url == devnet.url and handle.rpc_url == devnet.rpc_url
    assert handle.health["status"] == "ok"
    assert handle.stop() is None  # not ours: left alone
    assert DevnetClient(devnet.url).health() is not None
    assert any("already running" in m for m in seen)


def test_start_reuse_stop(tmp_path):
    port = _free_port()
    data = tmp_path / "dn"
    progress = []
    handle = ensure_devnet("127.0.0.1", port, data_dir=data, on_progress=lambda t, m: progress.append((t, m)))
    try:
        assert handle.started and handle.pid and handle.running
        assert handle.log_path == data / "devnet.log" and handle.log_path.exists()
        assert DevnetClient(handle.url).health()["chain_id"] == 107401
        assert progress[0][1].startswith("Starting the local devnet") and "ready" in progress[-1][1]
        assert all(b[0] >= a[0] for a, b in zip(progress, progress[1:]))
        # the child is in its own process group (Ctrl+C in the TUI's terminal doesn't reach it)
        assert os.getpgid(handle.pid) == handle.pid != os.getpgid(0)
        again = ensure_devnet("127.0.0.1", port, data_dir=data)
        assert again.started is False
    finally:
        rc = handle.stop()
    assert rc is not None
    assert not handle.running
    assert _wait(lambda: _port_free(port))
    assert handle.stop() == rc  # idempotent


def test_port_taken_by_another_program():
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    port = server.server_address[1]
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        with pytest.raises(DevnetPortInUse) as info:
            ensure_devnet("127.0.0.1", port)
    finally:
        server.shutdown()
        server.server_close()
    text = str(info.value)
    assert f"Port {port} on 127.0.0.1 is in use by another program" in text
    assert "OG_TUI_DEVNET_PORT" in text
    assert f"pid {os.getpid()}" in text  # names the program when /proc allows it


def test_bad_data_dir_is_a_clear_error(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with pytest.raises(DevnetStartError, match="Cannot use .* as the devnet data dir"):
        ensure_devnet("127.0.0.1", _free_port(), data_dir=not_a_dir)


def test_child_exiting_early_reports_log_tail(tmp_path):
    # a non-loopback address (without --allow-remote): the child refuses it and exits at once
    with pytest.raises(DevnetStartError) as info:
        ensure_devnet("192.0.2.123", _free_port(), data_dir=tmp_path / "dn", timeout=30)
    text = str(info.value)
    assert "exited with code" in text and "Last lines of" in text
    assert "refusing to listen on 192.0.2.123" in text


def _parent_script(port: int, data: Path, then: str) -> str:
    return textwrap.dedent(
        f"""
        import sys, time
        from og_tui.core.devnet_proc import ensure_devnet
        h = ensure_devnet("127.0.0.1", {port}, data_dir={str(data)!r})
        print(h.pid, flush=True)
        {then}
        """
    )


@pytest.mark.parametrize("how", ["exit", "sigkill"])
def test_started_child_never_outlives_parent(tmp_path, how):
    port = _free_port()
    then = "sys.exit(0)" if how == "exit" else "time.sleep(60)"
    parent = subprocess.Popen(
        [sys.executable, "-c", _parent_script(port, tmp_path / "dn", then)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        child = int(parent.stdout.readline())
        assert child > 0
        if how == "sigkill":
            assert _pid_alive(child)
            parent.kill()  # no atexit: the child's parent watchdog must act
        parent.wait(timeout=30)
        assert _wait(lambda: not _pid_alive(child), timeout=15), "devnet child outlived its parent"
        assert _wait(lambda: _port_free(port))
    finally:
        if parent.poll() is None:
            parent.kill()


def test_two_apps_starting_at_once_share_one_devnet(tmp_path):
    port = _free_port()
    handles, errors = [], []

    def start():
        try:
            handles.append(ensure_devnet("127.0.0.1", port, data_dir=tmp_path / "dn", timeout=60))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        assert len(handles) == 3
        owners = [h for h in handles if h.started and h.running]
        assert len(owners) == 1
        assert DevnetClient(handles[0].url).health() is not None
    finally:
        for h in handles:
            h.stop()
    assert _wait(lambda: _port_free(port))


def test_child_entry_point_refuses_a_bad_port():
    """``python -m og_tui.devnet`` (the child ensure_devnet starts) says what is wrong."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "og_tui.devnet", "--port", "70000"], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 2
    assert "--port 70000 is not a TCP port (0-65535)" in proc.stderr
