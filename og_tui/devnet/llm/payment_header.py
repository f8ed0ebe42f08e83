"""Parsing the ``X-Payment`` header (x402 v1, scheme ``exact``) strictly.

:func:`parse_payment` turns the header into a :class:`PaymentHeader` or raises
:class:`PaymentInvalid` naming the field that is wrong: it never raises anything else,
whatever the bytes (so a malformed header is a 402, never a 500). Rules:

- at most :data:`MAX_HEADER_CHARS` characters of base64 holding one JSON object, nested
  no deeper than the payment needs (checked before parsing);
- ``from``/``to``: ``0x`` + 40 hex digits; ``value``/``validAfter``/``validBefore``: a
  decimal string (or JSON integer) from 0 to 2^256-1; ``nonce``: ``0x`` + 64 hex digits;
  ``signature``: ``0x`` + 130 hex digits (r, s, v).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from eth_utils import to_canonical_address, to_checksum_address

X402_VERSION = 1
MAX_HEADER_CHARS = 8192
MAX_NESTING = 8
UINT256_MAX = 2**256 - 1

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_UINT = re.compile(r"[0-9]{1,78}")
_NONCE = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_SIGNATURE = re.compile(r"(0x)?[0-9a-fA-F]{130}")


class PaymentInvalid(Exception):
    """A payment that cannot be accepted: ``code`` (machine) and a sentence (``str``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.amount_due: int | None = None  # payment_owed: what a payment must now be for

    @classmethod
    def owing(cls, amount_due: int, code: str, message: str) -> "PaymentInvalid":
        exc = cls(code, message)
        exc.amount_due = amount_due
        return exc


@dataclass(frozen=True)
class PaymentHeader:
    payer: str  # checksummed
    payee: str
    value: int
    valid_after: int
    valid_before: int
    nonce: bytes  # 32
    signature: bytes  # 65

    @property
    def payer_raw(self) -> bytes:
        return to_canonical_address(self.payer)


def _bad(what: str) -> PaymentInvalid:
    return PaymentInvalid("invalid_payload", f"Invalid payment payload: {what}.")


def _nesting(raw: bytes) -> int:
    """Deepest bracket nesting of a JSON text, counted without recursion (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _uint(auth: dict, name: str) -> int:
    raw = auth.get(name)
    if isinstance(raw, bool):
        raise _bad(f"authorization.{name} must be a decimal string, not {raw!r}")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _UINT.fullmatch(raw):
        value = int(raw)
    else:
        shown = repr(raw) if len(repr(raw)) <= 40 else repr(raw)[:40] + "..."
        raise _bad(f"authorization.{name} must be a decimal string of a whole number, not {shown}")
    if not 0 <= value <= UINT256_MAX:
        raise _bad(f"authorization.{name} is outside 0 .. 2^256-1")
    return value


def _address(auth: dict, name: str) -> str:
    raw = auth.get(name)
    if not isinstance(raw, str) or not _ADDRESS.fullmatch(raw):
        raise _bad(f"authorization.{name} must be an address (0x and 40 hex digits)")
    return to_checksum_address(raw)


def _hex(raw: Any, pattern: re.Pattern, what: str) -> bytes:
    if not isinstance(raw, str) or not pattern.fullmatch(raw):
        raise _bad(what)
    return bytes.fromhex(raw[2:] if raw.startswith("0x") else raw)


def parse_payment(header: Any, network: str) -> PaymentHeader:
    """The payment in an ``X-Payment`` header, or :class:`PaymentInvalid`."""
    if not isinstance(header, str) or not header.strip():
        raise PaymentInvalid("invalid_header", "Invalid payment header format: X-Payment is empty.")
    text = header.strip()
    if len(text) > MAX_HEADER_CHARS:
        raise PaymentInvalid(
            "invalid_header", f"Invalid payment header format: X-Payment is longer than {MAX_HEADER_CHARS} characters."
        )
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=False)
    except (binascii.Error, ValueError) as exc:
        raise PaymentInvalid(
            "invalid_header", f"Invalid payment header format: X-Payment must be base64 JSON ({exc})."
        ) from None
    if _nesting(raw) > MAX_NESTING:
        raise PaymentInvalid(
            "invalid_header", f"Invalid payment header format: the JSON is nested deeper than {MAX_NESTING} levels."
        )
    try:
        payment = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        reason = str(exc)[:80]
        raise PaymentInvalid(
            "invalid_header", f"Invalid payment header format: X-Payment must be base64 JSON ({reason})."
        ) from None
    if not isinstance(payment, dict):
        raise PaymentInvalid("invalid_header", "Invalid payment header format: X-Payment must hold a JSON object.")
    version = payment.get("x402Version")
    if isinstance(version, bool) or version != X402_VERSION:
        shown = repr(version)[:40]
        raise PaymentInvalid("invalid_version", f"Unsupported x402 version {shown}; this gateway speaks version 1.")
    scheme, net = payment.get("scheme"), payment.get("network")
    if scheme != "exact" or net != network:
        raise PaymentInvalid(
            "no_matching_requirements",
            f"No matching payment requirements found: payment is scheme {repr(scheme)[:40]} on network "
            f"{repr(net)[:40]}, this gateway accepts scheme 'exact' on {network!r}.",
        )
    payload = payment.get("payload")
    if not isinstance(payload, dict):
        raise _bad("'payload' must be an object with 'signature' and 'authorization'")
    auth = payload.get("authorization")
    if not isinstance(auth, dict):
        raise _bad("'payload.authorization' must be an object")
    return PaymentHeader(
        payer=_address(auth, "from"),
        payee=_address(auth, "to"),
        value=_uint(auth, "value"),
        valid_after=_uint(auth, "validAfter"),
        valid_before=_uint(auth, "validBefore"),
        nonce=_hex(auth.get("nonce"), _NONCE, "authorization.nonce must be 0x and 64 hex digits"),
        signature=_hex(
            payload.get("signature"), _SIGNATURE, "payload.signature must be 0x and 130 hex digits (r, s, v)"
        ),
    )
