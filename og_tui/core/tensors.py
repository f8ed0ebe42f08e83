"""numpy <-> OpenGradient contract tensors (``ModelInput`` / ``ModelOutput`` tuples).

Pure functions, no network. The wire rules are those of the reference SDK
(``opengradient-protocol.md`` §2):

* a number ``x`` travels as ``Number(value, decimals)`` meaning ``value / 10**decimals``,
  obtained from ``Decimal(str(x)).normalize()``: the shortest decimal digits of the
  element *in its own dtype* (``float32(0.1) -> (1, 1)``), trailing zeros stripped,
  ``decimals`` never negative (``100.0 -> (100, 0)``, ``1e20 -> (10**20, 0)``);
* integers travel exactly as ``(i, 0)``;
* strings travel flat, without a shape;
* outputs come back as float32 arrays (reference behaviour), or, with ``exact=True``,
  as float64 (correctly rounded) or int64 arrays.

Encoding millions of elements through ``Decimal`` costs ~3 us each, so float32/float64
arrays go through a vectorised exact shortest-digits routine (integer arithmetic on
the binary mantissa, 128-bit products emulated with uint64 halves). Elements outside
its range, or the rare exact ties, fall back to the ``Decimal`` rule itself; tests
check the two agree bit for bit.

numpy is imported inside the functions: importing this module is cheap.
"""

from __future__ import annotations

import json
from decimal import Context, Decimal
from itertools import repeat
from typing import Any, Iterable, Mapping

from og_tui.core.errors import ValidationError
from og_tui.core.shortest_digits import CHUNK as _CHUNK
from og_tui.core.shortest_digits import KINDS as _KINDS
from og_tui.core.shortest_digits import fast_chunk as _fast_chunk

__all__ = [
    "TensorError",
    "TensorTypeError",
    "INT128_MIN",
    "INT128_MAX",
    "encode_number",
    "encode_number_array",
    "encode_model_input",
    "encode_model_output",
    "decode_number",
    "decode_number_tensor",
    "decode_model_output",
    "split_model_output",
    "reference_fixed_point",
]

INT128_MIN = -(2**127)
INT128_MAX = 2**127 - 1
UINT32_MAX = 2**32 - 1

_CTX28 = Context(prec=28)  # Decimal's default context, pinned: global changes must not leak in


class TensorError(ValidationError, ValueError):
    """A tensor cannot be represented on the wire (NaN/Inf, out of int128, bad shape...)."""

    def __init__(self, message: str = "", *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)


class TensorTypeError(TensorError, TypeError):
    """The value's type has no wire form (bool, object, bytes, mixed strings and numbers)."""


# ---------------------------------------------------------------------------------------
# single numbers (the reference rule)


def reference_fixed_point(text: str) -> tuple[int, int]:
    """The reference rule on the ``str()`` of a number: ``Decimal(text).normalize()``."""
    dec = Decimal(text).normalize(_CTX28)
    if not dec.is_finite():
        raise ValueError(f"{text} is not a finite number")
    sign, digits, exponent = dec.as_tuple()
    assert isinstance(exponent, int)  # finite: not 'n', 'N' or 'F'
    value = int("".join(map(str, digits)))
    if sign:
        value = -value
    if exponent >= 0:
        return value * 10**exponent, 0
    return value, -exponent


def _where(name: str | None, index: int | None) -> str:
    if name is None:
        return "number"
    if index is None:
        return f"tensor {name!r}"
    return f"tensor {name!r} element {index}"


def _check_int128(value: int, name: str | None, index: int | None, shown: Any) -> None:
    if not INT128_MIN <= value <= INT128_MAX:
        raise TensorError(
            f"{_where(name, index)} ({str(shown)}) does not fit the contract's int128 number "
            f"(magnitude must stay below about 1.7e38)",
            hint="Scale the input down, or send it as a string tensor.",
        )


def _non_finite(name: str | None, index: int | None, shown: Any) -> TensorError:
    return TensorError(
        f"{_where(name, index)} is {str(shown)}; NaN and infinity cannot be sent to the network",
        hint="Replace NaN/Inf values (for example with numpy.nan_to_num) before running inference.",
    )


