"""Which x402 network the devnet's LLM gateway speaks, and its payment token's EIP-712 domain.

By default the devnet is its own network: x402 network ``og-devnet``, payments signed
for chain 107401 (the devnet's chain id), token ``OUSDC``. The reference SDK's x402
library only knows the network ``og-evm`` (chain 10740), so for unmodified clients the
devnet can instead serve x402 as ``og-evm``:

    og-tui devnet --x402-network og-evm          # or OG_TUI_DEVNET_X402_NETWORK=og-evm

Then payment requirements say ``network: og-evm`` and authorizations are signed for
chain id 10740, but the token's EIP-712 domain *name* is ``OUSDC og-tui devnet``
instead of the public token's ``OUSDC``: a payment signed for the devnet is therefore
not a valid authorization for any public OUSDC contract (the domain separator differs).
The chain itself keeps chain id 107401, so transactions signed for the devnet are never
valid on a public network either. ``/devnet/info`` reports the domain
(``x402_domain``) and the ``x402_chain_id``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from og_tui.core import constants

if TYPE_CHECKING:
    from og_tui.devnet.node import DevnetConfig

__all__ = ["X402_NETWORKS", "ENV_X402_NETWORK", "DEVNET_TOKEN_NAME", "x402_settings", "x402_domain_note"]

ENV_X402_NETWORK = "OG_TUI_DEVNET_X402_NETWORK"
X402_NETWORKS = (constants.DEVNET_X402_NETWORK, constants.OG_X402_NETWORK)
# EIP-712 domain name of the devnet token when it signs under a public network name
DEVNET_TOKEN_NAME = "OUSDC og-tui devnet"


def x402_settings(network: str) -> Dict[str, Any]:
    """DevnetConfig fields for serving x402 as ``network`` (``og-devnet`` or ``og-evm``)."""
    if network == constants.DEVNET_X402_NETWORK:
        return {"x402_network": network, "x402_chain_id": 0, "payment_token_name": constants.OUSDC_NAME}
    if network == constants.OG_X402_NETWORK:
        return {
            "x402_network": network,
            "x402_chain_id": constants.OG_CHAIN_ID,
            "payment_token_name": DEVNET_TOKEN_NAME,
        }
    raise ValueError(f"Unknown x402 network {network!r}: use one of {', '.join(X402_NETWORKS)}.")


def x402_domain_note(config: "DevnetConfig") -> Dict[str, Any]:
    """The payment token's EIP-712 domain, and whether signatures for it could be valid elsewhere."""
    public = config.x402_network != constants.DEVNET_X402_NETWORK
    return {
        "name": config.payment_token_name,
        "version": constants.OUSDC_VERSION,
        "chainId": config.x402_domain_chain_id,
        "verifyingContract": constants.OUSDC_ADDRESS,
        "public_network_name": public,
        "valid_on_public_networks": False,
        "note": (
            f"x402 is served under the public network name {config.x402_network!r} for unmodified clients; "
            f"the token's EIP-712 name {config.payment_token_name!r} differs from the public token's "
            f"{constants.OUSDC_NAME!r}, so no payment signed here is valid on a public network."
        )
        if public
        else "devnet-only network and chain id: no payment signed here is valid on a public network.",
    }
