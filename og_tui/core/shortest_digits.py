"""Shortest decimal digits of float32/float64 arrays, vectorised and exact.

For each finite, non-zero element in range this finds the fewest decimal digits
that read back to the same float (what ``repr`` / ``Decimal(str(x))`` give), with
integer arithmetic on the binary mantissa: ``x * 10**p`` and its two rounding
neighbours as exact quotients, 128-bit products emulated with uint64 halves, then a
binary search for the shortest digit count inside the rounding interval.

Elements outside ``KINDS``' fast range, and the rare exact ties (``hard`` lanes), are
left to the caller's reference rule; ``og_tui.core.tensors`` does that and the tests
check both paths agree bit for bit. numpy is imported inside the functions.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CHUNK", "KINDS", "fast_chunk"]

_U64: dict[str, Any] | None = None  # lazily built tables (numpy arrays)


def _tables() -> dict[str, Any]:
    global _U64
    if _U64 is None:
        import numpy as np

        _U64 = {
            "pow10": np.array([10**i for i in range(20)], dtype=np.uint64),
            "pow5": np.array([5**i for i in range(28)], dtype=np.uint64),
        }
    return _U64


CHUNK = 1 << 15  # elements per vectorised pass

# per kind: (mantissa bits, max shortest digits, fast-path |x| range)
KINDS: dict[int, tuple[int, int, float, float]] = {
    8: (53, 17, 1e-9, 1e15),
    4: (24, 9, 1e-17, 1e8),
}


def _mul_shift(mm: Any, f: Any, t: Any) -> tuple[Any, Any, Any]:
    """``floor(mm * f / 2**t)`` and the discarded bits' half/sticky flags, exactly.

    mm < 2**57, f < 2**63 (uint64 arrays), t int64 array; the quotient must fit 64 bits.
    """
    import numpy as np

    u = np.uint64
    m32 = u(0xFFFFFFFF)
    s32 = u(32)
    ml, mh = mm & m32, mm >> s32
    fl, fh = f & m32, f >> s32
    ll = ml * fl
    mid = ml * fh + mh * fl + (ll >> s32)
    lo = (mid << s32) | (ll & m32)
    hi = mh * fh + (mid >> s32)

    right = t > 0
    tt = np.where(right, t, 0).astype(np.uint64)
    s64 = u(64)
    one = u(1)
    with np.errstate(over="ignore"):
        q = (lo >> tt) | (hi << (s64 - tt)) | (hi >> (tt - s64))
        b = tt - one  # bit just below the cut (wraps where t == 0: those lanes are masked)
        half = (((lo >> b) | (hi >> (b - s64))) & one).astype(bool)
        sticky = (lo & ((one << b) - one)) != 0
        mask_hi = np.where(b >= s64, (one << (b - s64)) - one, u(0))
        sticky |= (hi & mask_hi) != 0
    if not right.all():
        left = ~right
        q = np.where(left, lo << np.where(left, -t, 0).astype(np.uint64), q)
        half &= right
        sticky &= right
    return q, half, sticky


def fast_chunk(x: Any, itemsize: int) -> tuple[Any, Any, Any]:
    """Shortest (value, decimals) for finite, non-zero, in-range x of one float kind.

    Returns (value int64, decimals int64, hard bool): ``hard`` lanes (exact ties between
    two shortest candidates) must be redone with the reference rule.
    """
    import numpy as np

    mbits, kmax, _, _ = KINDS[itemsize]
    tab = _tables()
    pow10, pow5 = tab["pow10"], tab["pow5"]
    u = np.uint64
    one = u(1)

    ax = np.abs(x).astype(np.float64)
    frac, ex = np.frexp(ax)
    m = np.ldexp(frac, mbits).astype(np.uint64)  # x = m * 2**e exactly
    e = ex.astype(np.int64) - mbits
    e10 = np.floor(np.log10(ax)).astype(np.int64)
    p = kmax - e10  # scale so that x * 10**p has kmax+1 (+-1) digits
    f = pow5[p]
    t = 2 - e - p  # x*10**p = (4m) * 5**p / 2**t

    m4 = m << u(2)
    pow2 = m == u(1 << (mbits - 1))  # lower neighbour is closer at a power of two
    n, half_c, sticky_c = _mul_shift(m4, f, t)
    lo_b, lh, ls = _mul_shift(m4 - np.where(pow2, one, u(2)), f, t)
    hi_b, hh, hs = _mul_shift(m4 + u(2), f, t)
    lo_frac = lh | ls
    hi_frac = hh | hs
    incl = (m & one) == 0  # round-half-even: the interval is closed for even mantissas

    nd = np.searchsorted(pow10, n, side="right")  # digits of n

    # y (integer) is inside [L, U] (closed for even mantissas, open otherwise), with
    # L = lo_b + (lo_frac ? something in (0,1) : 0) and likewise U
    lo_eq_ok = incl & ~lo_frac
    hi_eq_ok = incl | hi_frac

    def valid(y: Any) -> Any:
        return ((y > lo_b) | ((y == lo_b) & lo_eq_ok)) & ((y < hi_b) | ((y == hi_b) & hi_eq_ok))

    def level(k: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
        j = nd - k
        pw = pow10[j]
        fk = n // pw
        y0 = fk * pw
        return j, pw, fk, y0, valid(y0), valid(y0 + pw)

    lo_k = np.ones(len(x), dtype=np.int64)
    hi_k = np.full(len(x), kmax, dtype=np.int64)
    while True:
        open_ = lo_k < hi_k
        if not open_.any():
            break
        mid = (lo_k + hi_k) // 2
        _, _, _, _, v0, v1 = level(mid)
        ok = v0 | v1
        hi_k = np.where(open_ & ok, mid, hi_k)
        lo_k = np.where(open_ & ~ok, mid + 1, lo_k)

    j, pw, fk, y0, v0, v1 = level(lo_k)
    rem = n - y0
    h = pw >> one
    exact_c = ~(half_c | sticky_c)
    j0 = j == 0
    greater = np.where(j0, half_c & sticky_c, (rem > h) | ((rem == h) & ~exact_c))
    tie = np.where(j0, half_c & ~sticky_c, (rem == h) & exact_c)
    both = v0 & v1
    up = v1 & (~v0 | greater)
    hard = both & tie | ~(v0 | v1)
    d = fk + up.astype(np.uint64)
    q = j.astype(np.int64) - p

    ten = u(10)
    while True:
        z = ((d % ten) == 0) & (d != 0)
        if not z.any():
            break
        d = np.where(z, d // ten, d)
        q = q + z

    d = d.astype(np.int64)
    pos = q >= 0
    value = np.where(pos, d * (10 ** np.where(pos, q, 0)), d)
    decimals = np.where(pos, 0, -q)
    value = np.where(x < 0, -value, value)
    return value, decimals, hard
