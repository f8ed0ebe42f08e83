"""Small ONNX models built for the inference tests (onnx.helper, nothing downloaded)."""

from __future__ import annotations


def _model(graph) -> bytes:
    from onnx import checker, helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="og-tui-tests")
    model.ir_version = 9
    checker.check_model(model)
    return model.SerializeToString()


def big_output(n: int = 5000) -> bytes:
    """x float32 [1] -> y float32 [n] (x broadcast): an output too big for the event."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("Expand", ["x", "shape"], ["y"])],
        "big_output",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n])],
        initializer=[numpy_helper.from_array(np.array([n], dtype=np.int64), "shape")],
    )
    return _model(graph)


def failing_reshape() -> bytes:
    """x float32 [?] reshaped to [2, 3]: onnxruntime fails unless x has 6 elements."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["y"])],
        "failing_reshape",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        initializer=[numpy_helper.from_array(np.array([2, 3], dtype=np.int64), "shape")],
    )
    return _model(graph)


def int_input() -> bytes:
    """k int64 [1, 2] -> doubled (an integer input)."""
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Add", ["k", "k"], ["twice"])],
        "int_input",
        [helper.make_tensor_value_info("k", TensorProto.INT64, [1, 2])],
        [helper.make_tensor_value_info("twice", TensorProto.INT64, [1, 2])],
    )
    return _model(graph)
