"""What the chain client returns: a mined transaction, a fee estimate, token facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional

from og_tui.core.hexutil import quantity

__all__ = ["TxOutcome", "FeeEstimate", "TokenInfo"]


@dataclass
class TxOutcome:
    """A mined transaction. ``hash`` is 0x-prefixed hex."""

    hash: str
    status: int
    gas_used: int
    block: int
    from_addr: str
    to_addr: Optional[str]
    latency_s: float
    gas_price: int = 0
    nonce: int = 0
    attempts: int = 1
    receipt: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == 1

    @property
    def fee_wei(self) -> int:
        """What the sender paid for gas (gas used times the effective gas price)."""
        price = self.receipt.get("effectiveGasPrice") if self.receipt else None
        return self.gas_used * (quantity(price) if price is not None else self.gas_price)

    def as_dict(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "status": self.status,
            "gas_used": self.gas_used,
            "gas_price": self.gas_price,
            "fee_wei": self.fee_wei,
            "block": self.block,
            "from": self.from_addr,
            "to": self.to_addr,
            "nonce": self.nonce,
            "latency_s": round(self.latency_s, 4),
        }


class FeeEstimate(NamedTuple):
    """Gas for a confirm dialog: ``gas`` is the estimate, ``fee_wei = gas * gas_price``.

    ``gas_limit`` is the estimate with the safety margin; ``max_fee_wei`` is what the
    sender must hold for gas up-front (``gas_limit * gas_price``).
    """

    gas: int
    gas_price: int
    fee_wei: int
    gas_limit: int = 0
    max_fee_wei: int = 0


class TokenInfo(NamedTuple):
    address: str
    name: str
    symbol: str
    decimals: int
