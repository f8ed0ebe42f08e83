"""Sample ONNX models generated with onnx.helper (deterministic weights, nothing downloaded).

The iris classifier is trained when the samples are built, deterministically, on the iris
measurements shipped beside this module (``iris.csv``, 150 rows); every fifth row is
held out for its test.

They are published under the ``samples`` account at the hub's first start so a new user
has something to browse and run at once. :func:`build_samples` returns the serialized
models; :func:`sample_models` returns ``{name: cid}`` for a devnet data dir (publishing
them first if needed) for other devnet code (inference, workflows, tests).

Every sample is verified to run in onnxruntime by tests/hub/test_samples.py.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional

__all__ = ["Sample", "build_samples", "sample_models", "SAMPLES_USERNAME", "SAMPLES_EMAIL"]

SAMPLES_USERNAME = "samples"
SAMPLES_EMAIL = "samples@devnet.local"
IR_VERSION = 9
OPSET = 13
ML_OPSET = 2


@dataclass
class Sample:
    name: str  # model name on the hub
    filename: str
    description: str
    notes: str
    data: bytes
    example_input: Dict[str, list] = field(default_factory=dict)  # for docs and tests
    task: str = ""


def _weights(seed: int, shape: List[int], scale: float = 0.5):
    import numpy as np

    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _model(graph, *, ml: bool = False, doc: str = "") -> bytes:
    from onnx import checker, helper

    opsets = [helper.make_opsetid("", OPSET)]
    if ml:
        opsets.append(helper.make_opsetid("ai.onnx.ml", ML_OPSET))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="og-tui-devnet", producer_version="1")
    model.ir_version = IR_VERSION
    model.doc_string = doc
    checker.check_model(model)
    return model.SerializeToString(deterministic=True)


def _regression() -> Sample:
    from onnx import TensorProto, helper, numpy_helper

    w = _weights(1, [12, 1])
    b = _weights(2, [1])
    nodes = [
        helper.make_node("Reshape", ["input", "flat_shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "W"], ["mm"]),
        helper.make_node("Add", ["mm", "B"], ["output"]),
    ]
    import numpy as np

    graph = helper.make_graph(
        nodes,
        "linear_regression",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1])],
        initializer=[
            numpy_helper.from_array(np.array([1, 12], dtype=np.int64), "flat_shape"),
            numpy_helper.from_array(w, "W"),
            numpy_helper.from_array(b, "B"),
        ],
    )
    return Sample(
        "linear-regression",
        "linear_regression.onnx",
        "A float regression: a [1, 3, 4] input tensor, one [1, 1] output (deterministic weights).",
        "Initial sample release",
        _model(graph, doc="linear regression sample"),
        {"input": np.arange(12, dtype=np.float32).reshape(1, 3, 4).tolist()},
        "regression",
    )


IRIS_CSV = os.path.join(os.path.dirname(__file__), "iris.csv")
IRIS_SPECIES = ("setosa", "versicolor", "virginica")


def iris_data():
    """The shipped iris measurements: ``(features [150, 4] float32, species [150] int64)``."""
    import numpy as np

    rows = [
        line.split(",")
        for line in open(IRIS_CSV, encoding="utf-8")
        if line.strip() and not line.startswith(("#", "sepal"))
    ]
    return (
        np.array([[float(v) for v in r[:4]] for r in rows], dtype=np.float32),
        np.array([int(r[4]) for r in rows], dtype=np.int64),
    )


def iris_split():
    """Training rows and held-out rows (every fifth measurement: 10 per species)."""
    import numpy as np

    x, y = iris_data()
    held = np.arange(len(y)) % 5 == 4
    return (x[~held], y[~held]), (x[held], y[held])


@functools.lru_cache(maxsize=1)
def _train_iris():
    """Softmax regression fitted to the training rows (full-batch gradient descent from zeros:
    the same weights on every machine), folded back to raw centimetres for the Gemm node."""
    import numpy as np

    (x, y), _held = iris_split()
    x = x.astype(np.float64)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    z = (x - mu) / sd
    onehot = np.eye(3)[y]
    w, b = np.zeros((4, 3)), np.zeros(3)
    for _ in range(5000):
        logits = z @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - onehot) / len(y)
        w -= 0.5 * (z.T @ grad)
        b -= 0.5 * grad.sum(axis=0)
    w_raw = w / sd[:, None]
    b_raw = b - (mu / sd) @ w
    # rounded, so that the last bits of a machine's BLAS cannot change the model (or its CID)
    return np.round(w_raw, 4).astype(np.float32), np.round(b_raw, 4).astype(np.float32)


def _classifier() -> Sample:
    from onnx import TensorProto, helper, numpy_helper

    w, b = _train_iris()
    graph = helper.make_graph(
        [
            helper.make_node("Gemm", ["features", "W", "B"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
            helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
        ],
        "iris_classifier",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4])],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3]),
            helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
        ],
        initializer=[numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")],
    )
    return Sample(
        "iris-classifier",
        "iris_classifier.onnx",
        "A 3-class classifier over 4 features with two outputs: class probabilities and the label index. "
        "Iris species (0 setosa, 1 versicolor, 2 virginica) from sepal length, sepal width, petal length and "
        "petal width in cm, trained on Fisher's iris measurements.",
        "Initial sample release",
        _model(graph, doc="iris classifier: softmax regression trained on the iris data set"),
        {"features": [[5.1, 3.5, 1.4, 0.2]]},
        "classification",
    )


def _two_inputs() -> Sample:
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [
            helper.make_node("Mul", ["a", "scale"], ["a_scaled"]),
            helper.make_node("Add", ["a_scaled", "b"], ["sum"]),
            helper.make_node("ReduceSum", ["sum", "axis1"], ["total"], keepdims=1),
        ],
        "weighted_sum",
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 4]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 4]),
        ],
        [
            helper.make_tensor_value_info("sum", TensorProto.FLOAT, [1, 4]),
            helper.make_tensor_value_info("total", TensorProto.FLOAT, [1, 1]),
        ],
        initializer=[
            numpy_helper.from_array(np.array([2.0], dtype=np.float32), "scale"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        ],
    )
    return Sample(
        "weighted-sum",
        "weighted_sum.onnx",
        "Two inputs a and b ([1, 4] each): outputs sum = 2*a + b and total = the row sum.",
        "Initial sample release",
        _model(graph, doc="two-input sample"),
        {"a": [[1.0, 2.0, 3.0, 4.0]], "b": [[0.5, 0.5, 0.5, 0.5]]},
        "arithmetic",
    )


def _string_model() -> Sample:
    from onnx import TensorProto, helper

    words = ["sunny", "cloudy", "rainy", "snowy"]
    graph = helper.make_graph(
        [
            # string input -> int64 code (unknown words -> -1)
            helper.make_node(
                "LabelEncoder",
                ["weather"],
                ["code"],
                domain="ai.onnx.ml",
                keys_strings=words,
                values_int64s=[0, 1, 2, 3],
                default_int64=-1,
            ),
            # code -> a string advice (string output)
            helper.make_node(
                "LabelEncoder",
                ["code"],
                ["advice"],
                domain="ai.onnx.ml",
                keys_int64s=[0, 1, 2, 3],
                values_strings=["sunglasses", "light jacket", "umbrella", "warm boots"],
                default_string="no idea",
            ),
        ],
        "weather_advice",
        [helper.make_tensor_value_info("weather", TensorProto.STRING, ["n"])],
        [
            helper.make_tensor_value_info("code", TensorProto.INT64, ["n"]),
            helper.make_tensor_value_info("advice", TensorProto.STRING, ["n"]),
        ],
    )
    return Sample(
        "weather-advice",
        "weather_advice.onnx",
        "String in, string out: weather words (sunny, cloudy, rainy, snowy) -> a code and a piece of advice.",
        "Initial sample release",
        _model(graph, ml=True, doc="string sample"),
        {"weather": ["rainy", "sunny"]},
        "text",
    )


# ---- workflow-style price models: input "open_high_low_close" [1, N, 4] float32 -------------
CANDLES = 10
OHLC = "open_high_low_close"


def _ohlc_input(helper, TensorProto):
    return helper.make_tensor_value_info(OHLC, TensorProto.FLOAT, [1, CANDLES, 4])


def _price_regression() -> Sample:
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    # regression_output = mean over candles of (0.1*open + 0.2*high + 0.2*low + 0.5*close) * (1 + drift)
    # where drift = 0.5 * (last close - first open) / first open. Deterministic, plausible.
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", [OHLC, "mix"], ["typical"]),  # [1,N,1]
            helper.make_node("ReduceMean", ["typical"], ["mean_t"], axes=[1], keepdims=0),  # [1,1]
            helper.make_node("Gather", [OHLC, "last"], ["last_c"], axis=1),  # [1,4]
            helper.make_node("Gather", [OHLC, "first"], ["first_c"], axis=1),  # [1,4]
            helper.make_node("MatMul", ["last_c", "pick_close"], ["close_l"]),  # [1,1]
            helper.make_node("MatMul", ["first_c", "pick_open"], ["open_f"]),  # [1,1]
            helper.make_node("Sub", ["close_l", "open_f"], ["delta"]),
            helper.make_node("Div", ["delta", "open_f"], ["ret"]),
            helper.make_node("Mul", ["ret", "half"], ["drift"]),
            helper.make_node("Add", ["drift", "one"], ["factor"]),
            helper.make_node("Mul", ["mean_t", "factor"], ["regression_output"]),
        ],
        "price_regression",
        [_ohlc_input(helper, TensorProto)],
        [helper.make_tensor_value_info("regression_output", TensorProto.FLOAT, [1, 1])],
        initializer=[
            numpy_helper.from_array(np.array([[0.1], [0.2], [0.2], [0.5]], dtype=np.float32), "mix"),
            numpy_helper.from_array(np.array(CANDLES - 1, dtype=np.int64), "last"),
            numpy_helper.from_array(np.array(0, dtype=np.int64), "first"),
            numpy_helper.from_array(np.array([[0.0], [0.0], [0.0], [1.0]], dtype=np.float32), "pick_close"),
            numpy_helper.from_array(np.array([[1.0], [0.0], [0.0], [0.0]], dtype=np.float32), "pick_open"),
            numpy_helper.from_array(np.array([0.5], dtype=np.float32), "half"),
            numpy_helper.from_array(np.array([1.0], dtype=np.float32), "one"),
        ],
    )
    return Sample(
        "price-forecast-1h",
        "price_forecast_1h.onnx",
        f"Workflow-style price forecast: input {OHLC} [1, {CANDLES}, 4] (open, high, low, close candles, oldest first); output regression_output [1, 1].",
        "Initial sample release",
        _model(graph, doc="price regression sample"),
        {OHLC: _example_candles()},
        "price forecast",
    )


def _volatility() -> Sample:
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    # Y = mean over candles of (high - low) / close
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", [OHLC, "range_w"], ["rng"]),
            helper.make_node("MatMul", [OHLC, "close_w"], ["close"]),
            helper.make_node("Div", ["rng", "close"], ["rel"]),
            helper.make_node("ReduceMean", ["rel"], ["Y"], axes=[1], keepdims=0),
        ],
        "volatility_forecast",
        [_ohlc_input(helper, TensorProto)],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 1])],
        initializer=[
            numpy_helper.from_array(np.array([[0.0], [1.0], [-1.0], [0.0]], dtype=np.float32), "range_w"),
            numpy_helper.from_array(np.array([[0.0], [0.0], [0.0], [1.0]], dtype=np.float32), "close_w"),
        ],
    )
    return Sample(
        "volatility-forecast-1h",
        "volatility_forecast_1h.onnx",
        f"Workflow-style volatility forecast: input {OHLC} [1, {CANDLES}, 4]; output Y [1, 1] = mean (high - low) / close.",
        "Initial sample release",
        _model(graph, doc="volatility sample"),
        {OHLC: _example_candles()},
        "volatility forecast",
    )


def _destandardized() -> Sample:
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    # close series standardized (z-score); prediction z = 0.8 * z_last + 0.1; destandardized.
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", [OHLC, "close_w"], ["close"]),  # [1,N,1]
            helper.make_node("ReduceMean", ["close"], ["mu"], axes=[1], keepdims=1),  # [1,1,1]
            helper.make_node("Sub", ["close", "mu"], ["centered"]),
            helper.make_node("Mul", ["centered", "centered"], ["sq"]),
            helper.make_node("ReduceMean", ["sq"], ["var"], axes=[1], keepdims=1),
            helper.make_node("Add", ["var", "eps"], ["var_eps"]),
            helper.make_node("Sqrt", ["var_eps"], ["sigma"]),
            helper.make_node("Div", ["centered", "sigma"], ["z"]),
            helper.make_node("Gather", ["z", "last"], ["z_last"], axis=1),  # [1,1]
            helper.make_node("Mul", ["z_last", "coef"], ["z_scaled"]),
            helper.make_node("Add", ["z_scaled", "bias"], ["z_pred"]),
            helper.make_node("Reshape", ["sigma", "shape11"], ["sigma2"]),
            helper.make_node("Reshape", ["mu", "shape11"], ["mu2"]),
            helper.make_node("Mul", ["z_pred", "sigma2"], ["scaled"]),
            helper.make_node("Add", ["scaled", "mu2"], ["destandardized_prediction"]),
        ],
        "destandardized_forecast",
        [_ohlc_input(helper, TensorProto)],
        [helper.make_tensor_value_info("destandardized_prediction", TensorProto.FLOAT, [1, 1])],
        initializer=[
            numpy_helper.from_array(np.array([[0.0], [0.0], [0.0], [1.0]], dtype=np.float32), "close_w"),
            numpy_helper.from_array(np.array([1e-6], dtype=np.float32), "eps"),
            numpy_helper.from_array(np.array(CANDLES - 1, dtype=np.int64), "last"),
            numpy_helper.from_array(np.array([0.8], dtype=np.float32), "coef"),
            numpy_helper.from_array(np.array([0.1], dtype=np.float32), "bias"),
            numpy_helper.from_array(np.array([1, 1], dtype=np.int64), "shape11"),
        ],
    )
    return Sample(
        "price-forecast-30m-destandardized",
        "price_forecast_30m.onnx",
        f"Workflow-style forecast on standardized closes: input {OHLC} [1, {CANDLES}, 4]; output destandardized_prediction [1, 1].",
        "Initial sample release",
        _model(graph, doc="destandardized sample"),
        {OHLC: _example_candles()},
        "price forecast",
    )


def _example_candles() -> list:
    rows = []
    price = 100.0
    for i in range(CANDLES):
        o = price
        c = price * (1.0 + 0.01 * ((i % 3) - 0.8))
        rows.append([round(o, 4), round(max(o, c) * 1.005, 4), round(min(o, c) * 0.995, 4), round(c, 4)])
        price = c
    return [rows]


def build_samples() -> List[Sample]:
    """All sample models, serialized deterministically (same bytes, same CIDs, every run)."""
    return [
        _regression(),
        _classifier(),
        _two_inputs(),
        _string_model(),
        _price_regression(),
        _volatility(),
        _destandardized(),
    ]


def sample_models(data_dir: "str | os.PathLike", *, hub: Optional[object] = None) -> Dict[str, str]:
    """``{model name: file CID}`` of the published samples in a devnet data dir.

    Publishes them first if the hub there has not done so yet.
    """
    from og_tui.devnet.hub.service import HubService

    service = hub if hub is not None else HubService(data_dir)
    try:
        return service.ensure_samples()
    finally:
        if hub is None:
            service.close()
