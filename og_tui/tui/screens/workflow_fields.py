"""The fields of the workflow dialogs, checked as plain text: the candle types, which
widget each core ``ValidationError.field`` points at, a schedule's frequency and how long
it runs ('60', '5m' / '2', '30m', an end time), and a signature in one line.

No widgets: the dialogs (``workflow_dialogs.py``, ``workflow_create.py``) and the
Workflows screen's operations (``workflow_ops.py``) call these.
"""

from __future__ import annotations

import re
import time
from typing import Any

from og_tui.tui.screens.modals import FieldError

CANDLE_TYPES = ("OPEN", "HIGH", "LOW", "CLOSE", "VOLUME")
DEFAULT_TYPES = ("OPEN", "HIGH", "LOW", "CLOSE")

# core ValidationError.field -> the widget to fix
FIELD_IDS = {
    "base": "wf-base",
    "quote": "wf-quote",
    "pair": "wf-base",
    "query": "wf-base",
    "total_candles": "wf-candles",
    "candle_duration_in_mins": "wf-minutes",
    "order": "wf-order",
    "candle_types": "wf-types",
    "input_name": "wf-input",
    "model": "wf-model",
    "frequency": "wf-freq",
    "duration_hours": "wf-until",
    "end_time": "wf-until",
}

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_frequency(text: str) -> Any:
    """'60', '60s', '5m', '1h' -> seconds (int); anything else is returned for core to refuse."""
    raw = text.strip().lower().replace(" ", "")
    match = re.fullmatch(r"(-?\d+)(s|sec|m|min|h|d)?", raw)
    if not match:
        return raw or None
    return int(match.group(1)) * _UNITS[match.group(2) or "s"]


def parse_until(text: str, now: float | None = None) -> int:
    """How long to keep running: '2' (hours), '30m', '1.5h', '2d', or an end time
    'YYYY-MM-DD HH:MM' / 'HH:MM' (today, local time). Returns the end as unix seconds;
    a ValueError says what is wrong (core refuses an end in the past)."""
    now = time.time() if now is None else now
    raw = text.strip().lower()
    if not raw:
        raise ValueError("Say for how long: hours (e.g. 2), 30m, 1d, or an end time YYYY-MM-DD HH:MM.")
    match = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*(m|min|h|d)?", raw)
    if match:
        amount = float(match.group(1)) * _UNITS[match.group(2) or "h"]
        return int(now + amount)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"):
        try:
            return int(time.mktime(time.strptime(raw, fmt)))
        except ValueError:
            pass
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
    if match:
        day = time.localtime(now)
        end = time.mktime((day.tm_year, day.tm_mon, day.tm_mday, int(match.group(1)), int(match.group(2)), 0, 0, 0, -1))
        return int(end)
    raise ValueError(f"{text.strip()!r} is neither a duration (2, 30m, 1.5h, 1d) nor an end time (YYYY-MM-DD HH:MM).")


def check_schedule_fields(freq_text: str, until_text: str) -> tuple[int, int]:
    """(frequency s, end time) or FieldError naming the field."""
    from og_tui.core.alpha import check_schedule
    from og_tui.core.errors import ValidationError

    frequency = parse_frequency(freq_text)
    try:
        end_time = parse_until(until_text)
    except ValueError as exc:
        raise FieldError(str(exc), "wf-until") from None
    try:
        end_time, frequency = check_schedule(frequency=frequency, end_time=end_time)
    except ValidationError as exc:
        raise FieldError(str(exc), FIELD_IDS.get(getattr(exc, "field", "") or "", "wf-freq")) from None
    return frequency, end_time


def describe_signature(signature: dict[str, Any] | None) -> str:
    """'in open_high_low_close float32 [1, 10, 4] → out regression_output [1, 1]'."""
    if not signature:
        return "no signature"

    def part(items: list[dict[str, Any]], with_dtype: bool) -> str:
        shown = []
        for item in items:
            shape = item.get("shape")
            dims = "?" if shape is None else "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"
            dtype = f" {item.get('dtype')}" if with_dtype and item.get("dtype") else ""
            shown.append(f"{item.get('name')}{dtype} {dims}")
        return ", ".join(shown) or "–"

    return f"in {part(signature.get('inputs') or [], True)} → out {part(signature.get('outputs') or [], False)}"
