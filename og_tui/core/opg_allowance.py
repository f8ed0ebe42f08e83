"""The OPG allowance of Permit2: what x402 v2's Permit2 payments (``upto``, ``exact`` with
``assetTransferMethod: permit2``) need before the first payment.

Permit2 moves the payer's OPG with ``transferFrom``, so the wallet first sends
``approve(Permit2, amount)`` on the OPG token. og-tui never sends it behind the user's back:

    plan = plan_approval(chain, wallet.address, needed)   # reads the allowance; sends nothing
    if plan.required:
        show(plan.describe())                              # what would be approved, to whom
        approve(chain, wallet, plan)                        # the one transaction, when confirmed

:func:`ensure_allowance` raises :class:`AllowanceTooSmall` naming the exact approve a payment needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from og_tui.core import constants
from og_tui.core.errors import PaymentError

__all__ = ["AllowanceTooSmall", "ApprovalPlan", "read_allowance", "plan_approval", "approve", "ensure_allowance"]

ALLOWANCE_SELECTOR = "dd62ed3e"  # allowance(address,address)
APPROVE_SELECTOR = "095ea7b3"  # approve(address,uint256)


def _fmt_units(units: int, decimals: int = constants.OPG_DECIMALS, symbol: str = constants.OPG_NAME) -> str:
    from og_tui.core.amounts import format_amount

    return f"{format_amount(int(units), decimals)} {symbol}"


class AllowanceTooSmall(PaymentError):
    """Permit2 may not move enough of the token: the message names the exact approve needed."""

    def __init__(self, message: str, *, plan: "ApprovalPlan") -> None:
        super().__init__(message, hint="Approve Permit2 first (og-tui asks before it sends the approve).")
        self.plan = plan


@dataclass(frozen=True)
class ApprovalPlan:
    """What :func:`approve` would send: ``approve(spender, amount)`` on ``token`` from ``owner``."""

    owner: str
    token: str
    spender: str
    allowance: int  # now
    needed: int
    amount: int  # what the approve sets
    chain_id: int

    @property
    def required(self) -> bool:
        return self.allowance < self.needed

    def describe(self) -> str:
        return (
            f"approve({self.spender}, {self.amount}) on the OPG token {self.token} from {self.owner}: "
            f"lets Permit2 move up to {_fmt_units(self.amount)} of your OPG for x402 payments "
            f"(allowance now {_fmt_units(self.allowance)}, chain {self.chain_id})"
        )


def _word(address: str) -> str:
    return address.lower().removeprefix("0x").rjust(64, "0")


def read_allowance(chain: Any, token: str, owner: str, spender: str = constants.PERMIT2_ADDRESS) -> int:
    out = chain.call({"to": token, "data": "0x" + ALLOWANCE_SELECTOR + _word(owner) + _word(spender)})
    return int(out, 16) if out not in (None, "0x") else 0


def plan_approval(
    chain: Any,
    owner: str,
    needed: int,
    *,
    token: str = constants.OPG_DEVNET_ADDRESS,
    amount: Optional[int] = None,
    chain_id: int = 0,
) -> ApprovalPlan:
    """Read the owner's Permit2 allowance on ``token`` and say what approve would cover ``needed``
    (``amount`` defaults to ``needed``). Sends nothing."""
    current = read_allowance(chain, token, owner)
    return ApprovalPlan(owner, token, constants.PERMIT2_ADDRESS, current, int(needed), int(amount or needed), chain_id)


def approve(chain: Any, signer: Any, plan: ApprovalPlan, on_status: Optional[Callable[..., None]] = None) -> str:
    """Send the planned ``approve`` and wait for it; returns the transaction hash."""
    if signer.address.lower() != plan.owner.lower():
        raise PaymentError(f"The approval was planned for {plan.owner}, not for the unlocked wallet {signer.address}.")
    data = "0x" + APPROVE_SELECTOR + _word(plan.spender) + int(plan.amount).to_bytes(32, "big").hex()
    outcome = chain.send(signer, {"to": plan.token, "value": 0, "data": data}, on_status=on_status, label="approve")
    return str(outcome.hash)


def ensure_allowance(chain: Any, owner: str, amount: int, token: str, chain_id: int) -> None:
    """Raise :class:`AllowanceTooSmall` naming the exact approve when Permit2 may not move ``amount``."""
    plan = plan_approval(chain, owner, amount, token=token, chain_id=chain_id)
    if plan.required:
        raise AllowanceTooSmall(
            f"The OPG allowance of Permit2 is too small for this payment: {_fmt_units(plan.allowance)} approved, "
            f"the payment needs {_fmt_units(amount)}. Send approve({plan.spender}, {amount}) on the OPG token "
            f"{plan.token} (og-tui: approve OPG for x402 payments) and retry.",
            plan=plan,
        )
