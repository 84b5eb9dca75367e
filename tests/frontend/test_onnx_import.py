"""ONNX frontend: helper-built and torch-exported models → verified `rnn` modules."""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
import pytest
from models import IR_VERSION, make_gru_model, make_lstm_model, make_rnn_model, run_onnxruntime
from onnx import TensorProto, helper, numpy_helper
from xdsl.dialects import func

from ercc.dialects import rnn
from ercc.dialects.rnn import shape_of
from ercc.errors import ErccError
from ercc.frontends.onnx_import import ImportedModel, TensorSpec, import_onnx


def _func(imported: ImportedModel) -> func.FuncOp:
    (fn,) = imported.module.ops
    assert isinstance(fn, func.FuncOp)
    return fn


def _op_counts(imported: ImportedModel) -> Counter[str]:
    return Counter(op.name for op in _func(imported).walk() if op is not _func(imported))


def _signature(imported: ImportedModel) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    ft = _func(imported).function_type
    return [shape_of(t) for t in ft.inputs], [shape_of(t) for t in ft.outputs]


def _set_input(node: onnx.NodeProto, index: int, name: str) -> None:
    while len(node.input) <= index:
        node.input.append("")
    node.input[index] = name


def _lstm_op(imported: ImportedModel) -> rnn.LSTMOp:
    (op,) = [op for op in _func(imported).walk() if isinstance(op, rnn.LSTMOp)]
    return op


# --------------------------------------------------------------------------- #
# Helper-built single LSTM nodes
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("initial_state", [True, False])
def test_single_lstm_layout0(direction, bias, initial_state):
    D = 2 if direction == "bidirectional" else 1
    model = make_lstm_model(
        T=5, I=3, H=4, batch="B", direction=direction, bias=bias, initial_state=initial_state
    )
    imported = import_onnx(model)
    imported.module.verify()

    counts = _op_counts(imported)
    assert counts["rnn.lstm"] == 1
    assert counts["arith.constant"] == 2 + bias  # W, R (, B)
    assert set(counts) == {"rnn.lstm", "arith.constant", "func.return"}
    lstm = _lstm_op(imported)
    assert lstm.direction.data == direction
    assert (lstm.B is not None) == bias and (lstm.initial_h is not None) == initial_state

    state = TensorSpec("initial_h", (D, 1, 4), batch_axis=1, seq_axis=None)
    expected_inputs = [TensorSpec("X", (5, 1, 3), batch_axis=1, seq_axis=0)]
    if initial_state:
        expected_inputs += [state, TensorSpec("initial_c", (D, 1, 4), 1, None)]
    assert imported.inputs == expected_inputs
    assert imported.outputs == [
        TensorSpec("Y", (5, D, 1, 4), batch_axis=2, seq_axis=None),
        TensorSpec("Y_h", (D, 1, 4), batch_axis=1, seq_axis=None),
    ]
    assert _signature(imported) == ([s.shape for s in expected_inputs], [(5, D, 1, 4), (D, 1, 4)])
    fn = _func(imported)
    assert [a.data for a in fn.attributes["ercc.input_names"]] == [s.name for s in expected_inputs]
    assert [a.data for a in fn.attributes["ercc.output_names"]] == ["Y", "Y_h"]
    assert fn.body.block.args[0].name_hint == "X"


@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
def test_layout1_is_wrapped_in_transposes(direction):
    D = 2 if direction == "bidirectional" else 1
    imported = import_onnx(
        make_lstm_model(T=6, I=3, H=4, batch="B", layout=1, direction=direction, initial_state=True)
    )
    imported.module.verify()
    # X, initial_h, initial_c in; Y, Y_h out (Y_c is not a node output).
    assert _op_counts(imported)["rnn.transpose"] == 5
    lstm = _lstm_op(imported)
    assert shape_of(lstm.X) == (6, 1, 3) and shape_of(lstm.initial_h) == (D, 1, 4)
    assert imported.inputs[0] == TensorSpec("X", (1, 6, 3), batch_axis=0, seq_axis=1)
    assert imported.inputs[1] == TensorSpec("initial_h", (1, D, 4), batch_axis=0, seq_axis=None)
    assert [(o.shape, o.batch_axis) for o in imported.outputs] == [((1, 6, D, 4), 0), ((1, D, 4), 0)]


