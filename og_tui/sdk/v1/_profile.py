"""Which network a 1.x client talks to: an og-tui profile, an og-tui devnet, or the public network.

- ``profile="local"`` (any og-tui profile name, or a Profile): its endpoints, registry and OPG
  token; ``rpc_url`` / ``tee_registry_address`` passed with a non-default value win.
- an ``rpc_url`` (or, for ``LLM.from_url``, a server URL) of an og-tui devnet: its
  ``/devnet/info`` supplies the registry, the OPG token and the x402 v2 network.
- otherwise the public profile (``opengradient``), where 1.1.4 pays OPG on Base.

The 1.x surface pays with x402 v2: a profile that says ``x402_version = "1"`` is used as ``"2"``
("auto" stays auto).
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Union

__all__ = [
    "DEFAULT_RPC_URL",
    "DEFAULT_TEE_REGISTRY_ADDRESS",
    "BASE_MAINNET_CHAIN_ID",
    "resolve_profile",
    "v2_chain_id",
    "v2_rpc_url",
]

DEFAULT_RPC_URL = "https://ogevmdevnet.opengradient.ai"
DEFAULT_TEE_REGISTRY_ADDRESS = "0x703cB174AEadB35D611858369B4b1111dC9Abda6"
BASE_MAINNET_CHAIN_ID = 8453
BASE_MAINNET_RPC = "https://base-rpc.publicnode.com"


def _chain_id_of(network: Any) -> int:
    """``eip155:107401`` -> 107401 (0 when it is not a CAIP-2 EVM id)."""
    text = str(network or "")
    if text.startswith("eip155:") and text[7:].isdigit():
        return int(text[7:])
    return 0


def _devnet_profile(info: Dict[str, Any], rpc_url: Optional[str]) -> Any:
    from og_tui.sdk.client import devnet_profile

    prof = devnet_profile(info, rpc_url)
    v2 = info.get("x402_v2") or {}
    token = (v2.get("token") or {}).get("address") or (info.get("contracts") or {}).get("opg_token")
    changes: Dict[str, Any] = {"x402_version": "2"}
    if token:
        changes["opg_token"] = token
    chain_id = _chain_id_of(v2.get("network"))
    if chain_id:
        changes["x402_v2_chain_id"] = chain_id
    return prof.replace(**changes)


def resolve_profile(
    rpc_url: str = DEFAULT_RPC_URL,
    tee_registry_address: str = DEFAULT_TEE_REGISTRY_ADDRESS,
    profile: Union[str, Any, None] = None,
    *,
    server_url: Optional[str] = None,
) -> Any:
    """The og-tui Profile of a 1.x client (see the module docstring)."""
    from og_tui.core.config import load_settings
    from og_tui.core.profiles import builtin_profiles
    from og_tui.sdk.client import _devnet_info

    if profile is not None:
        prof = load_settings(profile).profile if isinstance(profile, str) else profile
        if rpc_url != DEFAULT_RPC_URL:
            prof = prof.replace(rpc_url=rpc_url)
    else:
        probe = server_url or (rpc_url if rpc_url != DEFAULT_RPC_URL else None)
        info = _devnet_info(probe) if probe else None
        if info is not None:
            prof = _devnet_profile(info, None if server_url else rpc_url)
        else:
            prof = builtin_profiles()["opengradient"].replace(rpc_url=rpc_url)
    if tee_registry_address != DEFAULT_TEE_REGISTRY_ADDRESS:
        prof = prof.replace(tee_registry_address=tee_registry_address)
    if str(prof.x402_version) == "1":
        prof = prof.replace(x402_version="2")
    if server_url:
        prof = prof.replace(llm_url=server_url)
    return prof


def v2_chain_id(profile: Any) -> int:
    return int(getattr(profile, "x402_v2_chain_id", 0) or profile.chain_id)


def v2_rpc_url(profile: Any) -> str:
    """Where the OPG allowance lives: Base (``BASE_MAINNET_RPC``) when a remote profile pays on
    Base, as 1.1.4 does; the profile's own chain otherwise."""
    if not getattr(profile, "is_devnet", False) and v2_chain_id(profile) == BASE_MAINNET_CHAIN_ID:
        return os.getenv("BASE_MAINNET_RPC", BASE_MAINNET_RPC)
    return str(profile.rpc_url)
