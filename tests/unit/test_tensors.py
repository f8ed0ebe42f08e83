"""Tensor codec: numpy <-> ModelInput / ModelOutput tuples (protocol §2)."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from og_tui.core.tensors import (
    INT128_MAX,
    TensorError,
    TensorTypeError,
    decode_model_output,
    decode_number,
    decode_number_tensor,
    encode_model_input,
    encode_model_output,
    encode_number,
    encode_number_array,
    split_model_output,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_rule(x) -> tuple[int, int]:
    """The reference SDK's rule, written out independently: Decimal(str(x)).normalize()."""
    sign, digits, exponent = Decimal(str(x)).normalize().as_tuple()
    value = int("".join(map(str, digits)))
    if sign:
        value = -value
    if exponent >= 0:
        return value * 10**exponent, 0
    return value, -exponent


def reference_decode(value: int, decimals: int) -> np.float32:
    return np.float32(Decimal(value) / (10 ** Decimal(decimals)))


# --- single numbers: the examples of the protocol doc --------------------------------


@pytest.mark.parametrize(
    "x, expected",
    [
        (1.5, (15, 1)),
        (100.0, (100, 0)),
        (0.001, (1, 3)),
        (-2.25, (-225, 2)),
        (0, (0, 0)),
        (0.0, (0, 0)),
        (-0.0, (0, 0)),
        (np.float32(0.1), (1, 1)),
        (np.float64(1 / 3), (3333333333333333, 16)),
        (1e20, (10**20, 0)),
        (100, (100, 0)),
        (np.int64(-(2**63)), (-(2**63), 0)),
    ],
)
def test_encode_number_doc_examples(x, expected):
    assert encode_number(x) == expected


@pytest.mark.parametrize(
    "arr, expected",
    [
        (np.array([1.5, 100.0, 0.001, -2.25, 0.0, 1e20]), [(15, 1), (100, 0), (1, 3), (-225, 2), (0, 0), (10**20, 0)]),
        (np.array([0.1, 1 / 3], dtype=np.float32), [(1, 1), (33333334, 8)]),
        (np.array([1 / 3]), [(3333333333333333, 16)]),
        (np.array([-0.0, 5e-324, 1e-30]), [(0, 0), (5, 324), (1, 30)]),
    ],
)
def test_encode_array_examples(arr, expected):
    assert encode_number_array(arr) == expected


def test_float32_uses_float32_shortest_digits():
    x = np.array([0.1, 0.2, 1.7e38, 1.1754944e-38, 1e-45], dtype=np.float32)
    assert encode_number_array(x) == [reference_rule(v) for v in x]
    assert encode_number_array(x)[0] == (1, 1)  # not 0.100000001490116...


def test_nan_and_inf_are_rejected_with_name_and_index():
    with pytest.raises(TensorError) as info:
        encode_model_input({"features": [1.0, 2.0, float("nan")]})
    assert "'features'" in str(info.value) and "element 2" in str(info.value)
    with pytest.raises(ValueError, match="element 1"):
        encode_model_input({"x": np.array([[0.5, np.inf]], dtype=np.float32)})
    with pytest.raises(TensorError):
        encode_number(float("-inf"))


def test_int128_range_is_checked():
    with pytest.raises(TensorError, match="int128"):
        encode_model_input({"big": np.array([1.0, 1e39])})
    assert encode_number(1.7e38) == (17 * 10**37, 0)
    assert encode_number(INT128_MAX) == (INT128_MAX, 0)
    with pytest.raises(TensorError, match="int128"):
        encode_number(INT128_MAX + 1)


# --- ModelInput -------------------------------------------------------------------


def test_encode_model_input_shapes_and_kinds():
    numbers, strings = encode_model_input(
        {
            "scalar_f": 2.5,
            "scalar_i": 7,
            "matrix": [[1, 2, 3], [4, 5, 6]],
            "mixed": [1, 2.5],
            "arr": np.array([[0.5], [1.25]], dtype=np.float32),
            "word": "hello",
            "words": np.array([["a", "b"], ["c", "d"]]),
        }
    )
    assert numbers == [
        ("scalar_f", [(25, 1)], [1]),
        ("scalar_i", [(7, 0)], [1]),
        ("matrix", [(1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0)], [2, 3]),
        ("mixed", [(1, 0), (25, 1)], [2]),
        ("arr", [(5, 1), (125, 2)], [2, 1]),
    ]
    assert strings == [("word", ["hello"]), ("words", ["a", "b", "c", "d"])]