def test_lstm_attributes_are_imported():
    imported = import_onnx(
        make_lstm_model(
            clip=2.5,
            input_forget=True,
            peepholes=True,
            activations=["HardSigmoid", "LeakyRelu", "tanh"],
            activation_alpha=[0.3, 0.05],
            activation_beta=[0.6],
        )
    )
    imported.module.verify()
    lstm = _lstm_op(imported)
    assert lstm.clip is not None and lstm.clip.value.data == 2.5
    assert lstm.input_forget is not None and lstm.P is not None
    acts = [(a.kind.data, a.alpha.value.data, a.beta.value.data) for a in lstm.activations]
    assert acts == [
        ("hard_sigmoid", pytest.approx(0.3), pytest.approx(0.6)),
        ("leaky_relu", pytest.approx(0.05), 0.0),
        ("tanh", 0.0, 0.0),
    ]


def test_default_activations_per_direction():
    lstm = _lstm_op(import_onnx(make_lstm_model(direction="bidirectional")))
    assert [a.kind.data for a in lstm.activations] == ["sigmoid", "tanh", "tanh"] * 2


def test_dynamic_sequence_length_uses_seq_len():
    model = make_lstm_model(T=None, batch="B")
    imported = import_onnx(model, seq_len=7)
    assert imported.inputs[0].shape == (7, 1, 3)
    assert imported.outputs[0].shape == (7, 1, 1, 4)
    with pytest.raises(ErccError, match="dynamic sequence length: pass --seq-len"):
        import_onnx(model)


def test_static_sequence_length_conflicts_with_seq_len():
    with pytest.raises(ErccError, match="--seq-len 9 conflicts with the static sequence length 5"):
        import_onnx(make_lstm_model(T=5), seq_len=9)


def test_full_length_constant_sequence_lens_is_dropped():
    model = make_lstm_model(T=5)
    model.graph.initializer.append(numpy_helper.from_array(np.array([5], np.int32), "lens"))
    _set_input(model.graph.node[0], 4, "lens")
    imported = import_onnx(model)
    assert _op_counts(imported)["arith.constant"] == 3


# --------------------------------------------------------------------------- #
# Heads and data-movement ops
# --------------------------------------------------------------------------- #


def _with_head(nodes, inits, outputs, **lstm_options) -> onnx.ModelProto:
    """An LSTM (T=5, H=4) followed by `nodes`; graph outputs replaced by `outputs`.

    `outputs` maps names to shapes; None lets ONNX shape inference fill the shape in.
    """
    model = make_lstm_model(T=5, I=3, H=4, **lstm_options)
    model.graph.node.extend(nodes)
    model.graph.initializer.extend(numpy_helper.from_array(v, k) for k, v in inits.items())
    if any(shape is None for shape in outputs.values()):
        inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
        known = {vi.name: vi for vi in inferred.graph.value_info}
    del model.graph.output[:]
    for name, shape in outputs.items():
        vi = known[name] if shape is None else helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
        model.graph.output.append(vi)
    onnx.checker.check_model(model)
    return model


def _f32(*shape):
    return np.random.default_rng(1).standard_normal(shape).astype(np.float32)


def _i64(*values):
    return np.array(values, np.int64)


def test_head_ops_are_imported_with_static_shapes():
    node = helper.make_node
    model = _with_head(
        [
            node("Squeeze", ["Y", "ax1"], ["y3"]),  # [5, 1, 4]
            node("Slice", ["y3", "start", "end", "ax0"], ["tail"]),  # last 2 steps [2, 1, 4]
            node("Gather", ["y3", "minus1"], ["last"], axis=0),  # scalar index: [1, 4]
            node("Gather", ["y3", "minus1_1d"], ["last3"], axis=0),  # 1-D index: [1, 1, 4]
            node("Flatten", ["tail"], ["flat"], axis=1),  # [2, 4]
            node("Concat", ["flat", "last"], ["cat"], axis=-2),  # [3, 4]
            node("MatMul", ["cat", "Wm"], ["mm"]),  # [3, 6]
            node("Add", ["mm", "bm"], ["add"]),
            node("Mul", ["add", "add"], ["mul"]),
            node("Sub", ["mul", "bm"], ["sub"]),
            node("LeakyRelu", ["sub"], ["lrelu"], alpha=0.2),
            node("Gemm", ["lrelu", "Wg", "bg"], ["gemm"], transB=1, alpha=0.5),  # [3, 2]
            node("Transpose", ["gemm"], ["tr"]),  # [2, 3]
            node("Unsqueeze", ["tr", "ax0"], ["un"]),  # [1, 2, 3]
            node("Dropout", ["un"], ["drop"]),
            node("Identity", ["drop"], ["ident"]),
            node("LogSoftmax", ["ident"], ["out"], axis=-1),
            node("Softmax", ["last3"], ["probs"]),
        ],
        {
            "ax0": _i64(0), "ax1": _i64(1), "start": _i64(-2), "end": _i64(100), "minus1": np.array(-1, np.int64),
            "minus1_1d": _i64(-1),
            "Wm": _f32(4, 6), "bm": _f32(6), "Wg": _f32(2, 6), "bg": _f32(2),
        },
        {"out": None, "probs": None},
    )
    imported = import_onnx(model)
    imported.module.verify()
    counts = _op_counts(imported)
    for kind, n in {
        "rnn.reshape": 4, "rnn.slice": 3, "rnn.concat": 1, "rnn.matmul": 1, "rnn.add": 1,
        "rnn.mul": 1, "rnn.sub": 1, "rnn.activation": 1, "rnn.gemm": 1, "rnn.transpose": 1,
        "rnn.log_softmax": 1, "rnn.softmax": 1,
    }.items():
        assert counts[kind] == n, kind
    slices = [op for op in _func(imported).walk() if isinstance(op, rnn.SliceOp)]
    assert sorted(list(s.offsets.get_values()) for s in slices) == [[3, 0, 0], [4, 0, 0], [4, 0, 0]]
    (act,) = [op for op in _func(imported).walk() if isinstance(op, rnn.ActivationOp)]
    assert act.fn.kind.data == "leaky_relu" and act.fn.alpha.value.data == pytest.approx(0.2)
    assert _signature(imported)[1] == [(1, 2, 3), (1, 1, 4)]
    assert [o.batch_axis for o in imported.outputs] == [None, 1]


