"""Follow x402 payments until their settlement is known, so the history tells the truth.

A payment is recorded when its reply starts (``pending``, or ``queued`` for a batch). It
becomes ``settled`` (with the settlement transaction), ``failed`` (with the gateway's
reason) or ``not charged``, from two sources:

* the gateway's settlement record (``GET /v1/x402/settlements/{processing hash}``);
* the token itself: EIP-3009 ``authorizationState(payer, nonce)`` is true once the
  authorization was used; an authorization still unused after its ``validBefore`` can
  never be used again, so that payment was never charged.

:func:`follow_payments` makes one pass over the open payments of a profile; the app runs
it in a worker from time to time, the CLI once after a paid command.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, List, Optional

from og_tui.core.errors import OGError

if TYPE_CHECKING:
    from og_tui.core.chain import ChainClient
    from og_tui.core.store import PaymentRecord, Store

__all__ = ["AUTHORIZATION_STATE_SELECTOR", "authorization_used", "follow_payments"]

# keccak256("authorizationState(address,bytes32)")[:4]
AUTHORIZATION_STATE_SELECTOR = "0xe94a0102"


def authorization_used(chain: "ChainClient", token: str, payer: str, nonce: str) -> bool:
    """Whether the EIP-3009 authorization ``(payer, nonce)`` was used (or cancelled)."""
    payer_word = payer.lower().removeprefix("0x").rjust(64, "0")
    nonce_word = nonce.lower().removeprefix("0x").rjust(64, "0")
    result = chain.call({"to": token, "data": AUTHORIZATION_STATE_SELECTOR + payer_word + nonce_word})
    return int(result or "0x0", 16) != 0


def _from_gateway(llm: Any, row: "PaymentRecord") -> Optional[tuple[str, Optional[str], Optional[str]]]:
    processing_hash = row.processing_hash
    if llm is None or not processing_hash:
        return None
    try:
        data = llm.settlement_status(processing_hash)
    except OGError:
        return None  # no record (yet, or any more): the chain decides
    status = str(data.get("status") or "")
    if status == "settled":
        return "settled", data.get("transaction") or None, None
    if status == "failed":
        return "failed", None, str(data.get("error") or data.get("reason") or "the gateway could not settle it")
    if status == "queued":
        return "queued", None, None
    return None


def follow_payments(
    store: "Store",
    *,
    llm: Any = None,
    chain: Optional["ChainClient"] = None,
    profile: Optional[str] = None,
    now: Optional[float] = None,
) -> List["PaymentRecord"]:
    """One pass over the open payments of ``profile``; returns the rows whose status changed."""
    now = time.time() if now is None else now
    changed: List["PaymentRecord"] = []
    for row in store.open_payments(profile):
        found = _from_gateway(llm, row)
        if found is None or found[0] == "queued":
            detail = row.detail or {}
            payer, nonce, valid_before = detail.get("payer"), detail.get("nonce"), detail.get("valid_before")
            if chain is not None and row.token and payer and nonce:
                try:
                    used = authorization_used(chain, row.token, str(payer), str(nonce))
                except OGError:
                    used = None
                if used and found is None:
                    # used (the gateway keeps no record of it any more): it was paid; while the
                    # gateway still says queued, its record decides (a cancelled one is "failed")
                    found = ("settled", row.settlement_tx, None)
                elif used is False and isinstance(valid_before, int) and now > valid_before:
                    found = ("not charged", None, "the authorization expired unused: nothing was paid")
        if found is None or found[0] == row.status:
            continue
        status, tx, reason = found
        updated = store.set_payment_status(row.id, status, settlement_tx=tx, reason=reason)
        if updated is not None and updated.status != row.status:
            changed.append(updated)
    return changed
