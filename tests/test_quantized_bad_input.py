"""Quantized graph forms ercc refuses (issue 18): one line naming the node, exit code 2, nothing written.

The models are built with onnx.helper (no torch, no Brevitas): a float LSTM whose W comes from a
QONNX `Quant` (as Brevitas writes it) or whose X passes a QuantizeLinear → DequantizeLinear pair.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

import ercc
from ercc.errors import ErccError

T, I, H = 4, 3, 4
QONNX = "qonnx.custom_op.general"


def _model(nodes, inits, x_name="X", opsets=(("", 14), (QONNX, 1))) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    R = (rng.standard_normal((1, 4 * H, H)) * 0.3).astype(np.float32)
    lstm = helper.make_node("LSTM", [x_name, "W_q", "R"], ["Y"], hidden_size=H, name="lstm")
    graph = helper.make_graph(
        [*nodes, lstm], "g",
        [helper.make_tensor_value_info("X", onnx.TensorProto.FLOAT, [T, 1, I])],
        [helper.make_tensor_value_info("Y", onnx.TensorProto.FLOAT, [T, 1, 1, H])],
        [numpy_helper.from_array(R, "R"), *inits],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets], ir_version=10)


def _quant_weight_model(bits=8.0, zero=0.0, scale=0.05, **attrs) -> onnx.ModelProto:
    rng = np.random.default_rng(1)
    W = (rng.standard_normal((1, 4 * H, I)) * 0.3).astype(np.float32)
    attrs = {"signed": 1, "narrow": 1, "rounding_mode": "ROUND", **attrs}
    quant = helper.make_node("Quant", ["W", "s", "z", "b"], ["W_q"], domain=QONNX, name="w_quant", **attrs)
    inits = [numpy_helper.from_array(np.asarray(v, np.float32), n) for n, v in
             (("W", W), ("s", scale), ("z", zero), ("b", bits))]
    return _model([quant], inits)


def test_qonnx_quant_weight_is_folded_exactly():
    model = _quant_weight_model()
    compiled = ercc.compile(model, precision="float")
    W = numpy_helper.to_array(model.graph.initializer[1])
    expected = np.clip(np.rint(W / np.float32(0.05)), -127, 127) * np.float32(0.05)
    text = compiled.ir("rnn")
    assert "8 bits" in compiled.imported.quantized.weights[0]
    assert repr(float(expected.reshape(-1)[0]))[:6] in text or f"{expected.reshape(-1)[0]:.6e}" in text


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"bits": 40.0}, r"node 'w_quant' \(Quant\): bit width \[40.0\] cannot be represented \(an integer in \[2, 32\]\)"),
        ({"bits": 4.5}, r"node 'w_quant' \(Quant\): bit width \[4.5\] cannot be represented"),
        ({"zero": 3.0}, r"node 'w_quant' \(Quant\): zero point \[3.0\] is not supported \(only 0: symmetric quantizers\)"),
        ({"scale": -0.5}, r"node 'w_quant' \(Quant\): scales must be positive and finite"),
        ({"scale": np.ones(7)}, r"node 'w_quant' \(Quant\): scale of shape \[7\] does not broadcast"),
        ({"clip_mode": 1}, r"node 'w_quant' \(Quant\): unknown quantizer attribute 'clip_mode'"),
        ({"rounding_mode": "STOCHASTIC"}, r"node 'w_quant' \(Quant\): rounding mode 'STOCHASTIC' is not supported"),
    ],
)
def test_bad_qonnx_quant(kwargs, message):
    with pytest.raises(ErccError, match=message):
        ercc.compile(_quant_weight_model(**kwargs), precision="float")


def _qdq_input_model(dq_scale=0.05, zero_type=np.int8, scale_shape=()) -> onnx.ModelProto:
    rng = np.random.default_rng(2)
    W = (rng.standard_normal((1, 4 * H, I)) * 0.3).astype(np.float32)
    q = helper.make_node("QuantizeLinear", ["X", "xs", "xz"], ["X_q"], name="x_q")
    dq = helper.make_node("DequantizeLinear", ["X_q", "xs2", "xz"], ["X_dq"], name="x_dq")
    inits = [
        numpy_helper.from_array(W, "W_q"),
        numpy_helper.from_array(np.full(scale_shape, 0.05, np.float32), "xs"),
        numpy_helper.from_array(np.full(scale_shape, dq_scale, np.float32), "xs2"),
        numpy_helper.from_array(np.zeros(scale_shape, zero_type), "xz"),
    ]
    return _model([q, dq], inits, x_name="X_dq", opsets=(("", 14),))


def test_qdq_input_quantizer_matches_onnxruntime():
    import onnxruntime

    model = _qdq_input_model()
    compiled = ercc.compile(model, precision="float")
    assert "fix.quant" in compiled.ir("cells")
    x = (np.random.default_rng(3).standard_normal((T, 2, I)) * 3).astype(np.float32)
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    expected = np.concatenate([session.run(None, {"X": x[:, b : b + 1]})[0] for b in range(2)], axis=2)
    np.testing.assert_allclose(compiled.predict({"X": x})["Y"], expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dq_scale": 0.1}, r"node 'x_q' \(QuantizeLinear\): inconsistent scales: quantizes with scale 0.0500000007,"
                            r" zero point 0 but 'x_dq' dequantizes with 0.100000001, 0"),
        ({"scale_shape": (3,)}, r"node 'x_q' \(QuantizeLinear\): activation scale \[3\] / zero point \[3\]: only one per tensor"),
        ({"zero_type": np.int32}, r"node 'x_q' \(QuantizeLinear\): quantized type int32 is not supported"),
    ],
)
def test_bad_qdq(kwargs, message):
    with pytest.raises(ErccError, match=message):
        ercc.compile(_qdq_input_model(**kwargs), precision="float")


def test_cli_exit_2_one_line_nothing_written(tmp_path):
    path, out = tmp_path / "bad.onnx", tmp_path / "kernel.cpp"
    onnx.save(_quant_weight_model(bits=40.0), path)
    run = subprocess.run([sys.executable, "-m", "ercc", str(path), "-o", str(out)], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"ercc: error: {path}: node 'w_quant' (Quant): bit width [40.0] cannot be represented (an integer in [2, 32])"
    ]
    assert not out.exists()


def test_dynamo_empty_graph_is_diagnosed():
    """What export_qonnx(dynamo=True) writes for a QuantLSTM: no nodes, zero initializers as outputs."""
    graph = helper.make_graph(
        [], "empty",
        [helper.make_tensor_value_info("inp", onnx.TensorProto.FLOAT, [1, 4, 3])],
        [helper.make_tensor_value_info("zeros", onnx.TensorProto.FLOAT, [1, 4, 8])],
        [numpy_helper.from_array(np.zeros((1, 4, 8), np.float32), "zeros")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    with pytest.raises(ErccError, match=r"the graph has no nodes \(torch's dynamo exporter writes an empty graph"):
        ercc.compile(model, precision="float")