def test_integer_initializers_are_consumed_not_emitted():
    model = _with_head(
        [helper.make_node("Reshape", ["Y_h", "shape"], ["flat"])], {"shape": _i64(1, -1)}, {"flat": None}
    )
    imported = import_onnx(model)
    constants = [op for op in _func(imported).walk() if op.name == "arith.constant"]
    assert len(constants) == 3  # W, R, B: the shape never reaches the IR
    # Y_h is [D, batch, H]: flattening to [1, -1] puts the batch into axis 1.
    assert imported.outputs == [TensorSpec("flat", (1, 4), batch_axis=1, seq_axis=None)]


# --------------------------------------------------------------------------- #
# Torch exports
# --------------------------------------------------------------------------- #

TORCH_CASES = [
    dict(num_layers=1, batch_first=True),
    dict(num_layers=2, batch_first=True),
    dict(num_layers=2, batch_first=False),
    dict(num_layers=2, batch_first=True, dynamo=True),
    dict(num_layers=1, batch_first=False, dynamo=True),
]


@pytest.mark.parametrize("options", TORCH_CASES, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_torch_classifier(torch_lstm_classifier, options):
    path = torch_lstm_classifier(**options)
    seq_len = None if options.get("dynamo") else 20
    imported = import_onnx(path, seq_len=seq_len, top="classifier")
    imported.module.verify()
    assert _func(imported).sym_name.data == "classifier"

    counts = _op_counts(imported)
    assert counts["rnn.lstm"] == options["num_layers"]
    assert counts["rnn.gemm"] == 1
    assert set(counts) <= {
        "rnn.lstm", "rnn.gemm", "rnn.transpose", "rnn.reshape", "rnn.slice",
        "arith.constant", "func.return",
    }
    batch_first = options["batch_first"]
    x_shape = (1, 20, 13) if batch_first else (20, 1, 13)
    x_axes = (0, 1) if batch_first else (1, 0)
    (x,) = imported.inputs
    assert (x.name, x.shape, (x.batch_axis, x.seq_axis)) == ("x", x_shape, x_axes)
    (logits,) = imported.outputs
    # The legacy export keeps a dynamic batch; dynamo bakes batch 1 into its reshapes.
    assert (logits.name, logits.shape) == ("logits", (1, 10))
    assert logits.batch_axis == (None if options.get("dynamo") else 0)
    assert _signature(imported) == ([x_shape], [(1, 10)])


def test_canonical_torch_model_computes_the_same(torch_lstm_classifier):
    path = torch_lstm_classifier(num_layers=2, batch_first=True)
    imported = import_onnx(path, seq_len=20)
    static_ops = {n.op_type for n in imported.model.graph.node}
    assert static_ops.isdisjoint({"Shape", "ConstantOfShape", "Expand", "Concat", "Unsqueeze"})
    assert imported.model.ir_version <= IR_VERSION
    x = np.random.default_rng(0).standard_normal((1, 20, 13)).astype(np.float32)
    expected = run_onnxruntime(path, {"x": x})["logits"]
    got = run_onnxruntime(imported.model, {"x": x})["logits"]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- #
# Errors
# --------------------------------------------------------------------------- #


def test_missing_file(tmp_path):
    with pytest.raises(ErccError, match="no such file") as e:
        import_onnx(tmp_path / "absent.onnx")
    assert e.value.file == str(tmp_path / "absent.onnx")


def test_not_an_onnx_file(tmp_path):
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\xff\xfe not a protobuf \x00\x01")
    with pytest.raises(ErccError, match="not an ONNX model"):
        import_onnx(path)


def test_checker_failure():
    model = make_lstm_model()
    model.graph.node[0].input[0] = "undefined_input"
    with pytest.raises(ErccError, match="invalid ONNX model") as e:
        import_onnx(model)
    assert e.value.file == "<model>"


def test_no_recurrent_layer():
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=IR_VERSION)
    with pytest.raises(ErccError, match=r"no recurrent layer \(LSTM, GRU or RNN\) in the graph"):
        import_onnx(model)


