"""Fixtures for the Model Hub tests: the hub of a real devnet process.

``hub_server`` (session) is a devnet started by the shared ``devnet_factory`` fixture
(tests/conftest.py) with an 8 MiB upload limit; tests that need their own devnet (short
token lifetime, killed mid-upload) call ``hub_helpers.start_hub(devnet_factory, ...)``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hub_helpers import HubServer, start_hub, unique  # noqa: E402

from og_tui.core.hub import HubClient  # noqa: E402


@pytest.fixture(scope="session")
def hub_server(devnet_factory, tmp_path_factory) -> Iterator[HubServer]:
    server = start_hub(devnet_factory, tmp_path_factory.mktemp("hub-devnet") / "data", max_upload=8 * 1024 * 1024)
    yield server
    server.stop()


@pytest.fixture
def signed_in(hub_server: HubServer) -> Iterator[HubClient]:
    client = hub_server.client()
    client.sign_up(unique("user") + "@example.com", "s3cret-pass")
    yield client
    client.close()
