"""Fixtures for the workflow tests: a devnet client, a funded wallet, the sample model."""

from __future__ import annotations

import pytest


class Env:
    def __init__(self, devnet) -> None:
        from eth_account import Account

        from og_tui.core.alpha import AlphaClient
        from og_tui.core.chain import ChainClient
        from og_tui.core.hub import HubClient

        self.devnet = devnet
        self.chain = ChainClient(devnet.rpc_url, timeout=30)
        self.hub = HubClient(devnet.info["hub_url"], devnet.info["auth_url"], None)
        self.alpha = AlphaClient(self.chain, signature_provider=self.hub.model_signature)
        self.account = Account.create()
        status, body = devnet.post("/faucet", {"address": self.account.address})
        assert status == 200, body
        self.model_cid = self.sample_cid("price-forecast-1h")

    def sample_cid(self, name: str) -> str:
        files = self.hub.list_files(name, "0.01")
        return files[0]["ipfsCid"]

    def close(self) -> None:
        self.chain.close()
        self.hub.close()


@pytest.fixture
def wf(devnet):
    env = Env(devnet)
    yield env
    env.close()


@pytest.fixture
def ohlc_query():
    from og_tui.core.types import CandleOrder, CandleType, HistoricalInputQuery

    return HistoricalInputQuery(
        "ETH",
        "USDT",
        10,
        60,
        CandleOrder.ASCENDING,
        [CandleType.OPEN, CandleType.HIGH, CandleType.LOW, CandleType.CLOSE],
    )