def test_int64_extremes_are_exact():
    lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    numbers, _ = encode_model_input({"i": np.array([lo, -1, 0, hi], dtype=np.int64)})
    assert numbers[0][1] == [(lo, 0), (-1, 0), (0, 0), (hi, 0)]
    numbers, _ = encode_model_input({"u": np.array([2**64 - 1], dtype=np.uint64)})
    assert numbers[0][1] == [(2**64 - 1, 0)]
    numbers, _ = encode_model_input({"i": [2**63 - 1]})
    assert numbers[0][1] == [(2**63 - 1, 0)]


@pytest.mark.parametrize(
    "value",
    [
        True,
        [True, False],
        np.array([True]),
        np.array([{"a": 1}], dtype=object),
        ["a", 1],
        [1, True],
        np.array([b"x"]),
        np.array([1 + 2j]),
        {"nested": 1},
        None,
    ],
)
def test_unsupported_inputs_raise_type_errors(value):
    with pytest.raises(TensorTypeError) as info:
        encode_model_input({"t": value})
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert "'t'" in str(info.value)


# --- property tests -----------------------------------------------------------------

finite64 = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True, width=64).filter(
    lambda v: abs(v) < 1e38
)
finite32 = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True, width=32).filter(
    lambda v: abs(v) < 1.7e38
)
special = st.sampled_from(
    [
        0.0,
        -0.0,
        5e-324,
        2.2250738585072014e-308,
        1e-10,
        9.999999999999999e-10,
        1e-9,
        1e15,
        9.99999999999999e14,
        2.0**52,
        2.0**53,
        2.0**53 + 2,
        123456789.125,
        0.1,
        0.3,
        1e22,
        1e23,
        1.7e38,
    ]
)


def _fast_equals_reference(values, dtype):
    arr = np.array(values, dtype=dtype)
    expected = [reference_rule(v) if v != 0 else (0, 0) for v in arr]
    assert encode_number_array(arr) == expected


@SETTINGS
@given(st.lists(st.one_of(finite64, special, st.integers(-(10**6), 10**6).map(lambda i: i / 1000)), max_size=60))
def test_fast_path_equals_reference_float64(values):
    _fast_equals_reference(values, np.float64)


@SETTINGS
@given(st.lists(st.one_of(finite32, st.integers(-(10**6), 10**6).map(lambda i: i / 100)), max_size=60))
def test_fast_path_equals_reference_float32(values):
    _fast_equals_reference(values, np.float32)


def test_fast_path_equals_reference_random_bits():
    rng = np.random.default_rng(1234)
    bits64 = rng.integers(0, 2**64, 4000, dtype=np.uint64).view(np.float64)
    bits64 = bits64[np.isfinite(bits64) & (np.abs(bits64) < 1e38)]
    wide = rng.standard_normal(4000) * 10.0 ** rng.integers(-25, 30, 4000)
    for arr in (
        bits64,
        wide,
        wide.astype(np.float32),
        rng.integers(0, 2**32, 4000, dtype=np.uint64).astype(np.uint32).view(np.float32),
    ):
        arr = arr[np.isfinite(arr) & (np.abs(arr) < 1.7e38)]
        assert encode_number_array(arr) == [reference_rule(v) if v != 0 else (0, 0) for v in arr]


def test_rounding_interval_is_closed_for_even_mantissas():
    # D*100 (D odd) in [2**26, 1e8) lies exactly half-way between two float32s: the
    # neighbour with the even mantissa prints the short form, the odd one does not.
    d = np.arange(671089, 700001, 2)
    mid = (d * 100).astype(np.float32)
    arr = np.concatenate([mid, np.nextafter(mid, np.float32(0)), np.nextafter(mid, np.float32(1e9))])
    assert encode_number_array(arr) == [reference_rule(v) for v in arr]
    assert encode_number_array(np.array([9e9], dtype=np.float32)) == [(9 * 10**9, 0)]


shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5)


