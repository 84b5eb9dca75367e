"""End to end: torch-exported LSTM classifiers → ercc → g++ C simulation, against onnxruntime.

At block size 1 the kernel must compute the model itself; at block size K it
must compute the model whose recurrent W and R are replaced by their
block-circulant projection (`project_recurrent_weights`), which onnxruntime runs.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from models import make_lstm_model, run_onnxruntime

from ercc.compiler.onnx_projection import project_recurrent_weights
from ercc.compiler.pipeline import CompileOptions
from ercc.compiler.simulate import simulate_arrays

TOL = 1e-4

# (exporter, layers, hidden size): 16 is a multiple of 4 and 8; 20 is not a
# multiple of 8 and 13 inputs are a multiple of neither, so padding is exercised.
MODELS = [
    ("legacy", 1, 16),
    ("legacy", 2, 20),
    ("dynamo", 1, 20),
    ("dynamo", 2, 16),
]


def _compare(path, feeds: dict[str, np.ndarray], block_size: int) -> float:
    model = onnx.load(path)
    if block_size > 1:
        model = project_recurrent_weights(model, block_size)
    expected = run_onnxruntime(model, feeds)
    got = simulate_arrays(path, feeds, CompileOptions(precision="float", block_size=block_size))
    assert set(got) == set(expected)
    worst = 0.0
    for name, want in expected.items():
        assert got[name].shape == want.shape, name
        worst = max(worst, float(np.abs(got[name] - want).max()))
    return worst


@pytest.mark.parametrize("exporter,layers,hidden", MODELS)
@pytest.mark.parametrize("block_size", [1, 4, 8])
def test_torch_classifier_matches_onnxruntime(torch_lstm_classifier, exporter, layers, hidden, block_size):
    path = torch_lstm_classifier(num_layers=layers, hidden_size=hidden, dynamo=exporter == "dynamo")
    x = np.random.default_rng(block_size).standard_normal((1, 20, 13)).astype(np.float32)
    assert _compare(path, {"x": x}, block_size) <= TOL


def test_batch_runs_once_per_sequence(torch_lstm_classifier):
    """A batch of 3 sequences gives onnxruntime's [3, classes] output."""
    path = torch_lstm_classifier(num_layers=1, hidden_size=16)
    x = np.random.default_rng(7).standard_normal((3, 11, 13)).astype(np.float32)
    assert _compare(path, {"x": x}, 4) <= TOL


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@pytest.mark.parametrize("block_size", [1, 2])
def test_helper_built_lstm_all_outputs(tmp_path, direction, block_size):
    """Y and Y_h of a bare LSTM node, every direction, initial states as kernel inputs."""
    path = tmp_path / "lstm.onnx"
    model = make_lstm_model(path, T=6, I=5, H=6, batch=2, direction=direction, initial_state=True)
    rng = np.random.default_rng(0)
    feeds = {
        i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim]).astype(np.float32)
        for i in model.graph.input
    }
    assert _compare(path, feeds, block_size) <= TOL
