"""Fixtures for the inference tests: a funded signer and clients on the shared devnet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class InferenceEnv:
    devnet: Any
    chain: Any
    client: Any
    signer: Any
    samples: dict  # name -> Sample
    cids: dict  # name -> cid

    @property
    def hub_address(self) -> str:
        return self.devnet.info["contracts"]["inference_hub"]

    def stats(self) -> dict:
        import httpx

        return httpx.get(self.devnet.url + "/devnet/inference").json()


def funded_account(devnet) -> Any:
    from eth_account import Account

    acct = Account.create()
    status, body = devnet.post("/faucet", {"address": acct.address})
    assert status == 200, body
    return acct


@pytest.fixture(scope="session")
def inf(devnet):
    from og_tui.core.chain import ChainClient
    from og_tui.core.cid import cid_for_bytes
    from og_tui.core.inference import InferenceClient
    from og_tui.devnet.hub.samples import build_samples

    samples = {s.name: s for s in build_samples()}
    chain = ChainClient(devnet.rpc_url)
    client = InferenceClient(chain, devnet.info["contracts"]["inference_hub"], devnet.info["api_url"])
    env = InferenceEnv(
        devnet, chain, client, funded_account(devnet), samples, {n: cid_for_bytes(s.data) for n, s in samples.items()}
    )
    yield env
    client.close()
    chain.close()


@pytest.fixture(scope="session")
def hub_uploader(devnet):
    """upload(bytes, filename) -> CID, through the devnet's Model Hub REST API."""
    import tempfile
    import uuid
    from pathlib import Path

    from og_tui.core.hub import HubClient

    hub = HubClient(devnet.url + "/api/v0", devnet.url + "/auth")
    hub.sign_up(f"inf-{uuid.uuid4().hex[:8]}@example.com", "password123")
    tmp = Path(tempfile.mkdtemp(prefix="inf-upload-"))

    def upload(data: bytes, filename: str) -> str:
        name = f"inf-{uuid.uuid4().hex[:10]}"
        repo = hub.create_model(name, "inference test model")
        path = tmp / filename
        path.write_bytes(data)
        return hub.upload(path, name, repo.initialVersion).modelCid

    yield upload
    hub.close()
