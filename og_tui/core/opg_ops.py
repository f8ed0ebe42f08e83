"""The OPG approve of x402 v2 as the app and the CLI send it: planned (how much, to whom),
priced (gas), shown to the user, and recorded in the transaction history.

    plan = plan_for(chain, profile, owner, needed, settings=settings)   # reads; sends nothing
    cost = estimate(chain, plan)
    print("\\n".join(approval_lines(plan, cost, profile)))             # the user says yes, then
    outcome = send_approve(chain, store, profile, signer, plan)

The amount approved is the payment's need or, when larger, the per-run OPG spend cap
(``llm_cap_opg_per_run``): one approve then covers a run of replies instead of one.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from og_tui.core import constants
from og_tui.core.opg_allowance import APPROVE_SELECTOR, ApprovalPlan, _word, approve, plan_approval

__all__ = ["APPROVE_KIND", "default_amount", "plan_for", "estimate", "approval_lines", "plan_dict", "send_approve"]

APPROVE_KIND = "approve-opg"  # the transaction history's kind of the approve


def _opg(units: int) -> str:
    from og_tui.core.amounts import format_amount

    return f"{format_amount(int(units), constants.OPG_DECIMALS, max_decimals=constants.OPG_DECIMALS)} OPG"


def default_amount(needed: int, settings: Any = None) -> int:
    """What to approve for a payment of ``needed`` units: the per-run OPG cap when it is larger."""
    per_run = None
    if settings is not None:
        from og_tui.core.x402_v2 import opg_caps

        per_run = opg_caps(settings).per_run
    return max(int(needed), int(per_run or 0))


def plan_for(
    chain: Any, profile: Any, owner: str, needed: int, *, amount: Optional[int] = None, settings: Any = None
) -> ApprovalPlan:
    """The approve on ``profile``'s OPG token that lets Permit2 move ``needed`` units (``amount``
    approved; by default :func:`default_amount`). Reads the allowance, sends nothing."""
    from og_tui.core.x402_v2 import profile_chain_id

    return plan_approval(
        chain,
        owner,
        int(needed),
        token=getattr(profile, "opg_token", constants.OPG_DEVNET_ADDRESS),
        amount=int(amount) if amount is not None else default_amount(needed, settings),
        chain_id=profile_chain_id(profile),
    )


def estimate(chain: Any, plan: ApprovalPlan) -> dict[str, int]:
    """Gas, gas price and fee (wei) of the planned approve."""
    data = "0x" + APPROVE_SELECTOR + _word(plan.spender) + int(plan.amount).to_bytes(32, "big").hex()
    gas = chain.estimate_gas({"from": plan.owner, "to": plan.token, "value": 0, "data": data})
    price = chain.gas_price()
    return {"gas": int(gas), "gas_price": int(price), "fee_wei": int(gas) * int(price)}


def approval_lines(plan: ApprovalPlan, cost: dict[str, int], profile: Any) -> list[str]:
    """What the approve does, line by line (the confirmation of the app and of the CLI)."""
    from og_tui.core.amounts import format_amount

    fee = format_amount(cost["fee_wei"], constants.NATIVE_DECIMALS, max_decimals=9)
    symbol = getattr(profile, "native_symbol", constants.NATIVE_SYMBOL)
    now = f"Permit2 may move {_opg(plan.allowance)} of your OPG now"
    return [
        f"{now}; this payment needs up to {_opg(plan.needed)}." if plan.needed < plan.amount else f"{now}.",
        f"token    OPG {plan.token} (chain {plan.chain_id})",
        f"call     approve(spender, amount) from {plan.owner}",
        f"spender  Permit2 {plan.spender}",
        f"amount   {_opg(plan.amount)} ({plan.amount} units): Permit2 may move up to this much",
        f"gas      about {fee} {symbol} ({cost['gas']} gas)",
        "Only payments you make move OPG; each is still checked against your spend caps.",
    ]


def plan_dict(plan: ApprovalPlan, cost: Optional[dict[str, int]] = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "owner": plan.owner,
        "token": plan.token,
        "spender": plan.spender,
        "chain_id": plan.chain_id,
        "allowance_units": str(plan.allowance),
        "needed_units": str(plan.needed),
        "amount_units": str(plan.amount),
        "amount": _opg(plan.amount),
        "required": plan.required,
    }
    if cost is not None:
        data.update({k: cost[k] for k in ("gas", "gas_price")}, fee_wei=str(cost["fee_wei"]))
    return data


def send_approve(
    chain: Any,
    store: Any,
    profile: Any,
    signer: Any,
    plan: ApprovalPlan,
    on_status: Optional[Callable[[str, dict[str, Any]], None]] = None,
) -> dict[str, Any]:
    """Send the planned approve and wait for it; recorded in ``store`` (kind ``approve-opg``)
    as pending once sent, then confirmed with its gas and block. Returns the mined outcome."""
    detail = {"symbol": constants.OPG_NAME, "decimals": constants.OPG_DECIMALS, "spender": plan.spender}
    mined: dict[str, Any] = {}

    def status(stage: str, info: dict[str, Any]) -> None:
        if stage == "sent" and store is not None:
            store.add_tx(
                info["hash"],
                APPROVE_KIND,
                status="pending",
                from_addr=signer.address,
                to_addr=plan.token,
                value=plan.amount,
                token=plan.token,
                profile=getattr(profile, "name", None),
                detail=detail,
            )
        if stage == "mined":
            mined.update(info)
        if on_status is not None:
            on_status(stage, info)

    try:
        tx_hash = approve(chain, signer, plan, on_status=status)
    except Exception as exc:
        failed = getattr(exc, "tx_hash", None)
        if store is not None and failed:
            store.update_tx(failed, status="failed", error=str(exc))
        raise
    if store is not None:
        store.update_tx(
            tx_hash,
            status="confirmed",
            gas_used=mined.get("gas_used"),
            block=mined.get("block"),
            detail={**detail, "gas_price": mined.get("gas_price"), "fee_wei": mined.get("fee_wei")},
        )
    return {"hash": tx_hash, **{k: mined.get(k) for k in ("block", "gas_used", "gas_price", "fee_wei")}}