def _scalar_fixed_point(x: Any, name: str | None = None, index: int | None = None) -> tuple[int, int]:
    """Reference rule for one element (Python or numpy scalar)."""
    import numpy as np

    if isinstance(x, (bool, np.bool_)):
        raise TensorTypeError(f"{_where(name, index)} is a boolean; send 0/1 numbers instead")
    if isinstance(x, (int, np.integer)):
        value = int(x)
        _check_int128(value, name, index, value)
        return value, 0
    if isinstance(x, (float, np.floating)):
        if not np.isfinite(x):
            raise _non_finite(name, index, x)
        value, decimals = reference_fixed_point(str(x))
        _check_int128(value, name, index, x)
        return value, decimals
    if isinstance(x, Decimal):
        if not x.is_finite():
            raise _non_finite(name, index, x)
        value, decimals = reference_fixed_point(str(x))
        _check_int128(value, name, index, x)
        return value, decimals
    raise TensorTypeError(f"{_where(name, index)} has type {type(x).__name__}; expected a number")


def encode_number(x: Any) -> tuple[int, int]:
    """One number -> ``(value, decimals)`` by the reference rule.

    >>> encode_number(1.5), encode_number(100.0), encode_number(-2.25)
    ((15, 1), (100, 0), (-225, 2))
    """
    return _scalar_fixed_point(x)


def decode_number(value: Any, decimals: Any, *, exact: bool = True) -> float:
    """``(value, decimals)`` -> float: correctly rounded (``exact``) or the reference float32."""
    v, d = int(value), int(decimals)
    if exact:
        return _exact_float(v, d)
    import numpy as np

    return float(np.float32(_reference_float(v, d)))


def _exact_float(v: int, d: int) -> float:
    try:
        return v / 10**d if d >= 0 else float(v * 10 ** (-d))
    except OverflowError:
        return float("inf") if v > 0 else float("-inf")


def _reference_float(v: int, d: int) -> float:
    q = _CTX28.divide(Decimal(v), _CTX28.power(Decimal(10), Decimal(d)))
    return float(q)


# ---------------------------------------------------------------------------------------
# float arrays: the vectorised shortest digits, with the reference rule for the rest


def _float_fixed_point(flat: Any, name: str | None) -> tuple[list[int], list[int]]:
    """flat float array -> (values, decimals) as Python int lists."""
    import numpy as np

    n = flat.size
    itemsize = flat.dtype.itemsize
    finite = np.isfinite(flat)
    if not finite.all():
        idx = int(np.flatnonzero(~finite)[0])
        raise _non_finite(name, idx, flat[idx])

    values = np.zeros(n, dtype=np.int64)
    decimals = np.zeros(n, dtype=np.int64)
    slow = np.zeros(n, dtype=bool)
    kind = _KINDS.get(itemsize) if flat.dtype.kind == "f" and flat.dtype in (np.float32, np.float64) else None
    if kind is None:
        slow = flat != 0
    else:
        _, _, lo_lim, hi_lim = kind
        for start in range(0, n, _CHUNK):
            x = flat[start : start + _CHUNK]
            ax = np.abs(x)
            fast = (ax >= lo_lim) & (ax < hi_lim)
            slow[start : start + x.size] = ~fast & (x != 0)
            if fast.all():
                v, d, hard = _fast_chunk(x, itemsize)
                values[start : start + x.size] = v
                decimals[start : start + x.size] = d
                slow[start : start + x.size] |= hard
            elif fast.any():
                sel = np.flatnonzero(fast)
                v, d, hard = _fast_chunk(x[sel], itemsize)
                values[start + sel] = v
                decimals[start + sel] = d
                slow[start + sel[hard]] = True

    vals = values.tolist()
    decs = decimals.tolist()
    for i in np.flatnonzero(slow).tolist():
        vals[i], decs[i] = _scalar_fixed_point(flat[i], name, i)
    return vals, decs


def encode_number_array(arr: Any, name: str = "") -> list[tuple[int, int]]:
    """A numeric array (any shape) -> flat list of ``(value, decimals)``, C order."""
    import numpy as np

    a = np.asarray(arr)
    kind = a.dtype.kind
    flat = a.ravel()
    if kind in "iu":
        vals = flat.tolist()
        return list(zip(vals, repeat(0)))
    if kind == "f":
        vals, decs = _float_fixed_point(flat, name)
        return list(zip(vals, decs))
    if kind == "b":
        raise TensorTypeError(f"tensor {name!r} is boolean; convert it to integers (0/1) first")
    raise TensorTypeError(f"tensor {name!r} has dtype {a.dtype}, which is not a number type")