def test_unsupported_op_names_node_and_op():
    model = _with_head([helper.make_node("Cos", ["Y"], ["c"], name="cos_0")], {}, {"c": None})
    with pytest.raises(ErccError, match="operator 'Cos' is not supported") as e:
        import_onnx(model)
    assert e.value.node == "node 'cos_0' (Cos)"


def test_gru_imports_with_its_attributes():
    model = make_gru_model(
        direction="bidirectional", linear_before_reset=1, clip=1.5,
        activations=["HardSigmoid", "Tanh", "Sigmoid", "Relu"],
    )
    (op,) = [op for op in _func(import_onnx(model)).walk() if isinstance(op, rnn.GRUOp)]
    assert op.linear_before_reset is not None
    assert op.clip is not None and op.clip.value.data == 1.5
    assert [a.activation for a in op.activations.data] == [
        rnn.ActivationKind.HARD_SIGMOID, rnn.ActivationKind.TANH,
        rnn.ActivationKind.SIGMOID, rnn.ActivationKind.RELU,
    ]
    assert shape_of(op.W) == (2, 12, 3) and shape_of(op.Y_h) == (2, 1, 4)


def test_rnn_imports_layout_1():
    model = make_rnn_model(layout=1, batch=1, initial_state=True)
    imported = import_onnx(model)
    (op,) = [op for op in _func(imported).walk() if isinstance(op, rnn.RNNOp)]
    assert [a.activation for a in op.activations.data] == [rnn.ActivationKind.TANH]
    assert _op_counts(imported)["rnn.transpose"] == 4  # X, initial_h in; Y, Y_h out


def test_gru_weight_shape_is_checked():
    model = make_gru_model()
    R = next(t for t in model.graph.initializer if t.name == "R")
    R.CopyFrom(numpy_helper.from_array(_f32(1, 16, 4), "R"))
    with pytest.raises(ErccError, match=r"weight 'R' has shape \[1, 16, 4\], expected \[1, 12, 4\]") as e:
        import_onnx(model)
    assert e.value.node == "node 'gru_0' (GRU)"


def test_weight_that_is_not_an_initializer():
    with pytest.raises(ErccError, match="weight input 'W' is not a constant initializer") as e:
        import_onnx(make_lstm_model(weights_as_inputs=True))
    assert e.value.node == "node 'lstm_0' (LSTM)"


def test_dynamic_feature_dimension():
    model = make_lstm_model()
    model.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "features"
    with pytest.raises(ErccError, match="dynamic dimension 2 \\('features'\\)"):
        import_onnx(model)


def test_shape_inference_failure():
    model = _with_head([helper.make_node("Add", ["Y", "bad"], ["s"])], {"bad": _f32(3)}, {"s": [5, 1, 1, 3]})
    with pytest.raises(ErccError, match="shape inference failed"):
        import_onnx(model)


def test_variable_sequence_lens_is_a_kernel_input():
    model = make_lstm_model(T=5)
    model.graph.input.append(helper.make_tensor_value_info("lens", TensorProto.INT32, [1]))
    _set_input(model.graph.node[0], 4, "lens")
    imported = import_onnx(model)
    assert imported.inputs[-1] == TensorSpec("lens", (1,), batch_axis=0, seq_axis=None, dtype="int32")


def test_sequence_lens_must_be_int32():
    model = make_lstm_model(T=5)
    model.graph.input.append(helper.make_tensor_value_info("lens", TensorProto.FLOAT, [1]))
    _set_input(model.graph.node[0], 4, "lens")
    with pytest.raises(ErccError, match="sequence_lens"):
        import_onnx(model)


def test_matmul_weight_must_be_2d_constant():
    model = _with_head(
        [helper.make_node("MatMul", ["Y", "W3"], ["m"], name="mm")], {"W3": _f32(5, 1, 4, 2)}, {"m": None}
    )
    with pytest.raises(ErccError, match="constant 2-D right operand") as e:
        import_onnx(model)
    assert e.value.node == "node 'mm' (MatMul)"
