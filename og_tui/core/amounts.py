"""Parsing and formatting of user-entered amounts, addresses and private keys.

All parsers raise :class:`~og_tui.core.errors.ValidationError` with a sentence a user
can act on. Key parsing never echoes the key (not even a fragment) in an error.
eth_utils is imported lazily (only checksumming needs it).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext
from typing import Optional

from .errors import ValidationError

__all__ = [
    "parse_amount",
    "format_amount",
    "parse_address",
    "short_address",
    "parse_private_key",
    "MAX_UINT256",
    "SECP256K1_N",
]

MAX_UINT256 = 2**256 - 1
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

_NUMBER_RE = re.compile(r"^\+?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_HEX_RE = re.compile(r"^[0-9a-fA-F]*$")


def _unit_name(symbol: Optional[str]) -> str:
    return symbol or "This token"


def parse_amount(
    text: object,
    decimals: int,
    *,
    allow_zero: bool = False,
    symbol: Optional[str] = None,
    field: Optional[str] = "amount",
) -> int:
    """Parse a human amount (``"1.5"``, ``"1_000"``, ``" 2 "``) into atomic units.

    ``decimals`` is the token's number of decimals (6 for OUSDC, 18 for the native
    coin). Exponent notation is accepted only when it denotes an exact amount.
    """
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str):
        raise ValidationError("Enter an amount as a number, e.g. 1.5.", field=field)
    raw = text.strip()
    if not raw:
        raise ValidationError("Enter an amount.", field=field)
    if raw.startswith("-"):
        raise ValidationError("The amount must be positive.", field=field)
    if "," in raw:
        raise ValidationError(
            f"Use a dot for decimals and no commas: {raw!r} is ambiguous.",
            field=field,
            hint="Write 1000.5 or 1_000.5.",
        )
    # Underscores group digits (1_000) like in Python; only between digits.
    if "_" in raw:
        if re.search(r"(^|[^0-9])_|_($|[^0-9])", raw):
            raise ValidationError(f"{raw!r} is not a number.", field=field)
        raw = raw.replace("_", "")
    if not _NUMBER_RE.match(raw):
        raise ValidationError(f"{text.strip()!r} is not a number.", field=field, hint="Example: 1.5")
    has_exponent = "e" in raw or "E" in raw
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the regex already filtered
        raise ValidationError(f"{text.strip()!r} is not a number.", field=field) from None
    if not value.is_finite():  # pragma: no cover - the regex already filtered
        raise ValidationError(f"{text.strip()!r} is not a number.", field=field)

    if has_exponent:
        normalized = value.normalize()
        places = max(0, -normalized.as_tuple().exponent)  # type: ignore[operator]
    else:
        mantissa = raw.split(".", 1)
        frac = mantissa[1] if len(mantissa) == 2 else ""
        places = len(frac.rstrip("0"))
    if places > decimals:
        shown = text.strip()
        raise ValidationError(
            f"{_unit_name(symbol)} has {decimals} decimals; {shown} has {places}.",
            field=field,
            hint=f"Round the amount to at most {decimals} decimal places.",
        )
    with localcontext() as ctx:
        ctx.prec = 200  # exact: the default 28 digits would round large amounts
        units = int(value.scaleb(decimals))
    if units == 0 and not allow_zero:
        raise ValidationError("The amount must be greater than zero.", field=field)
    if units > MAX_UINT256:
        raise ValidationError("The amount is too large.", field=field)
    return units


def format_amount(
    units: int,
    decimals: int,
    max_decimals: int = 6,
    symbol: Optional[str] = None,
) -> str:
    """Format atomic ``units`` as a human amount: ``1,234.5 OUSDC``.

    Trailing zeros are trimmed and at most ``max_decimals`` places are shown
    (truncated, never rounded up, so a balance is never overstated). A non-zero
    amount too small to show becomes ``<0.000001``.
    """
    units = int(units)
    negative = units < 0
    units = abs(units)
    whole, frac = divmod(units, 10**decimals) if decimals > 0 else (units, 0)
    shown = min(max_decimals, decimals)
    frac_text = ""
    if decimals > 0 and shown > 0:
        frac_digits = str(frac).rjust(decimals, "0")[:shown].rstrip("0")
        frac_text = frac_digits
    if whole == 0 and not frac_text and units != 0:
        tiny = "0." + "0" * (shown - 1) + "1" if shown > 0 else "1"
        body = f"<{tiny}"
    else:
        body = f"{whole:,}"
        if frac_text:
            body += "." + frac_text
    if negative and units != 0:
        body = "-" + body
    return f"{body} {symbol}" if symbol else body


def _strip_0x(text: str) -> str:
    return text[2:] if text[:2] in ("0x", "0X") else text


def parse_address(text: object, *, field: Optional[str] = "address") -> str:
    """Validate an Ethereum address and return it checksummed (EIP-55).

    All-lowercase and all-uppercase hex are accepted; mixed case must match its checksum.
    """
    if not isinstance(text, str):
        raise ValidationError("Enter an address (0x followed by 40 hex characters).", field=field)
    raw = text.strip()
    if not raw:
        raise ValidationError("Enter an address.", field=field)
    body = _strip_0x(raw)
    if not _HEX_RE.match(body):
        raise ValidationError(
            "An address may only contain hex characters (0-9, a-f) after 0x.",
            field=field,
        )
    if len(body) != 40:
        hint = None
        if len(body) == 64:
            hint = "That looks like a transaction hash or a private key, not an address."
        raise ValidationError(
            f"An address is 40 hex characters after 0x; this one has {len(body)}.",
            field=field,
            hint=hint or "Copy the whole address again.",
        )
    from eth_utils import to_checksum_address

    checksummed = to_checksum_address("0x" + body)
    is_mixed = body != body.lower() and body != body.upper()
    if is_mixed and checksummed[2:] != body:
        raise ValidationError(
            "The address checksum does not match (a character may have been mistyped).",
            field=field,
            hint="Copy the address again from its source.",
        )
    return checksummed


def short_address(address: Optional[str], head: int = 4, tail: int = 4, sep: str = "...") -> str:
    """``0x1234abcd...`` -> ``0x1234...abcd`` (head/tail hex chars after 0x)."""
    if not address:
        return ""
    addr = str(address)
    prefix = "0x" if addr[:2] in ("0x", "0X") else ""
    body = addr[len(prefix) :]
    if len(body) <= head + tail + len(sep):
        return addr
    return f"{prefix}{body[:head]}{sep}{body[-tail:]}"


def parse_private_key(text: object, *, field: Optional[str] = "private_key") -> str:
    """Validate a secp256k1 private key; return it as ``0x`` + 64 lowercase hex.

    Error messages describe the problem without repeating any part of the key.
    """
    if isinstance(text, (bytes, bytearray)):
        if len(text) != 32:
            raise ValidationError(f"A private key is 32 bytes; this one has {len(text)}.", field=field)
        body = bytes(text).hex()
    elif isinstance(text, str):
        body = _strip_0x(text.strip())
    else:
        raise ValidationError("Enter a private key (64 hex characters).", field=field)
    if not body:
        raise ValidationError("Enter a private key (64 hex characters).", field=field)
    if not _HEX_RE.match(body):
        raise ValidationError(
            "A private key may only contain hex characters (0-9, a-f).",
            field=field,
            hint="Paste the raw key (64 hex characters, with or without 0x), not a seed phrase.",
        )
    if len(body) != 64:
        hint = "Copy the whole key again."
        if len(body) == 40:
            hint = "That looks like an address; a private key is longer (64 hex characters)."
        raise ValidationError(
            f"A private key is 64 hex characters; this one has {len(body)}.",
            field=field,
            hint=hint,
        )
    value = int(body, 16)
    if value == 0:
        raise ValidationError("A private key cannot be zero.", field=field)
    if value >= SECP256K1_N:
        raise ValidationError("This is not a valid secp256k1 private key (it is out of range).", field=field)
    return "0x" + body.lower()
