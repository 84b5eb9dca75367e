"""Helpers for the HLS backend tests: IR text with the dialects lowered kernels use, and C
simulations compared bit for bit."""

from __future__ import annotations

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, builtin, func
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser

from ercc.dialects.circ import CIRC
from ercc.dialects.rnn import RNN
from ercc.dialects.sched import SCHED

TOLERANCE = 1e-5


def parse(text: str) -> ModuleOp:
    """Parses IR text with the dialects lowered kernels use."""
    ctx = Context()
    for dialect in (builtin.Builtin, func.Func, arith.Arith, RNN, CIRC, SCHED):
        ctx.load_dialect(dialect)
    module = Parser(ctx, text).parse_module()
    module.verify()
    return module


def dense(values: np.ndarray) -> str:
    """An MLIR dense literal holding exactly the float32 `values`."""

    def fmt(a: np.ndarray) -> str:
        if a.ndim == 0:
            return repr(float(a))
        return "[" + ", ".join(fmt(x) for x in a) + "]"

    return f"dense<{fmt(np.asarray(values, dtype=np.float32))}>"


def tensor(shape: tuple[int, ...]) -> str:
    """The MLIR tensor type of an f32 array of `shape`."""
    return f"tensor<{'x'.join(map(str, shape))}{'x' if shape else ''}f32>"


def assert_same_csim(kernel, plain, module=None, precision: str = "fixed", batch: int = 3,
                     scales=(0.1, 1.0, 30.0)) -> None:
    """`kernel` and `plain` (the same model scheduled another way) give the same bits in C simulation
    on random inputs at several scales; with `module`, equal to ercc's reference too (in fixed point;
    within float tolerance otherwise)."""
    from ercc.backends.hls.csim import build_csim
    from ercc.interpreters.reference import ReferenceExecutor

    rng = np.random.default_rng(0)
    for scale in scales:
        xs = [(rng.standard_normal((batch, *p.shape)) * scale).astype(np.float32) for p in kernel.inputs]
        got, want = build_csim(kernel).run(xs), build_csim(plain).run(xs)
        ref = ReferenceExecutor(module).run_batch(xs) if module is not None else want
        for g, w, r in zip(got, want, ref):
            np.testing.assert_array_equal(g, w)
            if precision == "fixed":
                np.testing.assert_array_equal(g, r)
            else:
                np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-5)
