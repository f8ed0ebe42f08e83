"""Fixtures for the Model Hub tests: a hub served over real HTTP in its own process.

``hub_server`` runs ``python -m og_tui.devnet.hub.app`` (the same routes the devnet
server mounts) on a free port, so tests can also kill it mid-upload.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import httpx
import pytest

from og_tui.core.hub import HubClient


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class HubServer:
    base_url: str
    data_dir: Path
    proc: subprocess.Popen
    port: int

    @property
    def hub_url(self) -> str:
        return self.base_url + "/api/v0"

    @property
    def auth_url(self) -> str:
        return self.base_url + "/auth"

    def client(self, **kwargs) -> HubClient:
        return HubClient(self.hub_url, self.auth_url, **kwargs)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_hub(data_dir: Path, *, token_ttl: Optional[float] = None, max_upload: Optional[int] = None,
              port: Optional[int] = None) -> HubServer:
    port = port or free_port()
    cmd = [sys.executable, "-m", "og_tui.devnet.hub.app", "--data-dir", str(data_dir), "--port", str(port)]
    if token_ttl is not None:
        cmd += ["--token-ttl", str(token_ttl)]
    if max_upload is not None:
        cmd += ["--max-upload", str(max_upload)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("hub server exited: " + proc.stderr.read().decode(errors="replace"))
        try:
            if httpx.get(base + "/health", timeout=0.5).status_code == 200:
                return HubServer(base, data_dir, proc, port)
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("hub server did not start")


@pytest.fixture(scope="session")
def hub_server(tmp_path_factory) -> Iterator[HubServer]:
    server = start_hub(tmp_path_factory.mktemp("hub-data"), max_upload=8 * 1024 * 1024)
    yield server
    server.stop()


_counter = [0]


def unique(prefix: str) -> str:
    _counter[0] += 1
    return f"{prefix}-{os.getpid()}-{_counter[0]}-{int(time.time() * 1000) % 100000}"


@pytest.fixture
def signed_in(hub_server: HubServer) -> Iterator[HubClient]:
    client = hub_server.client()
    client.sign_up(unique("user") + "@example.com", "s3cret-pass")
    yield client
    client.close()
