"""Softmax and log-softmax in fixed point (ercc.numerics.softmax): reference == C simulation.

An LSTM whose Y_h (scaled by 6, so the logits spread over several units) feeds
Softmax and LogSoftmax along the hidden axis, and Y a Softmax along time:
csim and the reference executor agree bit for bit, and the outputs stay close
to the float kernel's.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from models import make_lstm_model, run_onnxruntime
from onnx import TensorProto, helper, numpy_helper

from ercc.backends.hls.csim import build_csim
from ercc.compiler.pipeline import CompileOptions, compile_model
from ercc.interpreters.reference import ReferenceExecutor
from ercc.numerics import softmax
from ercc.numerics.fixed import FixedFormat, from_float, to_float


def _heads(path) -> None:
    model = make_lstm_model(None, T=5, I=4, H=10, seed=3)
    g = model.graph
    g.initializer.append(numpy_helper.from_array(np.array(6.0, np.float32), "six"))
    g.node.extend([
        helper.make_node("Mul", ["Y_h", "six"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
        helper.make_node("LogSoftmax", ["logits"], ["logp"], axis=-1),
        helper.make_node("Softmax", ["Y"], ["time_probs"], axis=0),
    ])
    del g.output[:]
    shapes = {"probs": [1, 1, 10], "logp": [1, 1, 10], "time_probs": [5, 1, 1, 10]}
    g.output.extend(helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in shapes.items())
    onnx.save(model, path)


def _onnxruntime(path, program, xs: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The float oracle, one sequence at a time, stacked like the kernel's outputs."""
    runs = [run_onnxruntime(path, {p.name: x[i] for p, x in zip(program.kernel.inputs, xs)}) for i in range(len(xs[0]))]
    return {k: np.stack([r[k] for r in runs]) for k in runs[0]}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    path = tmp_path_factory.mktemp("softmax") / "heads.onnx"
    _heads(path)
    out = {}
    for bits in (16, 10):
        imported, kernel = compile_model(path, CompileOptions(precision="fixed", weight_bits=bits, act_bits=bits))
        out[bits] = imported, build_csim(kernel)
    return path, out


@pytest.mark.parametrize("scale", [0.3, 1.0, 30.0])
@pytest.mark.parametrize("bits", [16, 10])
def test_softmax_reference_equals_csim(compiled, bits, scale):
    imported, program = compiled[1][bits]
    rng = np.random.default_rng(int(scale * 10) + bits)
    xs = [(rng.standard_normal((4, *p.shape)) * scale).astype(np.float32) for p in program.kernel.inputs]
    for g, w, port in zip(program.run(xs), ReferenceExecutor(imported.module).run_batch(xs), program.kernel.outputs):
        assert int(np.sum(g != w)) == 0, port.name


def test_softmax_is_close_to_float_at_16_bits(compiled):
    path, out = compiled
    imported, program = out[16]
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((8, *p.shape)).astype(np.float32) for p in program.kernel.inputs]
    want = _onnxruntime(path, program, xs)
    # logp carries the logits' own error: 6 x the LSTM's (~3e-3 at 16 bits).
    tolerance = {"probs": 1e-2, "time_probs": 1e-2, "logp": 5e-2}
    for f, port in zip(program.run(xs), program.kernel.outputs):
        assert float(np.max(np.abs(f - want[port.name]))) < tolerance[port.name], port.name


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("n", [1, 2, 10, 33])
def test_design_error_on_exact_inputs(n, log):
    """The design alone (inputs exactly representable): max error vs float64 well under 1e-2 at 16 bits."""
    fmt = FixedFormat(16, 6, True, "AP_RND", "AP_SAT")
    rng = np.random.default_rng(n)
    raw = from_float(rng.standard_normal((200, n)) * 4, fmt)
    x = to_float(raw, fmt)
    y = to_float(softmax.run(raw, softmax.design(fmt, n, log), fmt, log), fmt)
    z = x - x.max(axis=-1, keepdims=True)
    want = z - np.log(np.exp(z).sum(-1, keepdims=True)) if log else np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    assert float(np.max(np.abs(y - want))) < 3e-3
