"""A deterministic synthetic market: OHLCV candles for a few pairs at any duration.

Each pair has a seeded price path ``p(t)`` (t in unix seconds): its log price is a sum
of value-noise layers (lattice values hashed from the pair seed, smoothly interpolated)
at scales from one minute to a month, so it wiggles like a market at every zoom level
and every duration agrees with every other one (a 1 h candle spans the same path as
its sixty 1 min candles). Nothing is random at run time: the same query at the same
time gives the same candles, in any process.

A candle for the bucket ``[start, end)`` has open ``p(start)``, close ``p(end)``, high
and low over points sampled in between, and a volume that grows with the move. The
latest candle is the bucket in progress: it ends at ``now`` (close ``p(now)``), so a
forecast made from it changes as time passes.

Columns follow ``CandleType`` values: HIGH=0, LOW=1, OPEN=2, CLOSE=3, VOLUME=4.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = [
    "PAIRS",
    "MarketError",
    "UnknownPair",
    "BadQuery",
    "Market",
    "known_pairs",
    "normalize_pair",
    "MAX_CANDLES",
    "MAX_DURATION_MINS",
]

MAX_CANDLES = 10_000
MAX_DURATION_MINS = 366 * 24 * 60  # a year per candle is plenty
SAMPLES_PER_CANDLE = 12
CANDLE_TYPE_NAMES = ("HIGH", "LOW", "OPEN", "CLOSE", "VOLUME")

# pair -> (reference price, volume per minute in base units, price decimals)
PAIRS: dict[tuple[str, str], tuple[float, float, int]] = {
    ("ETH", "USDT"): (3_000.0, 900.0, 2),
    ("BTC", "USDT"): (65_000.0, 40.0, 2),
    ("SOL", "USDT"): (150.0, 9_000.0, 3),
    ("SUI", "USDT"): (3.5, 250_000.0, 4),
    ("OG", "USDT"): (1.0, 50_000.0, 5),
    ("ETH", "USD"): (3_000.0, 700.0, 2),
    ("BTC", "USD"): (65_000.0, 30.0, 2),
    ("SOL", "USD"): (150.0, 7_000.0, 3),
    ("SUI", "USD"): (3.5, 180_000.0, 4),
    ("ETH", "BTC"): (0.046, 300.0, 6),
}

# (lattice period in seconds, amplitude in log-price units)
_LAYERS: tuple[tuple[float, float], ...] = (
    (60.0, 0.0006),
    (300.0, 0.0012),
    (900.0, 0.0025),
    (3_600.0, 0.005),
    (4 * 3_600.0, 0.010),
    (86_400.0, 0.025),
    (7 * 86_400.0, 0.05),
    (30 * 86_400.0, 0.10),
)

_M64 = (1 << 64) - 1


class MarketError(ValueError):
    """A query the market cannot answer (message is user-facing)."""


class UnknownPair(MarketError):
    pass


class BadQuery(MarketError):
    pass


def known_pairs() -> list[str]:
    return [f"{b}/{q}" for b, q in PAIRS]


def normalize_pair(base: str, quote: str) -> tuple[str, str]:
    """Upper-cased, stripped ``(base, quote)``; raises UnknownPair with the known list."""
    b = str(base or "").strip().upper()
    q = str(quote or "").strip().upper()
    if (b, q) not in PAIRS:
        raise UnknownPair(f"unknown pair {base}/{quote}; known: {', '.join(known_pairs())}")
    return b, q


def _seed(base: str, quote: str) -> int:
    return int.from_bytes(hashlib.sha256(f"og-tui market {base}/{quote}".encode()).digest()[:8], "big")


def _mix(x):
    """splitmix64 finalizer on a uint64 array (wrapping arithmetic)."""
    import numpy as np

    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _lattice(seed: int, layer: int, k):
    """Hashed lattice values in [-1, 1) for integer positions ``k`` (int64 array)."""
    import numpy as np

    salt = np.uint64((seed + (layer + 1) * 0x9E3779B97F4A7C15) & _M64)
    with np.errstate(over="ignore"):
        h = _mix(k.astype(np.uint64) * np.uint64(0xD1B54A32D192ED03) + salt)
    return (h >> np.uint64(11)).astype(np.float64) * (2.0 / float(1 << 53)) - 1.0


@dataclass(frozen=True)
class Candles:
    """Candles oldest first: ``starts``/``ends`` (unix s) and ``values`` [N, 5] by CandleType."""

    starts: "object"
    ends: "object"
    values: "object"


class Market:
    """The synthetic market. Stateless apart from small per-pair constants."""

    def __init__(self, pairs: dict[tuple[str, str], tuple[float, float, int]] | None = None) -> None:
        self.pairs = dict(PAIRS if pairs is None else pairs)

    # -- price path -------------------------------------------------------------------------
    def log_price(self, base: str, quote: str, t) -> "object":
        """Log price at times ``t`` (array of unix seconds, float)."""
        import numpy as np

        b, q = self._pair(base, quote)
        ref = self.pairs[(b, q)][0]
        seed = _seed(b, q)
        t = np.asarray(t, dtype=np.float64)
        out = np.full(t.shape, np.log(ref))
        for i, (period, amp) in enumerate(_LAYERS):
            x = t / period
            k = np.floor(x)
            f = x - k
            f = f * f * (3.0 - 2.0 * f)  # smoothstep: continuous, no kinks at lattice points
            ki = k.astype(np.int64)
            v0 = _lattice(seed, i, ki)
            v1 = _lattice(seed, i, ki + 1)
            out += amp * (v0 + (v1 - v0) * f)
        return out

    def price(self, base: str, quote: str, t) -> "object":
        import numpy as np

        return np.exp(self.log_price(base, quote, t))

    def _pair(self, base: str, quote: str) -> tuple[str, str]:
        b = str(base or "").strip().upper()
        q = str(quote or "").strip().upper()
        if (b, q) not in self.pairs:
            names = ", ".join(f"{x}/{y}" for x, y in self.pairs)
            raise UnknownPair(f"unknown pair {base}/{quote}; known: {names}")
        return b, q

    # -- candles ----------------------------------------------------------------------------
    def candles(self, base: str, quote: str, total_candles: int, duration_mins: int, now: int) -> Candles:
        """The last ``total_candles`` candles of ``duration_mins`` up to ``now``, oldest first."""
        import numpy as np

        b, q = self._pair(base, quote)
        n = _check_int("total_candles", total_candles, 1, MAX_CANDLES)
        mins = _check_int("candle_duration_in_mins", duration_mins, 1, MAX_DURATION_MINS)
        now = int(now)
        d = mins * 60
        last_start = (now // d) * d
        if last_start >= now:
            last_start -= d
        starts = last_start - d * np.arange(n - 1, -1, -1, dtype=np.int64)
        ends = np.minimum(starts + d, now)
        # sample points per bucket (both ends included)
        frac = np.linspace(0.0, 1.0, SAMPLES_PER_CANDLE + 1)
        span = (ends - starts).astype(np.float64)
        grid = starts[:, None].astype(np.float64) + span[:, None] * frac[None, :]
        prices = self.price(b, q, grid)
        decimals = self.pairs[(b, q)][2]
        prices = np.round(prices, decimals)
        open_ = prices[:, 0]
        close = prices[:, -1]
        high = prices.max(axis=1)
        low = prices.min(axis=1)
        vol_per_min = self.pairs[(b, q)][1]
        seed = _seed(b, q)
        noise = _lattice(seed, 99, (starts // d) * np.int64(mins % 9973 + 1))
        move = np.abs(close / open_ - 1.0)
        volume = vol_per_min * (span / 60.0) * np.exp(0.35 * noise) * (1.0 + 25.0 * move)
        volume = np.round(volume, 3)
        values = np.stack([high, low, open_, close, volume], axis=1)
        return Candles(starts=starts, ends=ends, values=values)

    def query_tensor(
        self,
        base: str,
        quote: str,
        total_candles: int,
        duration_mins: int,
        order: int,
        candle_types: Sequence[int],
        now: int,
        dtype: str = "float32",
    ):
        """The model input for a query: ``[1, total_candles, len(candle_types)]``.

        Columns in ``candle_types`` order; rows oldest first for ASCENDING (0), newest
        first for DESCENDING (1).
        """
        import numpy as np

        types = _check_types(candle_types)
        if int(order) not in (0, 1):
            raise BadQuery(f"order must be 0 (ASCENDING) or 1 (DESCENDING), not {order}")
        c = self.candles(base, quote, total_candles, duration_mins, now)
        rows = c.values[:, types]
        if int(order) == 1:
            rows = rows[::-1]
        return np.ascontiguousarray(rows, dtype=dtype)[None, :, :]


def _check_int(name: str, value, lo: int, hi: int) -> int:
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise BadQuery(f"{name} must be a whole number, not {value!r}") from None
    if v < lo or v > hi:
        raise BadQuery(f"{name} must be between {lo} and {hi}, not {v}")
    return v


def _check_types(candle_types: Iterable[int]) -> list[int]:
    types = [int(t) for t in candle_types]
    if not types:
        raise BadQuery("candle_types is empty: pick at least one of HIGH, LOW, OPEN, CLOSE, VOLUME")
    bad = [t for t in types if t < 0 or t >= len(CANDLE_TYPE_NAMES)]
    if bad:
        raise BadQuery(f"unknown candle type {bad[0]} (0=HIGH, 1=LOW, 2=OPEN, 3=CLOSE, 4=VOLUME)")
    return types