# ---------------------------------------------------------------------------------------
# ModelInput


def _flatten_list(value: Any, out: list[Any]) -> None:
    if isinstance(value, (list, tuple)):
        for v in value:
            _flatten_list(v, out)
    else:
        out.append(value)


def _as_array(name: str, value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.ndarray):
        a = value
    elif isinstance(value, (list, tuple)):
        try:
            a = np.array(value)
        except ValueError as exc:  # ragged
            raise TensorTypeError(f"tensor {name!r} is a ragged list ({exc})") from None
        if a.dtype.kind == "U":
            items: list[Any] = []
            _flatten_list(value, items)
            if not all(isinstance(v, str) for v in items):
                raise TensorTypeError(
                    f"tensor {name!r} mixes strings and other values; a tensor holds either numbers or strings"
                )
        elif a.dtype.kind in "iuf" and a.size and a.size <= 1_000_000:
            items = []
            _flatten_list(value, items)
            if any(isinstance(v, (bool, np.bool_)) for v in items):
                raise TensorTypeError(f"tensor {name!r} mixes booleans and numbers")
    elif isinstance(value, (str, int, float, np.generic)):
        a = np.array([value])
    else:
        raise TensorTypeError(
            f"tensor {name!r} has type {type(value).__name__}; expected a list, a numpy array, "
            "or a str/int/float scalar"
        )
    if a.ndim == 0:
        a = a.reshape(1)
    return a


def _shape(name: str, a: Any) -> list[int]:
    shape = [int(s) for s in a.shape]
    if any(s > UINT32_MAX for s in shape):
        raise TensorError(f"tensor {name!r} has a dimension larger than uint32")
    return shape


