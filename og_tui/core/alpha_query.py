"""Workflow input checks: candle queries, their fit to a model's input, and schedules.

Pure functions (no network): :func:`check_query` normalizes a query,
:func:`check_query_fits` checks it against a model's input signature, and
:func:`check_schedule` turns a frequency and a duration or end time into the
``(end_time, frequency)`` the scheduler takes. Every refusal is a
:class:`og_tui.core.errors.ValidationError` naming the field.
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, List, Optional

from og_tui.core.errors import ValidationError
from og_tui.core.types import CandleOrder, CandleType, HistoricalInputQuery, SchedulerParams

__all__ = [
    "MAX_CANDLES",
    "MAX_DURATION_MINS",
    "check_query",
    "query_from_dict",
    "query_to_dict",
    "query_input_shape",
    "check_query_fits",
    "check_schedule",
]

MAX_CANDLES = 10_000
MAX_DURATION_MINS = 366 * 24 * 60


def _enum_list(values: Iterable[Any]) -> List[CandleType]:
    out = []
    for v in values:
        if isinstance(v, CandleType):
            out.append(v)
            continue
        if isinstance(v, str):
            key = v.strip().upper()
            if key in CandleType.__members__:
                out.append(CandleType[key])
                continue
            if key.isdigit():
                v = int(key)
            else:
                raise ValidationError(
                    f"Unknown candle type {v!r}: use HIGH, LOW, OPEN, CLOSE or VOLUME.", field="candle_types"
                )
        try:
            out.append(CandleType(int(v)))
        except (ValueError, TypeError):
            raise ValidationError(
                f"Unknown candle type {v!r}: use HIGH, LOW, OPEN, CLOSE or VOLUME (0-4).", field="candle_types"
            ) from None
    return out


def check_query(query: Any) -> HistoricalInputQuery:
    """Validate a query (a HistoricalInputQuery or a dict) and return it normalized.

    Pair symbols are upper-cased; counts must be positive whole numbers within range;
    ``order`` is ASCENDING/DESCENDING; at least one candle type.
    """
    if isinstance(query, dict):
        query = query_from_dict(query)
    if not isinstance(query, HistoricalInputQuery):
        raise ValidationError("The input query must be a HistoricalInputQuery.", field="query")
    base = str(query.base or "").strip().upper()
    quote = str(query.quote or "").strip().upper()
    for name, sym in (("base", base), ("quote", quote)):
        if not sym:
            raise ValidationError(f"The {name} asset is empty (e.g. ETH/USDT: base ETH, quote USDT).", field=name)
        if not sym.isalnum() or len(sym) > 16:
            raise ValidationError(f"The {name} asset {sym!r} is not a ticker symbol (letters and digits).", field=name)

    def whole(name: str, value: Any, hi: int) -> int:
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            v = int(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{name} must be a whole number, not {value!r}.", field=name) from None
        if v <= 0:
            raise ValidationError(f"{name} must be positive, not {v}.", field=name)
        if v > hi:
            raise ValidationError(f"{name} must be at most {hi}, not {v}.", field=name)
        return v

    total = whole("total_candles", query.total_candles, MAX_CANDLES)
    duration = whole("candle_duration_in_mins", query.candle_duration_in_mins, MAX_DURATION_MINS)
    try:
        order = (
            query.order
            if isinstance(query.order, CandleOrder)
            else (
                CandleOrder[query.order.strip().upper()]
                if isinstance(query.order, str)
                else CandleOrder(int(query.order))
            )
        )
    except (KeyError, ValueError, TypeError):
        raise ValidationError(f"order must be ASCENDING or DESCENDING, not {query.order!r}.", field="order") from None
    types = _enum_list(query.candle_types or [])
    if not types:
        raise ValidationError("Pick at least one candle type (HIGH, LOW, OPEN, CLOSE, VOLUME).", field="candle_types")
    return HistoricalInputQuery(base, quote, total, duration, order, types)


def query_from_dict(data: Dict[str, Any]) -> HistoricalInputQuery:
    """``{"base", "quote", "total_candles", "candle_duration_in_mins", "order", "candle_types"}`` -> query.

    ``order`` and ``candle_types`` may be names ("ASCENDING", ["OPEN", "CLOSE"]) or numbers.
    """
    missing = [k for k in ("base", "quote", "total_candles", "candle_duration_in_mins") if k not in data]
    if missing:
        raise ValidationError(f"The query is missing {', '.join(missing)}.", field=missing[0])
    return HistoricalInputQuery(
        base=data["base"],
        quote=data["quote"],
        total_candles=data["total_candles"],
        candle_duration_in_mins=data["candle_duration_in_mins"],
        order=data.get("order", CandleOrder.ASCENDING),
        candle_types=list(data.get("candle_types") or []),
    )


def query_to_dict(query: HistoricalInputQuery) -> dict[str, Any]:
    return {
        "base": query.base,
        "quote": query.quote,
        "total_candles": int(query.total_candles),
        "candle_duration_in_mins": int(query.candle_duration_in_mins),
        "order": CandleOrder(int(query.order)).name,
        "candle_types": [CandleType(int(t)).name for t in query.candle_types],
    }


def query_input_shape(query: HistoricalInputQuery) -> List[int]:
    """The tensor the price feed builds for ``query``: ``[1, total_candles, len(candle_types)]``."""
    return [1, int(query.total_candles), len(query.candle_types)]


_FLOAT_DTYPES = (
    "float32",
    "float64",
    "float16",
    "double",
    "float",
    "tensor(float)",
    "tensor(double)",
    "tensor(float16)",
)


def check_query_fits(signature: Dict[str, Any], input_name: str, query: HistoricalInputQuery) -> None:
    """Raise ValidationError unless ``input_name`` of the model takes the query's tensor.

    ``signature`` is the hub's ``{"inputs": [{"name", "dtype", "shape"}], ...}``; a None
    dimension (dynamic) accepts any size.
    """
    inputs = list((signature or {}).get("inputs") or [])
    if not inputs:
        raise ValidationError(
            "The model's signature lists no inputs; cannot check the query against it.", field="model"
        )
    names = [str(i.get("name")) for i in inputs]
    if not input_name:
        raise ValidationError(
            f"Give the model's input tensor name (the model takes: {', '.join(names)}).", field="input_name"
        )
    entry = next((i for i in inputs if i.get("name") == input_name), None)
    if entry is None:
        raise ValidationError(
            f"The model has no input named {input_name!r}; its inputs are: {', '.join(names)}.", field="input_name"
        )
    others = [n for n in names if n != input_name]
    if others:
        raise ValidationError(
            f"The model needs other inputs too ({', '.join(others)}); a workflow feeds only {input_name!r}.",
            field="model",
        )
    dtype = str(entry.get("dtype") or "")
    if dtype and dtype not in _FLOAT_DTYPES:
        raise ValidationError(f"Input {input_name!r} takes {dtype}; price candles are floats.", field="model")
    want = query_input_shape(query)
    shape = entry.get("shape")
    if shape is None:
        return  # unknown rank: the network decides
    shown = "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"
    if len(shape) != 3:
        raise ValidationError(
            f"Input {input_name!r} expects shape {shown}, but a workflow query gives a 3-D tensor "
            f"[1, total_candles, candle types] = {want}.",
            field="total_candles",
        )
    labels = ("batch", "total_candles", "number of candle types")
    for i, (have, need) in enumerate(zip(shape, want)):
        if have is not None and int(have) >= 0 and int(have) != need:
            hint = ""
            if i == 1:
                hint = f" Set total_candles to {have}."
            elif i == 2:
                hint = f" Pick exactly {have} candle types."
            raise ValidationError(
                f"The model's input {input_name!r} expects shape {shown}, but the query gives {want} "
                f"({labels[i]} {need} instead of {have}).{hint}",
                field="candle_types" if i == 2 else "total_candles",
            )


def check_schedule(
    params: Optional[SchedulerParams] = None,
    *,
    frequency: Any = None,
    end_time: Any = None,
    now: Optional[float] = None,
) -> tuple[int, int]:
    """``(end_time, frequency)`` for registerTask, or ValidationError.

    From ``SchedulerParams(frequency, duration_hours)`` (end = now + duration) or from an
    explicit ``frequency`` and ``end_time`` (unix seconds).
    """
    now = time.time() if now is None else now
    if params is not None:
        frequency = params.frequency
        try:
            hours = float(params.duration_hours)
        except (TypeError, ValueError):
            raise ValidationError(
                f"duration_hours must be a number, not {params.duration_hours!r}.", field="duration_hours"
            ) from None
        if hours <= 0:
            raise ValidationError(
                f"duration_hours must be positive, not {params.duration_hours}: the end time would be in the past.",
                field="duration_hours",
            )
        end_time = int(now) + int(round(hours * 3600))
    try:
        if isinstance(frequency, bool) or (isinstance(frequency, float) and not frequency.is_integer()):
            raise ValueError
        freq = int(frequency)
    except (TypeError, ValueError):
        raise ValidationError(
            f"frequency must be a whole number of seconds, not {frequency!r}.", field="frequency"
        ) from None
    if freq <= 0:
        raise ValidationError(f"frequency must be a positive number of seconds, not {freq}.", field="frequency")
    try:
        end = int(end_time)
    except (TypeError, ValueError):
        raise ValidationError(f"end time must be a unix timestamp, not {end_time!r}.", field="end_time") from None
    if end <= int(now):
        raise ValidationError(
            f"The end time {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(end))} is in the past.",
            field="end_time",
        )
    return end, freq
