"""x402 v2 signing: the payload og-x402 expects for a requirement, per scheme and transfer method.

- ``upto``: Permit2 ``PermitWitnessTransferFrom`` (domain ``{name: "Permit2", chainId,
  verifyingContract: Permit2}``), spender the x402UptoPermit2Proxy, witness ``{to, facilitator,
  validAfter}``; the server charges what the reply cost, at most ``amount``;
- ``exact`` with ``extra.assetTransferMethod == "permit2"``: the same with the exact proxy and
  witness ``{to, validAfter}``;
- ``exact`` otherwise: EIP-3009 ``TransferWithAuthorization`` on the token's own domain
  (signed as v1 signs it, :func:`og_tui.core.x402_common.sign_transfer_authorization`).

Reading the 402 and wrapping the payload in its header is :mod:`og_tui.core.x402_v2`'s job.
eth_account is imported lazily.
"""

from __future__ import annotations

import os
import time
from typing import Any, Dict, Optional

from og_tui.core import constants
from og_tui.core.x402_common import sign_transfer_authorization, sign_typed
from og_tui.core.x402_v2 import PaymentUnsatisfiable

__all__ = ["TOKEN_PERMISSIONS", "PERMIT_WITNESS", "EXACT_WITNESS", "UPTO_WITNESS", "sign_requirement"]

TOKEN_PERMISSIONS = [{"name": "token", "type": "address"}, {"name": "amount", "type": "uint256"}]
PERMIT_WITNESS = [
    {"name": "permitted", "type": "TokenPermissions"},
    {"name": "spender", "type": "address"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
    {"name": "witness", "type": "Witness"},
]
EXACT_WITNESS = [{"name": "to", "type": "address"}, {"name": "validAfter", "type": "uint256"}]
UPTO_WITNESS = [
    {"name": "to", "type": "address"},
    {"name": "facilitator", "type": "address"},
    {"name": "validAfter", "type": "uint256"},
]


def sign_requirement(
    signer: Any, req: Dict[str, Any], chain_id: int, *, now: Optional[int] = None, nonce: Optional[int] = None
) -> Dict[str, Any]:
    """The signed inner payload for ``req`` (og-x402's shape for its scheme and transfer method)."""
    from eth_utils import to_checksum_address

    now = int(time.time()) if now is None else int(now)
    payer = to_checksum_address(signer.address)
    pay_to = to_checksum_address(req["payTo"])
    token = to_checksum_address(req["asset"])
    amount = int(req["amount"])
    deadline = now + int(req.get("maxTimeoutSeconds") or 3600)
    extra = req.get("extra") or {}
    scheme = req.get("scheme")
    if scheme == "exact" and extra.get("assetTransferMethod") != "permit2":
        name, version = extra.get("name"), str(extra.get("version", "1"))
        if not name:
            raise PaymentUnsatisfiable("The server's 'exact' requirement lacks the token's EIP-712 name (extra.name).")
        raw_nonce = os.urandom(32) if nonce is None else int(nonce).to_bytes(32, "big")
        signature, auth = sign_transfer_authorization(
            signer,
            name=name,
            version=version,
            chain_id=chain_id,
            asset=token,
            pay_to=pay_to,
            value=amount,
            valid_after=0,
            valid_before=deadline,
            nonce=raw_nonce,
        )
        return {"authorization": auth, "signature": signature}
    if scheme not in ("exact", "upto"):
        raise PaymentUnsatisfiable(f"Unsupported x402 v2 scheme {scheme!r}: og-tui pays 'upto' and 'exact'.")
    permit_nonce = int.from_bytes(os.urandom(32), "big") if nonce is None else int(nonce)
    witness: Dict[str, Any] = {"to": pay_to, "validAfter": 0}
    witness_type = EXACT_WITNESS
    spender = constants.X402_EXACT_PERMIT2_PROXY_ADDRESS
    if scheme == "upto":
        witness = {"to": pay_to, "facilitator": to_checksum_address(extra["facilitatorAddress"]), "validAfter": 0}
        witness_type = UPTO_WITNESS
        spender = constants.X402_UPTO_PERMIT2_PROXY_ADDRESS
    message = {
        "permitted": {"token": token, "amount": amount},
        "spender": spender,
        "nonce": permit_nonce,
        "deadline": deadline,
        "witness": witness,
    }
    domain = {"name": "Permit2", "chainId": int(chain_id), "verifyingContract": constants.PERMIT2_ADDRESS}
    types = {
        "PermitWitnessTransferFrom": PERMIT_WITNESS,
        "TokenPermissions": TOKEN_PERMISSIONS,
        "Witness": witness_type,
    }
    signature = sign_typed(signer, domain, types, message)
    auth = {
        "from": payer,
        "permitted": {"token": token, "amount": str(amount)},
        "spender": spender,
        "nonce": str(permit_nonce),
        "deadline": str(deadline),
        "witness": dict(witness, validAfter="0"),
    }
    return {"permit2Authorization": auth, "signature": signature}
