"""The devnet's x402 network option and og_tui.sdk's discovery of a devnet from its RPC URL."""

from __future__ import annotations

import subprocess
import sys

import pytest

from og_tui.core import constants as C
from og_tui.devnet.compat_x402 import DEVNET_TOKEN_NAME, x402_settings
from og_tui.devnet.token import OUSDCToken


def _separator(name: str, chain_id: int) -> bytes:
    token = OUSDCToken(bytes.fromhex(C.OUSDC_ADDRESS[2:]), chain_id, None, name=name, version=C.OUSDC_VERSION)
    return token.domain_separator


def test_og_evm_mode_signs_for_a_domain_no_public_token_has():
    s = x402_settings("og-evm")
    assert s["x402_network"] == "og-evm" and s["x402_chain_id"] == C.OG_CHAIN_ID
    assert s["payment_token_name"] == DEVNET_TOKEN_NAME != C.OUSDC_NAME
    devnet = _separator(s["payment_token_name"], s["x402_chain_id"])
    public = _separator(C.OUSDC_NAME, C.OG_CHAIN_ID)  # the public OUSDC on og-evm
    assert devnet != public


def test_default_mode_is_the_devnets_own_network():
    assert x402_settings("og-devnet") == {
        "x402_network": "og-devnet",
        "x402_chain_id": 0,
        "payment_token_name": "OUSDC",
    }
    with pytest.raises(ValueError, match="Unknown x402 network 'base'"):
        x402_settings("base")


def test_cli_refuses_an_unknown_network():
    proc = subprocess.run(
        [sys.executable, "-m", "og_tui", "devnet", "--x402-network", "base", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "og-devnet" in proc.stderr and "og-evm" in proc.stderr


def test_sdk_init_with_devnet_rpc_url_discovers_everything(devnet):
    import og_tui.sdk as og
    from og_tui.sdk import _state

    try:
        key = devnet.info["dev_accounts"][3]["private_key"]
        client = og.init(None, None, key, rpc_url=devnet.rpc_url)
        prof = client.profile
        assert prof is not None and prof.kind == "devnet"
        assert (prof.hub_url, prof.auth_url, prof.llm_url) == (
            devnet.info["hub_url"],
            devnet.info["auth_url"],
            devnet.info["llm_url"],
        )
        assert client.api_url == devnet.info["api_url"]
        assert client.contract_address == devnet.info["contracts"]["inference_hub"]
        assert prof.scheduler_address == devnet.info["contracts"]["scheduler"]
        assert prof.x402_network == devnet.info["x402_network"] == "og-devnet"
        assert prof.chain_id == devnet.info["x402_chain_id"] == devnet.info["chain_id"]
        # and it works: the hub is the devnet's
        assert any(f["name"].endswith(".onnx") for f in og.list_files("linear-regression", "0.01"))
    finally:
        _state.set_client(None)


def test_sdk_init_with_a_non_devnet_rpc_url_keeps_public_hosts(tmp_path):
    import og_tui.sdk as og
    from og_tui.sdk import _state

    try:
        client = og.init(None, None, "0x" + "11" * 32, rpc_url="http://127.0.0.1:9/rpc")  # nothing listens there
        assert client.profile is None and client.rpc_url == "http://127.0.0.1:9/rpc"
        assert client.api_url == C.OG_API_URL
    finally:
        _state.set_client(None)
