"""Shared hex helpers, and the chain client's address check (EIP-55 checksum)."""

from __future__ import annotations

import pytest

from og_tui.core import hexutil as H
from og_tui.core.chain import ChainClient, encode_transfer
from og_tui.core.errors import ValidationError

GOOD = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55 example address


def test_quantity_and_hex():
    assert H.quantity(None) == 0 and H.quantity(7) == 7
    assert H.quantity("0x1f") == 31 and H.quantity("0X10") == 16 and H.quantity("12") == 12
    assert H.to_hex(255) == "0xff"
    assert H.data_hex(b"\x01\x02") == "0x0102" and H.data_hex("ab") == "0xab" and H.data_hex(None) == "0x"
    assert H.hex_bytes("0x0102") == b"\x01\x02" and H.hex_bytes(None) == b""


def test_selector_and_word_address():
    assert H.selector_hex("transfer(address,uint256)") == "a9059cbb"
    assert H.word_address(GOOD) == "0" * 24 + GOOD[2:].lower()


def test_revert_reasons():
    from eth_abi.abi import encode

    data = "0x" + H.ERROR_SELECTOR + encode(["string"], ["nope"]).hex()
    assert H.decode_revert_reason(data) == "nope"
    panic = "0x" + H.PANIC_SELECTOR + (0x11).to_bytes(32, "big").hex()
    assert H.decode_revert_reason(panic) == "panic 0x11: arithmetic overflow or underflow"
    assert H.decode_revert_reason("0x") == "no reason given"
    assert H.decode_revert_reason("0xdeadbeef") == "custom error 0xdeadbeef"


def test_notify_calls_back_only_when_given():
    seen = []
    H.notify(lambda stage, info: seen.append((stage, info)), "sent", {"hash": "0x1"})
    H.notify(None, "sent", {})
    assert seen == [("sent", {"hash": "0x1"})]


def test_chain_client_rejects_a_mistyped_checksummed_address():
    bad = GOOD.replace("aAeb", "aaeb")  # one letter's case changed: the checksum no longer matches
    chain = ChainClient("http://127.0.0.1:9/rpc")  # never contacted: the check comes first
    try:
        with pytest.raises(ValidationError) as err:
            chain.balance(bad)
        assert "checksum does not match" in str(err.value) and bad in str(err.value)
        assert err.value.field == "address"
        with pytest.raises(ValidationError) as err:
            encode_transfer("0x1234", 1)
        assert str(err.value).startswith("Recipient '0x1234': an address is 40 hex characters")
        assert err.value.field == "recipient"
    finally:
        chain.close()


def test_encode_transfer_accepts_lower_and_checksummed():
    assert encode_transfer(GOOD.lower(), 5) == encode_transfer(GOOD, 5)
