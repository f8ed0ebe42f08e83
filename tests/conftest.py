"""Shared fixtures: a real devnet process for end-to-end tests.

- ``devnet_factory(data_dir=None, port=None, extra_args=()) -> DevnetProcess``: start a devnet
  subprocess (``python -m og_tui devnet --port P --data-dir D [extra_args]``) and wait for ``/health``.
  Every process it starts is stopped at the end of the session.
- ``devnet`` (session): one shared devnet for tests that only add state.
- ``fresh_devnet`` (function): a clean chain in a temp dir, restartable.

A ``DevnetProcess`` has ``.url``, ``.rpc_url``, ``.port``, ``.data_dir``, ``.info``
(the ``/devnet/info`` dict), ``.stop()``, ``.kill()`` (SIGKILL), ``.restart()``, ``.start()``, ``.log_text()``
and ``.rpc(method, *params)`` (returns ``result``, raises ``DevnetRpcError``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DevnetRpcError(Exception):
    def __init__(self, error: dict) -> None:
        super().__init__(error.get("message"))
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data")


class DevnetProcess:
    RpcError = DevnetRpcError  # use ``devnet.RpcError`` in tests (conftest is not importable as a module)

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        extra_args: tuple[str, ...] | list[str] = (),
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.extra_args = [str(a) for a in extra_args]
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.info: dict = {}
        self.startup_seconds: float | None = None
        self._log_path = self.data_dir.parent / f"{self.data_dir.name}.devnet-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def rpc_url(self) -> str:
        return f"{self.url}/rpc"

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> "DevnetProcess":
        if self.proc is not None and self.proc.poll() is None:
            return self
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        log = open(self._log_path, "ab")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "og_tui",
                "devnet",
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                *self.extra_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(ROOT),
            env=env,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"devnet exited with code {self.proc.returncode}:\n{self.log_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"devnet did not answer /health in {START_TIMEOUT}s:\n{self.log_text()[-3000:]}")
            time.sleep(0.02)
        self.startup_seconds = time.perf_counter() - started
        with urllib.request.urlopen(f"{self.url}/devnet/info", timeout=5) as resp:
            self.info = json.loads(resp.read())
        return self

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def kill(self) -> None:
        """SIGKILL (``kill -9``): no shutdown code runs, as in a crash."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=15)

    def restart(self) -> "DevnetProcess":
        self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        try:
            return self._log_path.read_text(errors="replace")
        except OSError:
            return ""

    # -- helpers -------------------------------------------------------------------------
    def post(self, path: str, payload) -> tuple[int, object]:
        req = urllib.request.Request(
            self.url + path, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                body = resp.read()
                return resp.status, json.loads(body) if body else None
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def rpc(self, method: str, *params):
        _, body = self.post("/rpc", {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        if "error" in body:
            raise DevnetRpcError(body["error"])
        return body["result"]


@pytest.fixture(scope="session")
def devnet_factory(tmp_path_factory):
    started: list[DevnetProcess] = []

    def make(data_dir: Path | None = None, port: int | None = None, extra_args=()) -> DevnetProcess:
        if data_dir is None:
            data_dir = tmp_path_factory.mktemp("devnet") / "data"
        proc = DevnetProcess(Path(data_dir), port, extra_args=extra_args)
        started.append(proc)
        return proc.start()

    yield make
    for proc in started:
        proc.stop()


@pytest.fixture(scope="session")
def devnet(devnet_factory) -> DevnetProcess:
    return devnet_factory()


@pytest.fixture
def fresh_devnet(devnet_factory, tmp_path) -> DevnetProcess:
    proc = devnet_factory(tmp_path / "devnet-data")
    yield proc
    proc.stop()
