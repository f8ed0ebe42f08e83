"""x402 v2 on the wire and on chain: the ``PAYMENT-SIGNATURE`` parser and the v2 settlement registry.

:func:`decode_signature_header` turns the header into its JSON or raises
:class:`~og_tui.devnet.llm.payment_header.PaymentInvalid` (never anything else, whatever the
bytes: a malformed header is a 402, never a 500); ``_uint``/``_addr`` read one field of the
payload with a message naming it.

:class:`V2Registry` is the native contract at ``X402_V2_REGISTRY_ADDRESS`` (only the devnet
facilitator may call it, as for v1): each payment is either an EIP-3009
``transferWithAuthorization`` on OPG or a ``settle`` call of an x402 Permit2 proxy, made as a
real sub-call in the EVM.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import to_canonical_address, to_checksum_address

from og_tui.core import constants
from og_tui.devnet.llm.payment_header import _ADDRESS, MAX_HEADER_CHARS, MAX_NESTING, PaymentInvalid, _nesting
from og_tui.devnet.llm.payments_batch import _b32
from og_tui.devnet.llm.registry import AUTH_TYPES, TWA_SELECTOR, SettlementRegistry
from og_tui.devnet.native import NativeCall, NativeRevert, selector
from og_tui.devnet.permit2 import SIG_EXACT_SETTLE, SIG_UPTO_SETTLE, decode_settle_call, subcall

__all__ = ["V2Registry", "blob_id", "decode_signature_header", "PROXY_CALL_GAS", "OPG", "PERMIT2"]

PROXY_CALL_GAS = 260_000
_UINT = re.compile(r"[0-9]{1,78}")
_SIG = re.compile(r"0x([0-9a-fA-F]{128}|[0-9a-fA-F]{130})")

OPG = to_canonical_address(constants.OPG_DEVNET_ADDRESS)
PERMIT2 = to_canonical_address(constants.PERMIT2_ADDRESS)
EXACT_PROXY = to_canonical_address(constants.X402_EXACT_PERMIT2_PROXY_ADDRESS)
UPTO_PROXY = to_canonical_address(constants.X402_UPTO_PERMIT2_PROXY_ADDRESS)


def blob_id(processing_hash: str) -> str:
    """The settlement record's blob id (base64url of the 32-byte processing hash, as Walrus ids look)."""
    return base64.urlsafe_b64encode(_b32(processing_hash)).decode().rstrip("=")


def _b64json(obj: Any) -> str:
    return base64.b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode()


class V2Registry(SettlementRegistry):
    """The x402 v2 settlement registry: settles OPG payments through EIP-3009 or a Permit2 proxy."""

    def _transfer(self, call: NativeCall, transfer_call: bytes) -> tuple[bool, str, tuple]:
        sel = transfer_call[:4]
        try:
            if sel == TWA_SELECTOR:
                target = OPG
                args = tuple(abi_decode(AUTH_TYPES, transfer_call[4:]))
            elif sel in (selector(SIG_EXACT_SETTLE), selector(SIG_UPTO_SETTLE)):
                target = EXACT_PROXY if sel == selector(SIG_EXACT_SETTLE) else UPTO_PROXY
                _scheme, f = decode_settle_call(transfer_call)
                args = (f["owner"], f["to"], f["amount"], 0, 0, f["nonce"].to_bytes(32, "big"), b"")
            else:
                raise NativeRevert("x402 v2 registry: not an OPG transfer or Permit2 proxy settle call")
        except NativeRevert:
            raise
        except Exception:
            raise NativeRevert("x402 v2 registry: malformed settlement call") from None
        ok, out = subcall(call, target, transfer_call, PROXY_CALL_GAS)
        if not ok:
            from og_tui.devnet.chain_errors import decode_revert_reason

            return False, decode_revert_reason(out) or "transfer failed", args
        return True, "", args


def _field(obj: Any, path: str) -> Any:
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            raise PaymentInvalid("invalid_payload", f"Invalid payment payload: {path} is missing.")
        cur = cur.get(part)
    return cur


def _uint(obj: Any, path: str) -> int:
    raw = _field(obj, path)
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and _UINT.fullmatch(raw):
        value = int(raw)
    else:
        raise PaymentInvalid("invalid_payload", f"Invalid payment payload: {path} must be a decimal string.")
    if value >= 2**256:
        raise PaymentInvalid("invalid_payload", f"Invalid payment payload: {path} is outside 0 .. 2^256-1.")
    return value


def _addr(obj: Any, path: str) -> str:
    raw = _field(obj, path)
    if not isinstance(raw, str) or not _ADDRESS.fullmatch(raw):
        raise PaymentInvalid(
            "invalid_payload", f"Invalid payment payload: {path} must be an address (0x and 40 hex digits)."
        )
    return to_checksum_address(raw)


def decode_signature_header(header: Any) -> dict:
    """The JSON of a ``PAYMENT-SIGNATURE`` header, or :class:`PaymentInvalid` (never anything else)."""
    if not isinstance(header, str) or not header.strip():
        raise PaymentInvalid("invalid_header", "Invalid payment header format: PAYMENT-SIGNATURE is empty.")
    text = header.strip()
    if len(text) > MAX_HEADER_CHARS:
        raise PaymentInvalid(
            "invalid_header",
            f"Invalid payment header format: PAYMENT-SIGNATURE is longer than {MAX_HEADER_CHARS} characters.",
        )
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise PaymentInvalid(
            "invalid_header", "Invalid payment header format: PAYMENT-SIGNATURE must be base64 JSON."
        ) from None
    if _nesting(raw) > MAX_NESTING:
        raise PaymentInvalid(
            "invalid_header", f"Invalid payment header format: the JSON is nested deeper than {MAX_NESTING} levels."
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise PaymentInvalid(
            "invalid_header", "Invalid payment header format: PAYMENT-SIGNATURE must be base64 JSON."
        ) from None
    if not isinstance(data, dict):
        raise PaymentInvalid(
            "invalid_header", "Invalid payment header format: PAYMENT-SIGNATURE must hold a JSON object."
        )
    if data.get("x402Version") != 2 or isinstance(data.get("x402Version"), bool):
        raise PaymentInvalid(
            "invalid_version",
            f"Unsupported x402 version {str(data.get('x402Version'))[:20]!r} in PAYMENT-SIGNATURE; send version 2 (or X-Payment for version 1).",
        )
    if not isinstance(data.get("accepted"), dict) or not isinstance(data.get("payload"), dict):
        raise PaymentInvalid("invalid_payload", "Invalid payment payload: 'accepted' and 'payload' must be objects.")
    return data
