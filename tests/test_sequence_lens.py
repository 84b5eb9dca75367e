"""ONNX sequence_lens: per-sequence lengths for LSTM, GRU and RNN, C-simulated against onnxruntime.

onnxruntime's semantics (the oracle): steps t >= len give Y = 0 and leave the
state alone, Y_h / Y_c are the state after the last valid step (zero for
len 0), and the reverse direction runs len-1 down to 0. A sequence_lens graph
input becomes an int32 kernel input, one length per sequence; at block sizes 4 and 8
the oracle runs the block-circulant projected model.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from models import make_lstm_model, make_single_state_model, run_onnxruntime
from onnx import TensorProto, helper, numpy_helper

from ercc.compiler.onnx_projection import project_recurrent_weights
from ercc.compiler.pipeline import CompileOptions
from ercc.compiler.simulate import simulate_arrays
from ercc.errors import ErccError
from ercc.frontends.onnx_import import import_onnx

TOL = 1e-4
T, I, H = 5, 5, 8
LENS = [3, 0, 5, 1]  # shorter, empty, full and single-step sequences in one batch


def _model(op: str, direction: str, batch: int, lens: np.ndarray | None = None) -> onnx.ModelProto:
    """One recurrent node whose sequence_lens is a graph input `lens`, or the constant `lens`."""
    common = {"T": T, "I": I, "H": H, "batch": batch, "direction": direction, "initial_state": True, "seed": 3}
    if op == "LSTM":
        model = make_lstm_model(None, **common)
    else:
        model = make_single_state_model(op, None, **common)
    node = model.graph.node[0]
    while len(node.input) < 5:
        node.input.append("")
    node.input[4] = "lens"
    if lens is None:
        model.graph.input.append(helper.make_tensor_value_info("lens", TensorProto.INT32, [batch]))
    else:
        model.graph.initializer.append(numpy_helper.from_array(np.asarray(lens, np.int32), "lens"))
    if op == "LSTM":
        D = 2 if direction == "bidirectional" else 1
        node.output.append("Y_c")
        model.graph.output.append(helper.make_tensor_value_info("Y_c", TensorProto.FLOAT, [D, batch, H]))
    onnx.checker.check_model(model)
    return model


def _compare(tmp_path, model: onnx.ModelProto, feeds: dict[str, np.ndarray], block_size: int) -> dict[str, float]:
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    oracle = project_recurrent_weights(model, block_size) if block_size > 1 else model
    want = run_onnxruntime(oracle, feeds)
    got = simulate_arrays(path, feeds, CompileOptions(precision="float", block_size=block_size))
    assert set(got) == set(want)
    errors = {}
    for name, w in want.items():
        assert got[name].shape == w.shape, name
        errors[name] = float(np.abs(got[name] - w).max())
    return errors


def _feeds(model: onnx.ModelProto, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim]).astype(np.float32)
        for i in model.graph.input
        if i.type.tensor_type.elem_type == TensorProto.FLOAT
    }


@pytest.mark.parametrize("block_size", [1, 4, 8])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_sequence_lens_input_matches_onnxruntime(tmp_path, op, direction, block_size):
    model = _model(op, direction, batch=len(LENS))
    feeds = {**_feeds(model, block_size), "lens": np.array(LENS, np.int32)}
    errors = _compare(tmp_path, model, feeds, block_size)
    print(f"{op} {direction} K={block_size}: {errors}")
    assert max(errors.values()) <= TOL


@pytest.mark.parametrize("op", ["LSTM", "GRU"])
def test_constant_sequence_lens_matches_onnxruntime(tmp_path, op):
    """An initializer giving every sequence the same length becomes a constant operand."""
    model = _model(op, "bidirectional", batch=2, lens=np.array([2, 2]))
    errors = _compare(tmp_path, model, _feeds(model, 0), 1)
    assert max(errors.values()) <= TOL


def test_sequence_lens_input_is_an_int32_kernel_input():
    imported = import_onnx(_model("GRU", "forward", batch=3))
    spec = imported.inputs[-1]
    assert (spec.name, spec.shape, spec.batch_axis, spec.dtype) == ("lens", (1,), 0, "int32")
    text = str(imported.module)
    assert "lengths(%lens : tensor<1xi32>)" in text


def test_constant_sequence_lens_with_different_lengths_is_refused():
    with pytest.raises(ErccError, match="different lengths per sequence"):
        import_onnx(_model("RNN", "forward", batch=2, lens=np.array([2, 3])))


def test_constant_sequence_lens_out_of_range_is_refused():
    with pytest.raises(ErccError, match=r"sequence_lens 7 is outside \[0, 5\]"):
        import_onnx(_model("RNN", "forward", batch=1, lens=np.array([7])))
