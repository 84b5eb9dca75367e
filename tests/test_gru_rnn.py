"""End to end for GRU and RNN layers: ercc → g++ C simulation, against onnxruntime.

Block size 1 must compute the model itself; block size K the model whose W and
R are block-circulant projected (`project_recurrent_weights`).
"""

from __future__ import annotations

import numpy as np
import pytest
from models import export_torch_gru_classifier, make_gru_model, make_rnn_model
from test_end_to_end import TOL, _compare

DIRECTIONS = ["forward", "reverse", "bidirectional"]


def _feeds(model) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {
        i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim]).astype(np.float32)
        for i in model.graph.input
    }


@pytest.mark.parametrize("block_size", [1, 4])
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("linear_before_reset", [0, 1])
def test_gru_matches_onnxruntime(tmp_path, linear_before_reset, direction, block_size):
    path = tmp_path / "gru.onnx"
    model = make_gru_model(
        path, T=6, I=5, H=8, direction=direction, initial_state=True,
        linear_before_reset=linear_before_reset,
    )
    err = _compare(path, _feeds(model), block_size)
    print(f"GRU lbr={linear_before_reset} {direction} K={block_size}: max abs err {err:.3g}")
    assert err <= TOL


@pytest.mark.parametrize("block_size", [1, 4])
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_rnn_matches_onnxruntime(tmp_path, direction, block_size):
    path = tmp_path / "rnn.onnx"
    model = make_rnn_model(path, T=6, I=5, H=8, direction=direction, initial_state=True)
    err = _compare(path, _feeds(model), block_size)
    print(f"RNN {direction} K={block_size}: max abs err {err:.3g}")
    assert err <= TOL


def test_gru_clip_and_activations(tmp_path):
    """clip and non-default activations (with alpha/beta defaults) in both directions."""
    path = tmp_path / "gru_clip.onnx"
    model = make_gru_model(
        path, T=5, I=3, H=4, direction="bidirectional", clip=0.7, linear_before_reset=1,
        activations=["HardSigmoid", "Tanh", "Sigmoid", "Softsign"],
    )
    assert _compare(path, _feeds(model), 1) <= TOL


def test_rnn_relu_clip(tmp_path):
    path = tmp_path / "rnn_relu.onnx"
    model = make_rnn_model(path, T=5, I=3, H=4, clip=1.5, activations=["Relu"])
    assert _compare(path, _feeds(model), 1) <= TOL


@pytest.fixture(scope="module")
def torch_gru_classifier(tmp_path_factory):
    path = tmp_path_factory.mktemp("torch_gru") / "gru.onnx"
    export_torch_gru_classifier(path)
    return path


@pytest.mark.parametrize("block_size", [1, 8])
def test_torch_gru_classifier(torch_gru_classifier, block_size):
    x = np.random.default_rng(block_size).standard_normal((1, 20, 13)).astype(np.float32)
    err = _compare(torch_gru_classifier, {"x": x}, block_size)
    print(f"torch nn.GRU classifier K={block_size}: max abs err {err:.3g}")
    assert err <= TOL
