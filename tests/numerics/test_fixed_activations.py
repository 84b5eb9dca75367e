"""Every activation the frontend accepts, in fixed point: reference executor == C simulation.

One merged model holds an RNN per activation (with the non-default alpha/beta
of tests/test_recurrent_matrix.py); it is compiled with `--precision fixed`,
C-simulated and run by `ercc.interpreters` on ordinary and saturating
inputs: 0 mismatching elements. At 16 bits the outputs stay close to the float
kernel's. `-m slow` adds LSTMs with each activation in the g/h slots and a
narrower datapath.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from models import run_onnxruntime
from test_recurrent_matrix import _BY_ID, ACTIVATIONS, _merged

from ercc.backends.hls.csim import build_csim
from ercc.compiler.pipeline import CompileOptions, compile_model
from ercc.interpreters.reference import ReferenceExecutor

SCALES = [0.1, 1.0, 4.0, 100.0]
RNN_IDS = [f"rnn-act-{n}" for n in ACTIVATIONS]
LSTM_IDS = [f"lstm-gh-{n}" for n in ACTIVATIONS if n not in ("Sigmoid", "Tanh")]


class Kernels:
    """(model ids, weight bits, act bits) → (imported, csim program, model path), built on first use."""

    def __init__(self, root):
        self.root, self.built = root, {}

    def get(self, ids: tuple[str, ...], weight_bits: int, act_bits: int):
        key = (ids, weight_bits, act_bits)
        if key not in self.built:
            path = self.root / f"act{len(self.built)}.onnx"
            onnx.save(_merged([_BY_ID[i] for i in ids]), path)
            options = CompileOptions(precision="fixed", weight_bits=weight_bits, act_bits=act_bits)
            imported, kernel = compile_model(path, options)
            self.built[key] = imported, build_csim(kernel), path
        return self.built[key]


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    return Kernels(tmp_path_factory.mktemp("fixed_act"))


def _onnxruntime(path, program, xs: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The float oracle, one sequence at a time, stacked like the kernel's outputs."""
    runs = [run_onnxruntime(path, {p.name: x[i] for p, x in zip(program.kernel.inputs, xs)}) for i in range(len(xs[0]))]
    return {k: np.stack([r[k] for r in runs]) for k in runs[0]}


def _inputs(program, scale: float, seed: int, n: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((n, *p.shape)) * scale).astype(np.float32) for p in program.kernel.inputs]


def _check(kernels: Kernels, ids, weight_bits: int, act_bits: int, scale: float) -> None:
    imported, program, _ = kernels.get(tuple(ids), weight_bits, act_bits)
    xs = _inputs(program, scale, int(scale * 10))
    for g, w, port in zip(program.run(xs), ReferenceExecutor(imported.module).run_batch(xs), program.kernel.outputs):
        bad = int(np.sum(g != w))
        assert bad == 0, f"{port.name}: {bad} of {g.size} elements differ"


@pytest.mark.parametrize("scale", SCALES)
def test_every_activation_reference_equals_csim(kernels, scale):
    _check(kernels, RNN_IDS, 16, 16, scale)


@pytest.mark.slow
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("ids,weight_bits,act_bits", [(RNN_IDS, 10, 12), (LSTM_IDS, 16, 16), (LSTM_IDS, 12, 10)])
def test_every_activation_reference_equals_csim_sweep(kernels, ids, weight_bits, act_bits, scale):
    _check(kernels, ids, weight_bits, act_bits, scale)


def test_every_activation_is_close_to_float_at_16_bits(kernels):
    imported, program, path = kernels.get(tuple(RNN_IDS), 16, 16)
    xs = _inputs(program, 1.0, 3)
    want = _onnxruntime(path, program, xs)
    for f, port in zip(program.run(xs), program.kernel.outputs):
        err = float(np.max(np.abs(f - want[port.name])))
        assert err < 1e-2, f"{port.name}: max error {err}"