def encode_model_input(inputs: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    """``{name: value}`` -> ``(number_tensors, string_tensors)`` for the ``ModelInput`` tuple.

    number tensor = ``(name, [(value, decimals), ...], [shape...])``;
    string tensor = ``(name, [str, ...])`` (shape dropped, as on the wire).
    """
    if not isinstance(inputs, Mapping):
        raise TensorTypeError(f"model input must be a dict of name -> value, not {type(inputs).__name__}")
    numbers: list[Any] = []
    strings: list[Any] = []
    for name, value in inputs.items():
        if not isinstance(name, str):
            raise TensorTypeError(f"tensor names must be strings, got {name!r}")
        a = _as_array(name, value)
        kind = a.dtype.kind
        if kind in "iuf":
            numbers.append((name, encode_number_array(a, name), _shape(name, a)))
        elif kind == "U":
            strings.append((name, [str(s) for s in a.ravel().tolist()]))
        elif kind == "b":
            raise TensorTypeError(f"tensor {name!r} is boolean; convert it to integers (0/1) first")
        else:
            raise TensorTypeError(
                f"tensor {name!r} has dtype {a.dtype}; only numbers (int/float) and strings can be sent"
            )
    return numbers, strings


# ---------------------------------------------------------------------------------------
# ModelOutput (encoding, used by the devnet)


def _json_default(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def encode_model_output(
    outputs: Mapping[str, Any], is_simulation_result: bool = False
) -> tuple[list[Any], list[Any], list[Any], bool]:
    """``{name: value}`` -> ``ModelOutput`` tuple ``(numbers, strings, jsons, is_simulation_result)``.

    numeric arrays/lists/scalars -> NumberTensor (bool -> 0/1); string arrays (also
    object arrays of str, as onnxruntime returns them) -> StringTensor; dicts and
    non-rectangular / object values -> JsonTensor (``json.dumps``).
    """
    import numpy as np

    numbers: list[Any] = []
    strings: list[Any] = []
    jsons: list[Any] = []
    for name, value in outputs.items():
        if not isinstance(name, str):
            raise TensorTypeError(f"tensor names must be strings, got {name!r}")
        if isinstance(value, Mapping):
            jsons.append((name, json.dumps(value, default=_json_default)))
            continue
        if isinstance(value, np.ndarray):
            a: Any = value
        else:
            try:
                a = np.array(value)
            except ValueError:
                a = None
            if a is None or a.dtype.kind == "O":
                jsons.append((name, json.dumps(value, default=_json_default)))
                continue
        if a.ndim == 0:
            a = a.reshape(1)
        kind = a.dtype.kind
        if kind == "b":
            a = a.astype(np.int64)
            kind = "i"
        if kind in "iuf":
            numbers.append((name, encode_number_array(a, name), _shape(name, a)))
        elif kind == "U":
            strings.append((name, [str(s) for s in a.ravel().tolist()]))
        elif kind == "O" and all(isinstance(s, str) for s in a.ravel().tolist()):
            strings.append((name, a.ravel().tolist()))
        elif kind == "O":
            obj = a.item() if a.size == 1 and value is not None and getattr(value, "ndim", 1) == 0 else a.tolist()
            jsons.append((name, json.dumps(obj, default=_json_default)))
        else:
            raise TensorTypeError(f"output {name!r} has dtype {a.dtype}, which has no wire form")
    return numbers, strings, jsons, bool(is_simulation_result)


# ---------------------------------------------------------------------------------------
# decoding


def _get(obj: Any, key: str, index: int, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    if isinstance(obj, (list, tuple)):
        return obj[index] if len(obj) > index else default
    return getattr(obj, key, default)


def _value_arrays(values: Any) -> tuple[Any, Any, Any, Any]:
    """Number list -> (v, d) int64 arrays, or (None, None, vs, ds) style fallback lists."""
    from itertools import chain

    import numpy as np

    vals = values if isinstance(values, list) else list(values)
    n = len(vals)
    first = vals[0]
    if isinstance(first, tuple) and len(first) == 2:
        try:
            flat = np.fromiter(chain.from_iterable(vals), dtype=np.int64, count=2 * n)
            return flat[0::2], flat[1::2], None, None
        except (OverflowError, ValueError, TypeError):
            pass
    if isinstance(first, Mapping):
        vs = [v["value"] for v in vals]
        ds = [v["decimals"] for v in vals]
    elif isinstance(first, (list, tuple)):
        vs = [v[0] for v in vals]
        ds = [v[1] for v in vals]
    else:
        vs = [v.value for v in vals]
        ds = [v.decimals for v in vals]
    vs = [int(x) for x in vs]
    ds = [int(x) for x in ds]
    try:
        return np.array(vs, dtype=np.int64), np.array(ds, dtype=np.int64), vs, ds
    except OverflowError:
        return None, None, vs, ds


_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp


def _two_prod(a: Any, b: Any) -> tuple[Any, Any]:
    """Dekker: a*b == ph + pl exactly (no FMA needed)."""
    c = _SPLIT * a
    ah = c - (c - a)
    al = a - ah
    c = _SPLIT * b
    bh = c - (c - b)
    bl = b - bh
    ph = a * b
    pl = ((ah * bh - ph) + ah * bl + al * bh) + al * bl
    return ph, pl


def _div_pow10(v: Any, d: Any) -> tuple[Any, Any]:
    """Correctly rounded float64 of v / 10**d for |v| < 2**63, 0 <= d <= 22.

    Returns (result, doubtful): doubtful lanes are too close to a rounding midpoint for
    the double-double estimate and must be recomputed exactly.
    """
    import numpy as np

    neg = v < 0
    av = np.abs(v).astype(np.uint64)
    big = av >= np.uint64(2**53)
    pw = 10.0**d
    r = av.astype(np.float64) / pw  # exact rounding when av < 2**53
    doubtful = np.zeros(v.shape, dtype=bool)
    if big.any():
        idx = np.flatnonzero(big)
        x = av[idx]
        p = pw[idx]
        vh_i = x & ~np.uint64(0x7FF)
        vh = vh_i.astype(np.float64)  # exact: at most 52 significant bits
        vl = (x - vh_i).astype(np.float64)
        a = (vh + vl) / p
        ph, pl = _two_prod(a, p)
        rem = ((vh - ph) + vl) - pl
        b = rem / p
        s = a + b
        bb = s - a
        err = (a - (s - bb)) + (b - bb)  # a + b == s + err exactly (TwoSum)
        sp = np.spacing(s)
        tol = sp * 2.0**-30
        near = (np.abs(np.abs(err) - sp / 2) < tol) | (np.abs(np.abs(err) - sp / 4) < tol)
        r[idx] = s
        doubtful[idx] = near
    return np.where(neg, -r, r), doubtful


def _decode_values(values: Any, exact: bool) -> Any:
    import numpy as np

    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.float64 if exact else np.float32)
    v, d, vs, ds = _value_arrays(values)
    if v is not None:
        if exact and not d.any():
            return v  # integers, exactly
        if exact and (d >= 0).all() and (d <= 18).all():
            scale = 10**d
            if not (v % scale).any():
                return v // scale  # every element is a whole number that fits int64
        fast = (d >= 0) & (d <= 22) & (v > -(2**63))
        out, doubtful = _div_pow10(v, np.where(fast, d, 0))
        slow_idx: Iterable[int] = np.flatnonzero(~fast | doubtful).tolist()
        if slow_idx and vs is None:
            vs, ds = v.tolist(), d.tolist()
    else:
        out = np.empty(n, dtype=np.float64)
        slow_idx = range(n)
    for i in slow_idx:
        vi, di = int(vs[i]), int(ds[i])
        # reference: float32(float(Decimal(v) / 10**d)), the division rounded to 28 digits
        out[i] = _exact_float(vi, di) if exact else _reference_float(vi, di)
    return out if exact else out.astype(np.float32)


def decode_number_tensor(tensor: Any, *, exact: bool = False) -> Any:
    """One NumberTensor (positional tuple or mapping) -> ndarray reshaped to its shape.

    ``exact=False``: float32 like the reference SDK. ``exact=True``: int64 when every
    element is a whole number fitting int64, else float64 correctly rounded.
    """
    values = _get(tensor, "values", 1, ())
    shape = _get(tensor, "shape", 2, None)
    arr = _decode_values(values, exact)
    if shape is not None and len(shape):
        dims = [int(s) for s in shape]
        try:
            arr = arr.reshape(dims)
        except ValueError:
            name = _get(tensor, "name", 0, "?")
            raise TensorError(f"tensor {name!r} has {arr.size} values but shape {tuple(dims)}") from None
    return arr


def _decode_strings(tensor: Any) -> Any:
    import numpy as np

    values = list(_get(tensor, "values", 1, ()))
    arr = np.array(values) if values else np.array([], dtype=str)
    shape = _get(tensor, "shape", 2, None)
    if shape:
        dims = [int(s) for s in shape]
        size = 1
        for s in dims:
            size *= s
        if size == arr.size:
            arr = arr.reshape(dims)
    return arr


def _unwrap_output(output: Any) -> Any:
    if isinstance(output, Mapping) and "numbers" not in output:
        for key in ("output", "response", "result"):
            if key in output:
                return output[key]
    return output


def split_model_output(
    output: Any, *, exact: bool = False
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], bool]:
    """A ``ModelOutput`` -> ``(numbers, strings, jsons, is_simulation_result)`` dicts of ndarrays.

    Accepts the ABI-decoded positional tuple, a mapping with named keys (web3 event
    args, also wrapped as ``{"output": ...}``), or the node-API JSON shape.
    """
    import numpy as np

    output = _unwrap_output(output)
    numbers: dict[str, Any] = {}
    for t in _get(output, "numbers", 0, ()) or ():
        numbers[str(_get(t, "name", 0))] = decode_number_tensor(t, exact=exact)
    strings: dict[str, Any] = {}
    for t in _get(output, "strings", 1, ()) or ():
        strings[str(_get(t, "name", 0))] = _decode_strings(t)
    jsons: dict[str, Any] = {}
    for t in _get(output, "jsons", 2, ()) or ():
        name = str(_get(t, "name", 0))
        text = _get(t, "value", 1)
        try:
            jsons[name] = np.array(json.loads(text))
        except (TypeError, ValueError) as exc:
            raise TensorError(f"JSON output {name!r} is not valid JSON ({exc})") from None
    sim = bool(_get(output, "is_simulation_result", 3, False))
    return numbers, strings, jsons, sim


def decode_model_output(output: Any, *, exact: bool = False) -> dict[str, Any]:
    """A ``ModelOutput`` in any accepted shape -> one flat ``{name: ndarray}`` dict.

    Numbers are float32 (reference behaviour) unless ``exact=True``; strings are
    ``np.array(values)``; JSON values ``np.array(json.loads(value))``.
    """
    numbers, strings, jsons, _ = split_model_output(output, exact=exact)
    result: dict[str, Any] = {}
    result.update(numbers)
    result.update(strings)
    result.update(jsons)
    return result


def iter_tensor_names(output: Any) -> Iterable[str]:  # small helper for UIs
    output = _unwrap_output(output)
    for idx, key in enumerate(("numbers", "strings", "jsons")):
        for t in _get(output, key, idx, ()) or ():
            yield str(_get(t, "name", 0))
