"""Fixed facts shared by the client and the local devnet: addresses, ids, defaults.

Addresses of the public OpenGradient network come from the reference SDK; the
devnet serves its system contracts at the same addresses so that any client
written for the real network works against it unchanged, but on a chain id of its
own so nothing signed on devnet can be replayed on a public network.
"""

from __future__ import annotations

# --- public OpenGradient network (SDK 0.5.13 defaults) ---------------------------
OG_RPC_URL = "https://ogevmdevnet.opengradient.ai"
OG_API_URL = "https://sdk-devnet.opengradient.ai"
OG_HUB_URL = "https://api.opengradient.ai/api/v0"
OG_AUTH_URL = "https://identitytoolkit.googleapis.com"
OG_LLM_URL = "https://llmogevm.opengradient.ai"
OG_EXPLORER_URL = "https://explorer.opengradient.ai/"
OG_FAUCET_URL = "https://faucet.opengradient.ai/?address="
OG_CHAIN_ID = 10740
OG_X402_NETWORK = "og-evm"

INFERENCE_HUB_ADDRESS = "0x8383C9bD7462F12Eb996DD02F78234C0421A6FaE"
INFERENCE_PRECOMPILE_ADDRESS = "0x00000000000000000000000000000000000000F4"
PRICE_FEED_PRECOMPILE_ADDRESS = "0x00000000000000000000000000000000000000F5"
SCHEDULER_ADDRESS = "0x7179724De4e7FF9271FA40C0337c7f90C0508eF6"
# the TEE registry of SDK 1.1.4 (getActiveTEEs); devnet serves its own at the same address
TEE_REGISTRY_ADDRESS = "0x703cB174AEadB35D611858369B4b1111dC9Abda6"
OUSDC_ADDRESS = "0x094E464A23B90A71a0894D5D1e5D470FfDD074e1"
OUSDC_NAME = "OUSDC"
OUSDC_VERSION = "2"
OUSDC_DECIMALS = 6
NATIVE_SYMBOL = "OG"

# --- x402 version 2 (SDK 1.1.4 / og-x402): OPG token, Permit2 and the x402 Permit2 proxies -------
# Permit2 and the two proxies sit at their canonical addresses (the same on every EVM chain, and
# the ones og-x402 signs for); signatures bind the chain id, so the devnet's never replay elsewhere.
OPG_PUBLIC_ADDRESS = "0xFbC2051AE2265686a469421b2C5A2D5462FbF5eB"  # OPG on Base (SDK 1.1.4)
OPG_DEVNET_ADDRESS = "0xc63562ac79Cc7AEB5eb0F2a2548dA14659829533"  # the devnet's own OPG
OPG_NAME = "OPG"
OPG_VERSION = "1"
OPG_DECIMALS = 18
PERMIT2_ADDRESS = "0x000000000022D473030F116dDEE9F6B43aC78BA3"
X402_EXACT_PERMIT2_PROXY_ADDRESS = "0x402085c248EeA27D92E8b30b2C58ed07f9E20001"
X402_UPTO_PERMIT2_PROXY_ADDRESS = "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002"
X402_V2_REGISTRY_ADDRESS = "0x0000000000000000000000000000000000004022"
NATIVE_DECIMALS = 18

# --- local devnet -----------------------------------------------------------------
DEVNET_CHAIN_ID = 107401  # its own id: not 10740, not 262144
DEVNET_X402_NETWORK = "og-devnet"
DEVNET_X402_V2_NETWORK = "eip155:107401"  # CAIP-2 id of the devnet chain (x402 v2)
DEVNET_HOST = "127.0.0.1"
DEVNET_PORT = 8745
DEVNET_BLOCK_GAS_LIMIT = 150_000_000  # room for a 100,000-element tensor (~78M gas of calldata)
