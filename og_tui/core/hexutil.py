"""Hex and small ABI helpers shared by the chain and workflow clients.

JSON-RPC quantities and data, 4-byte selectors, ABI ``string`` words and revert
reasons. Only the standard library at import time; ``eth_utils`` is imported inside
the functions that need keccak or a checksum.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Optional

__all__ = [
    "StatusCallback",
    "notify",
    "quantity",
    "to_hex",
    "data_hex",
    "hex_bytes",
    "selector_hex",
    "word_address",
    "abi_string",
    "decode_revert_reason",
    "ERROR_SELECTOR",
    "PANIC_SELECTOR",
    "PANIC_CODES",
]

#: ``on_status(stage, info)``: how the chain and workflow clients report progress
StatusCallback = Callable[[str, dict[str, Any]], None]

ERROR_SELECTOR = "08c379a0"  # Error(string)
PANIC_SELECTOR = "4e487b71"  # Panic(uint256)

PANIC_CODES = {
    0x00: "generic panic",
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "corrupt storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialized function",
}


def notify(on_status: Optional[StatusCallback], stage: str, info: dict[str, Any]) -> None:
    """Call ``on_status(stage, info)`` when a callback was given."""
    if on_status is not None:
        on_status(stage, info)


def quantity(value: Any) -> int:
    """A JSON-RPC quantity (0x-hex string, decimal string, int or None) as an int."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text, 16) if text.startswith(("0x", "0X")) else int(text)


def to_hex(value: int) -> str:
    """An int as a JSON-RPC quantity (``0x``-prefixed, no leading zeros)."""
    return hex(int(value))


def data_hex(data: Any) -> str:
    """Bytes or hex text (with or without ``0x``) as ``0x``-prefixed hex; empty is ``0x``."""
    if data is None or data == b"" or data == "":
        return "0x"
    if isinstance(data, (bytes, bytearray)):
        return "0x" + bytes(data).hex()
    text = str(data)
    return text if text.startswith("0x") else "0x" + text


def hex_bytes(result: Any) -> bytes:
    """The bytes of a hex result (``None`` and ``0x`` are empty)."""
    text = str(result or "0x")
    return bytes.fromhex(text[2:] if text.startswith(("0x", "0X")) else text)


@lru_cache(maxsize=None)
def selector_hex(signature: str) -> str:
    """The 4-byte selector of a canonical signature, as 8 hex digits without ``0x``."""
    from eth_utils.crypto import keccak

    return keccak(text=signature)[:4].hex()


def word_address(address: str, what: str = "address") -> str:
    """An address as one 32-byte ABI word (64 hex digits, no ``0x``), checked first."""
    from og_tui.core.amounts import parse_address

    return parse_address(address, field=what)[2:].lower().rjust(64, "0")


def abi_string(data: bytes) -> str:
    """Decode an ABI-encoded dynamic ``string`` (offset, length, bytes)."""
    if len(data) < 64:
        # Some old tokens return bytes32 for name/symbol.
        return data.rstrip(b"\x00").decode("utf-8", "replace")
    offset = int.from_bytes(data[:32], "big")
    if offset + 32 > len(data):
        return data[:32].rstrip(b"\x00").decode("utf-8", "replace")
    length = int.from_bytes(data[offset : offset + 32], "big")
    return data[offset + 32 : offset + 32 + length].decode("utf-8", "replace")


def decode_revert_reason(data: Any) -> str:
    """Human text for revert data: ``Error(string)``, ``Panic(uint256)`` or a custom error."""
    text = data_hex(data)[2:]
    if not text:
        return "no reason given"
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return str(data)
    selector, body = raw[:4].hex(), raw[4:]
    if selector == ERROR_SELECTOR:
        try:
            return abi_string(body) or "no reason given"
        except Exception:  # noqa: BLE001 - malformed reason; say what we have
            return "malformed Error(string) data"
    if selector == PANIC_SELECTOR and len(body) >= 32:
        code = int.from_bytes(body[:32], "big")
        return f"panic 0x{code:02x}: {PANIC_CODES.get(code, 'unknown panic code')}"
    return f"custom error 0x{selector}" if len(raw) >= 4 else "no reason given"
