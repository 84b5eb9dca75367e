"""Recurrent models ercc cannot compile: exit code 2, one line naming node, op and input/attribute.

Through the CLI (`python -m ercc`), as a user would meet them.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from models import IR_VERSION, make_gru_model, make_lstm_model, make_rnn_model
from onnx import TensorProto, helper, numpy_helper
from test_cli import assert_user_error, ercc

LOOP_MESSAGE = "Loop/Scan recurrences are not supported: export the RNN as an ONNX LSTM/GRU/RNN op"


def _tanh_body(kind: str) -> onnx.GraphProto:
    """h_t = tanh(h_{t-1} + x_t) as a Loop body (no scan input) or a Scan body."""
    state = [helper.make_tensor_value_info("h_in", TensorProto.FLOAT, [1, 4])]
    if kind == "Loop":
        inputs = [
            helper.make_tensor_value_info("iter", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            *state,
        ]
        nodes = [helper.make_node("Identity", ["cond_in"], ["cond_out"]), helper.make_node("Tanh", ["h_in"], ["h_out"])]
        outputs = [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, [])]
    else:
        inputs = [*state, helper.make_tensor_value_info("x_t", TensorProto.FLOAT, [1, 4])]
        nodes = [helper.make_node("Add", ["h_in", "x_t"], ["a"]), helper.make_node("Tanh", ["a"], ["h_out"])]
        outputs = []
    outputs.append(helper.make_tensor_value_info("h_out", TensorProto.FLOAT, [1, 4]))
    return helper.make_graph(nodes, "body", inputs, outputs)


def _loop_model(kind: str) -> onnx.ModelProto:
    h0 = helper.make_tensor_value_info("h0", TensorProto.FLOAT, [1, 4])
    h = helper.make_tensor_value_info("h", TensorProto.FLOAT, [1, 4])
    if kind == "Loop":
        node = helper.make_node("Loop", ["trip", "cond", "h0"], ["h"], name="unrolled_rnn", body=_tanh_body(kind))
        inits = [numpy_helper.from_array(np.array(5, np.int64), "trip"), numpy_helper.from_array(np.array(True), "cond")]
        inputs = [h0]
    else:
        node = helper.make_node(
            "Scan", ["h0", "xs"], ["h"], name="unrolled_rnn", body=_tanh_body(kind), num_scan_inputs=1
        )
        inits = []
        inputs = [h0, helper.make_tensor_value_info("xs", TensorProto.FLOAT, [5, 1, 4])]
    graph = helper.make_graph([node], "g", inputs, [h], inits)
    model = helper.make_model(graph, ir_version=IR_VERSION, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


@pytest.mark.parametrize("kind", ["Loop", "Scan"])
def test_loop_or_scan_recurrence(tmp_path, kind):
    path = tmp_path / f"{kind.lower()}.onnx"
    onnx.save(_loop_model(kind), path)
    out = tmp_path / "k.cpp"
    assert_user_error(ercc(path, "-o", out), path.name, "'unrolled_rnn'", f"({kind})", LOOP_MESSAGE)
    assert not out.exists()


def test_loop_next_to_an_lstm(tmp_path):
    """A Loop is refused by name even when the graph has a real recurrent layer too."""
    path = tmp_path / "lstm_loop.onnx"
    model = make_lstm_model(T=5, I=3, H=4)
    loop = _loop_model("Loop")
    model.graph.node.extend(loop.graph.node)
    model.graph.initializer.extend(loop.graph.initializer)
    model.graph.input.extend(loop.graph.input)
    model.graph.output.extend(loop.graph.output)
    onnx.save(model, path)
    assert_user_error(ercc(path, "-o", tmp_path / "k.cpp"), "'unrolled_rnn'", "(Loop)", LOOP_MESSAGE)


@pytest.mark.parametrize(
    "make,acts,node,op",
    [
        (make_lstm_model, ["Sigmoid", "Gelu", "Tanh"], "lstm_0", "LSTM"),
        (make_gru_model, ["Sigmoid", "Swish"], "gru_0", "GRU"),
        (make_rnn_model, ["Mish"], "rnn_0", "RNN"),
    ],
)
def test_activation_outside_the_spec(tmp_path, make, acts, node, op):
    path = tmp_path / "act.onnx"
    make(path, activations=acts)
    bad = next(a for a in acts if a not in ("Sigmoid", "Tanh"))
    assert_user_error(
        ercc(path, "-o", tmp_path / "k.cpp"), f"'{node}'", f"({op})", "attribute 'activations'", f"'{bad}'"
    )


def test_weight_as_graph_input(tmp_path):
    path = tmp_path / "w_input.onnx"
    make_lstm_model(path, weights_as_inputs=True)
    assert_user_error(ercc(path, "-o", tmp_path / "k.cpp"), "'lstm_0'", "(LSTM)", "'W'", "not a constant")


def test_weight_computed_from_an_input(tmp_path):
    """R = R0 * scale with scale a graph input: not foldable, so not a constant."""
    path = tmp_path / "r_computed.onnx"
    model = make_gru_model(T=4, I=3, H=4)
    for init in model.graph.initializer:
        if init.name == "R":
            init.name = "R0"
    model.graph.input.append(helper.make_tensor_value_info("scale", TensorProto.FLOAT, [1]))
    model.graph.node.insert(0, helper.make_node("Mul", ["R0", "scale"], ["R"], name="scale_r"))
    onnx.checker.check_model(model)
    onnx.save(model, path)
    assert_user_error(ercc(path, "-o", tmp_path / "k.cpp"), "'gru_0'", "(GRU)", "'R'", "not a constant")


def test_dynamic_feature_dimension(tmp_path):
    path = tmp_path / "feat.onnx"
    model = make_lstm_model(T=5, I=3, H=4)
    model.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "features"
    onnx.save(model, path)
    assert_user_error(ercc(path, "-o", tmp_path / "k.cpp"), "graph input 'X'", "dimension 2", "'features'")


def test_constant_initial_state_that_differs_per_sequence(tmp_path):
    """A batch-2 constant initial_h whose rows differ cannot be compiled for one sequence per call."""
    rng = np.random.default_rng(0)
    T, B, I, H = 4, 2, 3, 4
    inits = [
        numpy_helper.from_array(rng.standard_normal((1, 4 * H, I)).astype(np.float32), "W"),
        numpy_helper.from_array(rng.standard_normal((1, 4 * H, H)).astype(np.float32), "R"),
        numpy_helper.from_array(rng.standard_normal((1, B, H)).astype(np.float32), "h0"),
    ]
    node = helper.make_node("LSTM", ["X", "W", "R", "", "", "h0"], ["Y"], name="lstm_0", hidden_size=H)
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, B, I])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [T, 1, B, H])], inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = IR_VERSION
    path = tmp_path / "h0.onnx"
    onnx.save(model, path)
    assert_user_error(ercc(path, "-o", tmp_path / "k.cpp"), "'lstm_0'", "(LSTM)", "initial state 'h0'", "graph input")