@SETTINGS
@given(hnp.arrays(np.float64, shapes, elements=finite64))
def test_round_trip_float64(arr):
    numbers, _ = encode_model_input({"x": arr})
    out = decode_model_output((numbers, [], [], False))
    assert out["x"].dtype == np.float32 and out["x"].shape == arr.shape
    assert np.array_equal(out["x"], arr.astype(np.float32))  # reference: float32 of the value
    exact = decode_model_output((numbers, [], [], False), exact=True)["x"]
    assert exact.shape == arr.shape
    assert np.array_equal(exact.astype(np.float64), arr)


@SETTINGS
@given(hnp.arrays(np.float32, shapes, elements=finite32))
def test_round_trip_float32(arr):
    numbers, _ = encode_model_input({"x": arr})
    out = decode_model_output({"numbers": numbers})["x"]
    assert out.dtype == np.float32 and np.array_equal(out, arr)
    exact = decode_model_output((numbers, [], [], False), exact=True)["x"]
    assert np.array_equal(exact.astype(np.float32), arr)


@SETTINGS
@given(hnp.arrays(np.int64, shapes))
def test_round_trip_int64(arr):
    numbers, _ = encode_model_input({"x": arr})
    exact = decode_model_output((numbers, [], [], False), exact=True)["x"]
    assert np.array_equal(exact, arr) and (exact.dtype == np.int64 or arr.size == 0)
    ref = decode_model_output((numbers, [], [], False))["x"]
    assert np.array_equal(ref, arr.astype(np.float32))


@SETTINGS
@given(st.lists(st.tuples(st.integers(-(2**127), 2**127 - 1), st.integers(0, 40)), min_size=1, max_size=30))
def test_decoders_match_reference_rules(pairs):
    tensor = ("n", pairs, [len(pairs)])
    ref = decode_number_tensor(tensor)
    assert ref.tolist() == [float(reference_decode(v, d)) for v, d in pairs]
    exact = decode_number_tensor(tensor, exact=True).astype(np.float64)
    assert exact.tolist() == [v / 10**d for v, d in pairs]


# --- decoding shapes ---------------------------------------------------------------


def test_decode_accepts_positional_named_and_node_json_shapes():
    positional = (
        [("y", [(15, 1), (-2, 0), (1, 3), (7, 0)], [2, 2])],
        [("label", ["cat", "dog"])],
        [("meta", '{"a": [1, 2]}')],
        True,
    )
    named = {
        "output": {
            "numbers": [
                {
                    "name": "y",
                    "values": [
                        {"value": 15, "decimals": 1},
                        {"value": -2, "decimals": 0},
                        {"value": 1, "decimals": 3},
                        {"value": 7, "decimals": 0},
                    ],
                    "shape": [2, 2],
                }
            ],
            "strings": [{"name": "label", "values": ["cat", "dog"]}],
            "jsons": [{"name": "meta", "value": '{"a": [1, 2]}'}],
            "is_simulation_result": True,
        }
    }
    node_json = {
        "numbers": [
            {
                "name": "y",
                "shape": [2, 2],
                "values": [
                    {"value": "15", "decimals": "1"},
                    {"value": "-2", "decimals": 0},
                    {"value": 1, "decimals": "3"},
                    {"value": "7", "decimals": "0"},
                ],
            }
        ],
        "strings": [{"name": "label", "shape": [2], "values": ["cat", "dog"]}],
        "jsons": [{"name": "meta", "value": '{"a": [1, 2]}'}],
    }
    for output in (positional, named, node_json):
        out = decode_model_output(output)
        assert set(out) == {"y", "label", "meta"}
        assert out["y"].dtype == np.float32
        assert out["y"].tolist() == [[np.float32(1.5), -2.0], [np.float32(0.001), 7.0]]
        assert out["label"].tolist() == ["cat", "dog"]
        assert out["meta"].item() == {"a": [1, 2]}
        exact = decode_model_output(output, exact=True)["y"]
        assert exact.dtype == np.float64 and exact.tolist() == [[1.5, -2.0], [0.001, 7.0]]
    numbers, strings, jsons, sim = split_model_output(positional)
    assert sim is True and list(numbers) == ["y"] and list(strings) == ["label"] and list(jsons) == ["meta"]


