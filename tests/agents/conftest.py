"""Fixtures for the agent tests: the shared devnet, a devnet profile, funded wallets,
sample model CIDs, and the SDK initialised on the ``local`` profile pointed at it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

MODEL = "og-devnet/mini"
VOLATILITY_WORKFLOW = "0xD5629A5b95dde11e4B5772B5Ad8a13B933e33845"  # seeded: output Y
BTC_WORKFLOW = "0xb4146E095c2CD2a7aA497EdfB513F1cB868Dcc3D"  # seeded: output regression_output


@dataclass
class AgentEnv:
    devnet: Any
    profile: Any
    chain: Any
    hub: Any
    cids: dict  # sample name -> CID

    def funded(self) -> Any:
        from eth_account import Account

        acct = Account.create()
        status, body = self.devnet.post("/faucet", {"address": acct.address})
        assert status == 200, body
        return acct

    def receipt(self, tx_hash: str) -> dict:
        h = tx_hash if tx_hash.startswith("0x") else "0x" + tx_hash
        receipt = self.chain.get_receipt(h)
        assert receipt is not None, f"no receipt for {h}"
        return receipt

    def llm(self, signer: Any, **kw: Any) -> Any:
        from og_tui.core.llm import LLMClient

        return LLMClient(self.profile, signer, chain=self.chain, **kw)

    def tools(self, signer: Any) -> Any:
        from og_tui.core.agent import AgentTools

        return AgentTools(self.chain, signer, profile=self.profile, hub=self.hub)


@pytest.fixture(scope="session")
def agent_env(devnet):
    from og_tui.core.chain import ChainClient
    from og_tui.core.cid import cid_for_bytes
    from og_tui.core.hub import HubClient
    from og_tui.core.profiles import builtin_profiles
    from og_tui.devnet.hub.samples import build_samples

    base = devnet.url
    profile = builtin_profiles()["local"].replace(
        rpc_url=base + "/rpc",
        api_url=base,
        hub_url=base + "/api/v0",
        auth_url=base + "/auth",
        llm_url=base,
        devnet_port=devnet.port,
        inference_contract=devnet.info["contracts"]["inference_hub"],
    )
    chain = ChainClient(profile.rpc_url, timeout=60.0)
    hub = HubClient(profile.hub_url, profile.auth_url)
    cids = {s.name: cid_for_bytes(s.data) for s in build_samples()}
    yield AgentEnv(devnet, profile, chain, hub, cids)
    hub.close()
    chain.close()


@pytest.fixture
def sdk(agent_env, monkeypatch, tmp_path):
    """og_tui.sdk initialised with profile="local" on the test devnet's port; yields (og, account)."""
    import og_tui.sdk as og
    from og_tui.sdk import _state

    monkeypatch.setenv("OG_TUI_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("OG_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OG_TUI_DEVNET_PORT", str(agent_env.devnet.port))
    for name in ("OG_TUI_PROFILE", "OG_TUI_RPC_URL"):
        monkeypatch.delenv(name, raising=False)
    acct = agent_env.funded()
    og.init(None, None, acct.key.hex(), profile="local")
    yield og, acct
    _state.set_client(None)
