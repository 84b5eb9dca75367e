"""hoist-input-path end to end: the hoisted, dataflow-scheduled kernels against onnxruntime and the unhoisted kernel.

The default pipeline hoists every recurrence's input path into an `rnn.map`;
the C simulation must still match onnxruntime, and be bit for bit the kernel
without the pass (the same ops on the same values).
"""

from __future__ import annotations

import numpy as np
import pytest
from models import make_gru_model, make_lstm_model, make_rnn_model
from test_end_to_end import TOL, _compare

from ercc.backends.hls.csim import build_csim
from ercc.backends.hls.rules import violations
from ercc.compiler.pipeline import CompileOptions, compile_model, default_passes
from ercc.dialects import rnn
from ercc.passes.hoist_input_path import HoistInputPath

MAKERS = {"LSTM": make_lstm_model, "GRU": make_gru_model, "RNN": make_rnn_model}


def _feeds(model) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {
        i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim]).astype(np.float32)
        for i in model.graph.input
    }


@pytest.mark.parametrize("block_size", [1, 8])
@pytest.mark.parametrize("cell", sorted(MAKERS))
def test_bidirectional_matches_onnxruntime(tmp_path, cell, block_size):
    path = tmp_path / "m.onnx"
    model = MAKERS[cell](path, T=6, I=5, H=8, direction="bidirectional", initial_state=True)
    options = CompileOptions(precision="float", block_size=block_size)
    imported, kernel = compile_model(path, options)
    maps = [op for op in imported.module.walk() if isinstance(op, rnn.MapOp)]
    assert len(maps) == 2  # one input path per direction
    # Both directions read x: no dataflow region until a splitter process exists (pe-schedule).
    assert "#pragma HLS dataflow" not in kernel.source and not violations(kernel.source)
    assert _compare(path, _feeds(model), block_size) <= TOL


@pytest.mark.parametrize(
    "direction,precision,block_size",
    [
        ("forward", "float", 4),
        ("reverse", "float", 4),
        # ap_fixed kernels take g++ tens of seconds to build
        pytest.param("forward", "fixed", 1, marks=pytest.mark.slow),
        pytest.param("reverse", "fixed", 8, marks=pytest.mark.slow),
    ],
)
def test_bit_identical_to_unhoisted(tmp_path, direction, precision, block_size):
    path = tmp_path / "lstm.onnx"
    model = make_lstm_model(path, T=7, I=5, H=8, direction=direction)
    options = CompileOptions(block_size=block_size, precision=precision)
    plain = [p for p in default_passes(options) if not isinstance(p, HoistInputPath)]
    hoisted = [*plain[:-1], HoistInputPath(), plain[-1]]  # just before pe-schedule
    x = _feeds(model)["X"].reshape(1, 7, 1, 5)
    outs = [build_csim(compile_model(path, options, passes=p)[1]).run([x]) for p in (hoisted, plain)]
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
