"""The reference runs the module at every stage of the pipeline, with the same results.

Each model is compiled with the module kept after import and after every
pass. Float stages agree within 1e-5 (float32 sums in a different order:
the FFT against the direct product); the block-circulant projection changes
the weights, so the dense stages (import, lower-rnn-layers) and the
block-circulant ones are compared within their own group; the
piecewise-linear activations of `activation-approximation` and then
`quantize` stay within 1e-2 of them. From `quantize` on, every stage gives
the same bits. The layer ops of the imported module
run as their lowering (`passes/layer_functions.py`).
"""

from __future__ import annotations

import numpy as np
import pytest
from models import make_gru_model, make_lstm_model

from ercc.compiler.pipeline import CompileOptions, compile_model
from ercc.interpreters.reference import ReferenceExecutor
from ercc.passes.layer_functions import LayerFunctions

DENSE = ["import", "lower-rnn-layers"]
CIRCULANT = ["circulant-substitution", "fft-decompose", "fuse-gate-macs"]
FIXED = ["quantize", "hoist-input-path", "pe-schedule"]


def _stages(path, options: CompileOptions) -> tuple[list[tuple[str, object]], list]:
    stages = []
    imported, _ = compile_model(
        path, options, after_each=lambda p, m: stages.append((p.name if p else "import", m.clone()))
    )
    return stages, imported.inputs


def _run(module, xs):
    return ReferenceExecutor(module, functions=[LayerFunctions()]).run_batch(xs)


@pytest.mark.parametrize("make,direction", [(make_lstm_model, "forward"), (make_gru_model, "bidirectional")],
                         ids=["lstm", "gru-bidirectional"])
def test_every_stage_gives_the_same_results(tmp_path, make, direction):
    path = tmp_path / "m.onnx"
    make(path, T=4, I=5, H=8, seed=3, direction=direction)
    stages, specs = _stages(path, CompileOptions(block_size=4))
    assert [n for n, _ in stages] == [*DENSE, *CIRCULANT, "activation-approximation", *FIXED]
    xs = [np.random.default_rng(1).standard_normal((2, *s.shape)).astype(np.float32) for s in specs]
    outs = {n: _run(m, xs) for n, m in stages}
    for group in (DENSE, CIRCULANT):
        for n in group[1:]:
            for got, want in zip(outs[n], outs[group[0]]):
                np.testing.assert_allclose(got, want, atol=1e-5, err_msg=n)
    for n in ("activation-approximation", "quantize"):
        for got, want in zip(outs[n], outs[CIRCULANT[-1]]):
            assert 0 < np.max(np.abs(got - want)) < 1e-2, n  # approximated: close, not equal
    for n in FIXED[1:]:
        for got, want in zip(outs[n], outs[FIXED[0]]):
            assert got.tobytes() == want.tobytes(), n


def test_layer_ops_need_their_implementation(tmp_path):
    """Without `LayerFunctions` the imported module's rnn.lstm has no implementation: one clear error."""
    from ercc.errors import ErccError

    path = tmp_path / "m.onnx"
    make_lstm_model(path, T=3, I=2, H=4)
    stages, specs = _stages(path, CompileOptions(precision="float"))
    xs = [np.zeros((1, *s.shape), np.float32) for s in specs]
    with pytest.raises(ErccError, match="rnn.lstm"):
        ReferenceExecutor(stages[0][1]).run_batch(xs)
