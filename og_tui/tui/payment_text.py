"""How the app names an x402 payment: its token, scheme and settlement mode, for either
generation (x402 v1: OUSDC through EIP-3009; x402 v2: OPG through Permit2).

Plain functions of a profile, a reply's metadata (a dict, as the chat store keeps it) or a
payments row; the Chat screen, its parameters pane and Activity use them.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from og_tui.core import constants

__all__ = [
    "V1_SETTLEMENTS",
    "V2_SETTLEMENTS",
    "generation",
    "cap_token",
    "settlement_choices",
    "default_settlement",
    "settlement_in",
    "reply_payment",
    "payment_token",
    "is_opg",
    "payment_kind",
]

V1_SETTLEMENTS = ("settle-batch", "settle", "settle-metadata")
V2_SETTLEMENTS = ("batch", "private")  # X-SETTLEMENT-TYPE of x402 v2


def generation(profile: Any) -> str:
    """The x402 generation the app's chat controls follow: "2" for a profile that pays x402 v2
    only, else "1" (``auto`` keeps the v1 names; the 402 picks v2 when it offers it)."""
    return "2" if str(getattr(profile, "x402_version", "1") or "1").lower() == "2" else "1"


def cap_token(profile: Any) -> tuple[str, int]:
    """(symbol, decimals) of the token the chat's per-request spend cap is in."""
    if generation(profile) == "2":
        return constants.OPG_NAME, constants.OPG_DECIMALS
    return profile.payment_token_symbol, profile.payment_token_decimals


def settlement_choices(profile: Any) -> tuple[str, ...]:
    return V2_SETTLEMENTS if generation(profile) == "2" else V1_SETTLEMENTS


def default_settlement(profile: Any, wanted: str | None = None) -> str:
    """``wanted`` when the profile's generation offers it, else its name there (settle ->
    private, settle-batch -> batch and back), else the generation's first choice."""
    return settlement_in(generation(profile), wanted)


def settlement_in(gen: str, wanted: str | None) -> str:
    """:func:`default_settlement` for a generation ("1" or "2")."""
    from og_tui.core.x402_v2 import v1_mode, v2_mode

    choices = V2_SETTLEMENTS if gen == "2" else V1_SETTLEMENTS
    if wanted in choices:
        return str(wanted)
    if not wanted:
        return choices[0]
    mapped = v2_mode(wanted) if gen == "2" else v1_mode(wanted)
    return mapped if mapped in choices else choices[0]


def reply_payment(meta: dict[str, Any]) -> str | None:
    """The payment part of a reply's footer when it was paid over x402 v2, e.g.
    ``0.00003 OPG · x402 v2 upto · private · settled 0x12ab…``; None otherwise."""
    if str(meta.get("x402_version") or "") != "2":
        return None
    from og_tui.core.x402_v2 import describe_payment
    from og_tui.tui.format import fmt_units

    cost = meta.get("cost") or 0
    cost_text = meta.get("cost_text") or ""
    if not cost_text and str(cost).isdigit():  # (x402 v2 pays in OPG)
        cost_text = f"{fmt_units(int(cost), constants.OPG_DECIMALS, 6)} {constants.OPG_NAME}"
    return describe_payment(
        SimpleNamespace(
            x402_version=2,
            cost=cost,
            cost_text=cost_text,
            payment_scheme=meta.get("payment_scheme"),
            settlement_mode=meta.get("settlement_mode"),
            settlement_status=meta.get("settlement_status"),
            settlement_tx=meta.get("settlement_tx"),
            settlement_blob=meta.get("settlement_blob"),
        )
    )


def is_opg(token: Any, profile: Any) -> bool:
    """``token`` (an address) is OPG: the devnet's, Base's or the profile's ``opg_token``."""
    opg = {constants.OPG_DEVNET_ADDRESS.lower(), constants.OPG_PUBLIC_ADDRESS.lower()}
    opg.add(str(getattr(profile, "opg_token", "") or "").lower())
    return bool(token) and str(token).lower() in opg


def _is_v2(row: Any, profile: Any) -> bool:
    detail = getattr(row, "detail", None) or {}
    return str(detail.get("x402_version") or "") == "2" or is_opg(getattr(row, "token", None), profile)


def payment_token(row: Any, profile: Any) -> tuple[str, int]:
    """(symbol, decimals) a payments row was paid in: OPG (18) for x402 v2, else the profile's token."""
    if _is_v2(row, profile):
        return constants.OPG_NAME, constants.OPG_DECIMALS
    return profile.payment_token_symbol, profile.payment_token_decimals


def payment_kind(row: Any, profile: Any) -> str:
    """``x402 v2 upto · private`` / ``x402 v1 exact · settle-batch`` for a payments row."""
    detail = getattr(row, "detail", None) or {}
    if _is_v2(row, profile):
        head = f"x402 v2 {detail.get('scheme') or ''}".rstrip()
    else:
        head = "x402 v1 exact"
    mode = getattr(row, "mode", None)
    return f"{head} · {mode}" if mode else head
