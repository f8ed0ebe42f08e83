"""Amount, address and private-key parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from og_tui.core.amounts import (
    SECP256K1_N,
    format_amount,
    parse_address,
    parse_amount,
    parse_private_key,
    short_address,
)
from og_tui.core.errors import ValidationError

ADDR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55 test vector


@pytest.mark.parametrize(
    "text,decimals,units",
    [
        ("1", 6, 1_000_000),
        ("1.5", 6, 1_500_000),
        ("0.000001", 6, 1),
        ("1_000", 6, 1_000_000_000),
        (" 2 ", 6, 2_000_000),
        (".5", 6, 500_000),
        ("5.", 6, 5_000_000),
        ("1.500000000", 6, 1_500_000),
        ("+3", 0, 3),
        ("1e3", 6, 1_000_000_000),
        ("1.5e-6", 7, 15),
        ("0.1", 18, 10**17),
        ("123456789.123456789012345678", 18, 123456789123456789012345678),
    ],
)
def test_parse_amount_ok(text, decimals, units):
    assert parse_amount(text, decimals) == units


@pytest.mark.parametrize(
    "text,needle",
    [
        ("-1", "positive"),
        ("0", "greater than zero"),
        ("0.0", "greater than zero"),
        ("", "Enter an amount"),
        ("   ", "Enter an amount"),
        ("abc", "not a number"),
        ("1.2.3", "not a number"),
        ("1e", "not a number"),
        ("nan", "not a number"),
        ("inf", "not a number"),
        ("1,000", "commas"),
        ("_1", "not a number"),
        ("1__0", "not a number"),
        ("1e-7", "decimals"),
        ("0x10", "not a number"),
    ],
)
def test_parse_amount_rejects(text, needle):
    with pytest.raises(ValidationError) as exc:
        parse_amount(text, 6)
    assert needle in str(exc.value)
    assert exc.value.field == "amount"


def test_too_many_decimals_message():
    with pytest.raises(ValidationError) as exc:
        parse_amount("1.0000001", 6, symbol="OUSDC")
    assert str(exc.value) == "OUSDC has 6 decimals; 1.0000001 has 7."


def test_zero_allowed_when_asked():
    assert parse_amount("0", 6, allow_zero=True) == 0


@given(st.integers(min_value=1, max_value=10**30), st.integers(min_value=0, max_value=18))
def test_format_parse_roundtrip(units, decimals):
    text = format_amount(units, decimals, max_decimals=decimals).replace(",", "_")
    assert parse_amount(text, decimals) == units


def test_format_amount():
    assert format_amount(1_500_000, 6) == "1.5"
    assert format_amount(1_000_000, 6, symbol="OUSDC") == "1 OUSDC"
    assert format_amount(1234567 * 10**18 + 5 * 10**17, 18) == "1,234,567.5"
    assert format_amount(0, 18) == "0"
    assert format_amount(1, 18) == "<0.000001"
    assert format_amount(123456789, 6, max_decimals=2) == "123.45"  # truncated, not rounded
    assert format_amount(-2_500_000, 6) == "-2.5"
    assert format_amount(5, 0) == "5"


def test_parse_address():
    assert parse_address(ADDR) == ADDR
    assert parse_address(ADDR.lower()) == ADDR
    assert parse_address("0x" + ADDR[2:].upper()) == ADDR
    assert parse_address("  " + ADDR[2:].lower() + " ") == ADDR


@pytest.mark.parametrize(
    "text,needle",
    [
        ("0x1234", "40 hex characters"),
        ("0x" + "g" * 40, "hex characters"),
        ("", "Enter an address"),
        ("0x" + "ab" * 32, "40 hex characters"),
    ],
)
def test_parse_address_rejects(text, needle):
    with pytest.raises(ValidationError) as exc:
        parse_address(text)
    assert needle in str(exc.value)


def test_parse_address_bad_checksum():
    bad = ADDR[:-1] + ("D" if ADDR[-1] == "d" else "d")  # flip the case of the last letter
    with pytest.raises(ValidationError) as exc:
        parse_address(bad)
    assert "checksum does not match" in str(exc.value)
    assert "Copy the address again" in exc.value.hint


def test_short_address():
    assert short_address("0x1234567890abcdef1234567890abcdef1234abcd") == "0x1234...abcd"
    assert short_address("") == ""
    assert short_address("0x12") == "0x12"


KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


def test_parse_private_key_ok():
    assert parse_private_key(KEY) == "0x" + KEY
    assert parse_private_key("0x" + KEY.upper()) == "0x" + KEY
    assert parse_private_key(f"  {KEY}\n") == "0x" + KEY
    assert parse_private_key(bytes.fromhex(KEY)) == "0x" + KEY


@pytest.mark.parametrize(
    "text",
    [
        KEY[:-2],
        KEY + "00",
        KEY[:-1] + "z",
        "0" * 64,
        hex(SECP256K1_N)[2:],
        "ff" * 32,
        "",
        "0x" + "12" * 20,
        "word " * 12,
    ],
)
def test_parse_private_key_rejects_without_echo(text):
    with pytest.raises(ValidationError) as exc:
        parse_private_key(text)
    shown = str(exc.value) + " " + (exc.value.hint or "") + repr(exc.value)
    body = text.strip().lower().removeprefix("0x")
    if len(body) >= 8:
        for i in range(0, len(body) - 8):
            assert body[i : i + 8] not in shown.lower()