def test_decode_json_list_and_empty_tensors():
    out = decode_model_output(([("e", [], [0])], [("s", [])], [("j", "[1, 2, 3]")], False))
    assert out["e"].shape == (0,) and out["e"].dtype == np.float32
    assert out["s"].shape == (0,)
    assert out["j"].tolist() == [1, 2, 3]


def test_decode_number_helpers():
    assert decode_number(15, 1) == 1.5
    assert decode_number(1, 1, exact=False) == float(np.float32(0.1))
    assert decode_number(10**38, 0) == 1e38
    assert decode_number_tensor(("i", [(5, 0), (-3, 0)], [2]), exact=True).dtype == np.int64
    with pytest.raises(TensorError, match="shape"):
        decode_number_tensor(("bad", [(1, 0)], [3]))


# --- ModelOutput encoding (devnet side) -----------------------------------------------


def test_encode_model_output_round_trip():
    outputs = {
        "probs": np.array([[0.25, 0.75]], dtype=np.float32),
        "count": np.array([3], dtype=np.int64),
        "flag": np.array([True, False]),
        "label": np.array(["cat"], dtype=object),  # onnxruntime string outputs are object arrays
        "names": ["a", "b"],
        "info": {"model": "m", "scores": [1, 2]},
        "rows": [{"a": 1}, {"b": 2}],
    }
    numbers, strings, jsons, sim = encode_model_output(outputs, is_simulation_result=True)
    assert sim is True
    assert [t[0] for t in numbers] == ["probs", "count", "flag"]
    assert numbers[0] == ("probs", [(25, 2), (75, 2)], [1, 2])
    assert numbers[2] == ("flag", [(1, 0), (0, 0)], [2])
    assert strings == [("label", ["cat"]), ("names", ["a", "b"])]
    assert dict(jsons) == {"info": json.dumps(outputs["info"]), "rows": json.dumps(outputs["rows"])}
    back = decode_model_output((numbers, strings, jsons, sim), exact=True)
    assert back["probs"].tolist() == [[0.25, 0.75]]
    assert back["count"].tolist() == [3]
    assert back["label"].tolist() == ["cat"]
    assert back["info"].item() == outputs["info"]
    assert back["rows"].tolist() == outputs["rows"]
    with pytest.raises(TensorError):
        encode_model_output({"bad": np.array([np.nan])})


# --- size and ABI --------------------------------------------------------------------


def test_million_element_tensor():
    rng = np.random.default_rng(7)
    arr = rng.standard_normal((1000, 1000)).astype(np.float32)
    numbers, _ = encode_model_input({"big": arr})
    assert len(numbers[0][1]) == 1_000_000 and numbers[0][2] == [1000, 1000]
    out = decode_model_output((numbers, [], [], False))["big"]
    assert out.shape == (1000, 1000) and np.array_equal(out, arr)


def test_abi_round_trip_of_hub_run_call():
    from eth_abi import decode, encode

    from og_tui.core.abi import find_entry, selector, signature

    entry = find_entry("inference_hub", "run")
    types = signature(entry)[len("run(") : -1]
    arg_types = ["string", "uint8", types[len("string,uint8,") :]]
    model_input = encode_model_input(
        {"x": np.array([[1.5, -0.001], [1e20, 3.0]]), "n": np.array([np.iinfo(np.int64).min]), "s": ["hi", "there"]}
    )
    data = selector("inference_hub", "run") + encode(arg_types, ["model-cid", 0, model_input])
    assert data[:4].hex() == "cbf09d80"
    model_id, mode, decoded = decode(arg_types, data[4:])
    assert (model_id, mode) == ("model-cid", 0)
    numbers, strings = decoded
    assert numbers[0] == ("x", ((15, 1), (-1, 3), (10**20, 0), (3, 0)), (2, 2))
    assert numbers[1][1] == ((np.iinfo(np.int64).min, 0),)
    assert strings == (("s", ("hi", "there")),)
    # and the output type decodes straight into the decoder
    out_type = (
        "("
        + ",".join(
            [
                f"{t}"
                for t in ["(string,(int128,int128)[],uint32[])[]", "(string,string[])[]", "(string,string)[]", "bool"]
            ]
        )
        + ")"
    )
    encoded = encode([out_type], [encode_model_output({"y": np.array([0.5, 2.0])})])
    (output,) = decode([out_type], encoded)
    assert decode_model_output(output)["y"].tolist() == [0.5, 2.0]
