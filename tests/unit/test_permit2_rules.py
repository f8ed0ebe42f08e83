"""Permit2 rules (og_tui.devnet.permit2) against payloads signed by og_tui.core.x402_v2.

The client signs with eth-account's EIP-712 encoder; the devnet hashes the struct by hand:
both must agree on every field, and every rule must refuse what Permit2 refuses.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import to_canonical_address

from og_tui.core import constants
from og_tui.core.x402_v2_sign import sign_requirement
from og_tui.devnet.permit2 import (
    EXACT_WITNESS_TYPE_STRING,
    UPTO_WITNESS_TYPE_STRING,
    PermitRejected,
    PermitTransfer,
    check_permit,
    exact_witness_hash,
    nonce_slot,
    permit2_domain_separator,
    upto_witness_hash,
)

CHAIN = constants.DEVNET_CHAIN_ID
PERMIT2 = to_canonical_address(constants.PERMIT2_ADDRESS)
PAYER = Account.from_key("0x" + "11" * 32)
PAYEE = "0x" + "22" * 20
FACILITATOR = constants.X402_V2_REGISTRY_ADDRESS
NOW = 1_800_000_000


def _req(scheme: str, **extra) -> dict:
    return {
        "scheme": scheme,
        "network": f"eip155:{CHAIN}",
        "asset": constants.OPG_DEVNET_ADDRESS,
        "amount": "5000",
        "payTo": PAYEE,
        "maxTimeoutSeconds": 300,
        "extra": dict({"facilitatorAddress": FACILITATOR} if scheme == "upto" else {}, **extra),
    }


def _permit(payload: dict, scheme: str) -> PermitTransfer:
    a = payload["permit2Authorization"]
    w = a["witness"]
    if scheme == "upto":
        witness = upto_witness_hash(
            to_canonical_address(w["to"]), to_canonical_address(w["facilitator"]), int(w["validAfter"])
        )
        type_string = UPTO_WITNESS_TYPE_STRING
    else:
        witness = exact_witness_hash(to_canonical_address(w["to"]), int(w["validAfter"]))
        type_string = EXACT_WITNESS_TYPE_STRING
    return PermitTransfer(
        owner=to_canonical_address(a["from"]),
        token=to_canonical_address(a["permitted"]["token"]),
        amount=int(a["permitted"]["amount"]),
        spender=to_canonical_address(a["spender"]),
        nonce=int(a["nonce"]),
        deadline=int(a["deadline"]),
        signature=bytes.fromhex(payload["signature"][2:]),
        witness=witness,
        witness_type_string=type_string,
    )


@pytest.mark.parametrize("scheme,extra", [("upto", {}), ("exact", {"assetTransferMethod": "permit2"})])
def test_signed_permit_passes_every_rule(scheme, extra):
    payload = sign_requirement(PAYER, _req(scheme, **extra), CHAIN, now=NOW, nonce=77)
    permit = _permit(payload, scheme)
    assert permit.spender == to_canonical_address(
        constants.X402_UPTO_PERMIT2_PROXY_ADDRESS if scheme == "upto" else constants.X402_EXACT_PERMIT2_PROXY_ADDRESS
    )
    check_permit(permit, 5000, permit2_domain_separator(CHAIN, PERMIT2), now=NOW, sload=lambda slot: 0)


def test_wrong_chain_and_wrong_verifying_contract_are_invalid_signers():
    permit = _permit(sign_requirement(PAYER, _req("upto"), CHAIN, now=NOW), "upto")
    for domain in (permit2_domain_separator(1, PERMIT2), permit2_domain_separator(CHAIN, b"\x01" * 20)):
        with pytest.raises(PermitRejected) as exc:
            check_permit(permit, 1, domain, now=NOW, sload=lambda slot: 0)
        assert exc.value.code == "invalid_signer"


def test_used_nonce_expired_deadline_and_excess_amount_are_refused():
    payload = sign_requirement(PAYER, _req("upto"), CHAIN, now=NOW, nonce=(5 << 8) | 3)
    permit = _permit(payload, "upto")
    domain = permit2_domain_separator(CHAIN, PERMIT2)
    used = {nonce_slot(permit.owner, 5): 1 << 3}
    with pytest.raises(PermitRejected, match="invalid nonce"):
        check_permit(permit, 1, domain, now=NOW, sload=lambda slot: used.get(slot, 0))
    # another bit of the same word is still free
    check_permit(permit, 1, domain, now=NOW, sload=lambda slot: {nonce_slot(permit.owner, 5): 1 << 4}.get(slot, 0))
    with pytest.raises(PermitRejected, match="expired"):
        check_permit(permit, 1, domain, now=permit.deadline + 1, sload=lambda slot: 0)
    with pytest.raises(PermitRejected, match="exceeds the permitted"):
        check_permit(permit, 5001, domain, now=NOW, sload=lambda slot: 0)


def test_tampered_amount_breaks_the_signature():
    payload = sign_requirement(PAYER, _req("upto"), CHAIN, now=NOW)
    payload["permit2Authorization"]["permitted"]["amount"] = "9999999"
    with pytest.raises(PermitRejected) as exc:
        check_permit(_permit(payload, "upto"), 1, permit2_domain_separator(CHAIN, PERMIT2), now=NOW, sload=lambda s: 0)
    assert exc.value.code == "invalid_signer"
