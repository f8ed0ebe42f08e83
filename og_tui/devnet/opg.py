"""OPG: the x402 v2 payment token of the devnet (ERC-20, 18 decimals, EIP-3009).

The token of SDK 1.1.4's LLM payments. It is the same native contract as OUSDC
(token.py: balances, allowances and authorizations laid out in EVM storage like a
Solidity contract, ``transferWithAuthorization`` for the ``exact`` scheme, the
faucet-only ``devnetMint``) with its own address, name and decimals, so the ``upto``
scheme's Permit2 (permit2.py) moves it with ``transferFrom`` after the payer's
``approve(Permit2, amount)``.

Its EIP-712 domain is ``{name: "OPG", version: "1", chainId: <devnet chain id>,
verifyingContract: <devnet OPG address>}``: the devnet's own address and chain id, so an
authorization signed here is not valid for the public OPG token.
"""

from __future__ import annotations

from og_tui.core import constants
from og_tui.devnet.native import NativeCall, NativeRevert
from og_tui.devnet.token import OUSDCToken

__all__ = ["OPGToken", "OPG_LABEL"]

OPG_LABEL = "OPG"


class OPGToken(OUSDCToken):
    """OUSDC's contract under OPG's name; revert reasons name OPG."""

    def __init__(self, address: bytes, chain_id: int, minter: bytes | None) -> None:
        super().__init__(
            address,
            chain_id,
            minter,
            name=constants.OPG_NAME,
            symbol=constants.OPG_NAME,
            version=constants.OPG_VERSION,
            decimals=constants.OPG_DECIMALS,
        )

    def __call__(self, call: NativeCall) -> bytes:
        try:
            return super().__call__(call)
        except NativeRevert as exc:
            if exc.reason.startswith("OUSDC:"):
                raise NativeRevert(OPG_LABEL + exc.reason[len("OUSDC") :]) from None
            raise


class _Slot:
    """The OPG handler of a node: built once the chain (and so the faucet account) is open."""

    def __init__(self) -> None:
        self.token: OPGToken | None = None

    def __call__(self, call: NativeCall) -> bytes:
        if self.token is None:
            raise NativeRevert("OPG: the token is not ready yet")
        return self.token(call)


def install(node) -> "_Slot":
    """Register OPG (and Permit2 with the x402 proxies) on ``node`` before its chain opens."""
    from eth_utils import to_canonical_address

    from og_tui.devnet import permit2

    slot = _Slot()
    node.chain.register_native(to_canonical_address(constants.OPG_DEVNET_ADDRESS), slot, name="OPG")
    permit2.install(node)
    return slot


def ready(node, slot: "_Slot") -> None:
    """Once the chain is open: the token, with the faucet as its only minter."""
    from eth_utils import to_canonical_address

    slot.token = OPGToken(
        to_canonical_address(constants.OPG_DEVNET_ADDRESS), node.config.chain_id, node.chain.faucet_address
    )


def genesis(alloc: dict, accounts: list, units: int) -> None:
    """Give each dev account ``units`` of OPG in a new chain's genesis."""
    from eth_utils import to_canonical_address

    address = to_canonical_address(constants.OPG_DEVNET_ADDRESS)
    token = OPGToken(address, 0, None)
    storage = token.genesis_storage({to_canonical_address(a.address): units for a in accounts})
    alloc.setdefault(address, {"balance": 0, "nonce": 0, "code": b"", "storage": {}})["storage"] = storage
