"""Small display helpers shared by screens (pure functions, no widgets)."""

from __future__ import annotations

import time
from decimal import Decimal


def fmt_units(units: int | None, decimals: int, places: int = 4) -> str:
    """Format atomic units for display, trimmed: 1500000, 6 -> '1.5'."""
    if units is None:
        return "–"
    value = Decimal(units) / (Decimal(10) ** decimals)
    quant = Decimal(1).scaleb(-places)
    shown = value.quantize(quant) if value >= quant or value == 0 else value
    text = f"{shown:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if value != 0 and text in ("0", "-0"):
        return f"<{quant}"
    return text


def short_hash(value: str | None, head: int = 10, tail: int = 6) -> str:
    if not value:
        return "–"
    if len(value) <= head + tail + 1:
        return value
    return f"{value[:head]}…{value[-tail:]}"


def fmt_time(ts: float | None, short: bool = False) -> str:
    if not ts:
        return "–"
    return time.strftime("%m-%d %H:%M" if short else "%Y-%m-%d %H:%M:%S", time.localtime(ts))


def short_address(address: str) -> str:
    """'0x12345678…abcdef': a contract address in a narrow pane."""
    return f"{address[:8]}…{address[-6:]}"
