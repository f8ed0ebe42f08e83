"""Helpers for the Model Hub tests (imported by tests/hub/conftest.py and the tests)."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

from og_tui.core.hub import HubClient


@dataclass
class HubServer:
    """A real devnet (the shared tests/conftest.py DevnetProcess) seen from the hub's side."""

    devnet: Any

    @property
    def base_url(self) -> str:
        return self.devnet.url

    @property
    def data_dir(self) -> Path:
        return Path(self.devnet.data_dir)

    @property
    def port(self) -> int:
        return self.devnet.port

    @property
    def proc(self):
        return self.devnet.proc

    @property
    def hub_url(self) -> str:
        return self.base_url + "/api/v0"

    @property
    def auth_url(self) -> str:
        return self.base_url + "/auth"

    def client(self, **kwargs) -> HubClient:
        return HubClient(self.hub_url, self.auth_url, **kwargs)

    def stop(self) -> None:
        self.devnet.stop()

    def start(self) -> "HubServer":
        self.devnet.start()
        return self


@contextmanager
def hub_env(token_ttl: Optional[float] = None, max_upload: Optional[int] = None) -> Iterator[None]:
    """Environment read by the devnet hub at start-up (inherited by the devnet process)."""
    saved = {k: os.environ.get(k) for k in ("OG_TUI_DEVNET_TOKEN_TTL", "OG_TUI_DEVNET_HUB_MAX_UPLOAD")}
    try:
        if token_ttl is not None:
            os.environ["OG_TUI_DEVNET_TOKEN_TTL"] = str(token_ttl)
        if max_upload is not None:
            os.environ["OG_TUI_DEVNET_HUB_MAX_UPLOAD"] = str(max_upload)
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def start_hub(
    devnet_factory, data_dir: Path, *, token_ttl: Optional[float] = None, max_upload: Optional[int] = None
) -> HubServer:
    with hub_env(token_ttl, max_upload):
        return HubServer(devnet_factory(data_dir))


_counter = [0]


def unique(prefix: str) -> str:
    _counter[0] += 1
    return f"{prefix}-{os.getpid()}-{_counter[0]}-{int(time.time() * 1000) % 100000}"
