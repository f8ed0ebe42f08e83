"""The EIP-3009 rules the token and the gateway share (og_tui.devnet.token.check_authorization),
checked on their own: signature normalization, window, nonce, balance, reservation."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys import KeyAPI
from eth_utils import to_canonical_address

from og_tui.core import constants
from og_tui.core.x402_common import TRANSFER_WITH_AUTHORIZATION_TYPES
from og_tui.devnet.token import (
    Authorization,
    AuthorizationRejected,
    OUSDCToken,
    authorization_digest,
    authorization_slot,
    balance_slot,
    check_authorization,
)

CHAIN_ID = 107401
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
TOKEN = to_canonical_address(constants.OUSDC_ADDRESS)
DOMAIN = OUSDCToken(TOKEN, CHAIN_ID, None, name=constants.OUSDC_NAME, version=constants.OUSDC_VERSION).domain_separator
NOW = 1_800_000_000


def _signed(value: int = 100, after: int = NOW - 60, before: int = NOW + 300):
    payer = Account.create()
    to = Account.create().address
    nonce = os.urandom(32)
    domain = {
        "name": constants.OUSDC_NAME,
        "version": constants.OUSDC_VERSION,
        "chainId": CHAIN_ID,
        "verifyingContract": constants.OUSDC_ADDRESS,
    }
    msg = {"from": payer.address, "to": to, "value": value, "validAfter": after, "validBefore": before, "nonce": nonce}
    sig = bytes(payer.sign_message(encode_typed_data(domain, TRANSFER_WITH_AUTHORIZATION_TYPES, msg)).signature)
    auth = Authorization(
        to_canonical_address(payer.address),
        to_canonical_address(to),
        value,
        after,
        before,
        nonce,
        sig[64],
        sig[:32],
        sig[32:64],
    )
    storage = {balance_slot(auth.authorizer): 1_000}
    return auth, storage


def _check(auth, storage, now=NOW, reserved=0):
    check_authorization(auth, DOMAIN, now=now, sload=lambda slot: storage.get(slot, 0), reserved=reserved)


def _code(auth, storage, **kw) -> str:
    with pytest.raises(AuthorizationRejected) as exc:
        _check(auth, storage, **kw)
    return exc.value.code


def test_a_good_authorization_passes_and_v_0_1_is_read_as_27_28():
    auth, storage = _signed()
    _check(auth, storage)
    _check(replace(auth, v=auth.v - 27), storage)


def test_malleated_and_malformed_signatures_are_refused():
    auth, storage = _signed()
    high_s = replace(auth, s=(N - int.from_bytes(auth.s, "big")).to_bytes(32, "big"), v=55 - auth.v)
    # a valid ECDSA signature of the same message by the same key, only not canonical
    digest = authorization_digest(DOMAIN, high_s.struct_hash())
    sig = KeyAPI.Signature(vrs=(high_s.v - 27, int.from_bytes(high_s.r, "big"), int.from_bytes(high_s.s, "big")))
    assert sig.recover_public_key_from_msg_hash(digest).to_canonical_address() == auth.authorizer
    assert _code(high_s, storage) == "invalid_signature"
    for v in (2, 26, 29, 255):
        assert _code(replace(auth, v=v), storage) == "invalid_signature"
    assert _code(replace(auth, r=b"\0" * 32), storage) == "invalid_signature"
    assert _code(replace(auth, value=101), storage) == "invalid_signature"


def test_window_nonce_balance_and_reservation():
    auth, storage = _signed(value=100)
    assert _code(auth, storage, now=auth.valid_after) == "not_yet_valid"
    assert _code(auth, storage, now=auth.valid_before) == "expired"
    assert _code(auth, storage, reserved=901) == "insufficient_funds"
    _check(auth, storage, reserved=900)
    storage[authorization_slot(auth.authorizer, auth.nonce)] = 1  # used or cancelled
    assert _code(auth, storage) == "nonce_used"
