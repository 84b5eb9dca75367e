"""`circ` ops on the reference: the same arithmetic, in the same order, as the emitter's loops.

`circ.matvec` expands the defining vectors to the dense matrix and runs the
dense MAC; `circ.rfft` / `circ.irfft` run `ercc.numerics.fft_plan` (the
program the emitter prints) on every block; `circ.freq_mac` multiplies the
packed spectra in the emitter's order.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import TensorType
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl, register_impls

from ercc.dialects import circ, rnn
from ercc.dialects.constants import dense_values
from ercc.dialects.fix import FixedType, raw_values
from ercc.interpreters.types import assign, dest, element_dest, scalar, store
from ercc.numerics import fft_plan, values
from ercc.numerics.circulant import expand
from ercc.numerics.values import Fixed, broadcast, exact, take


def _table(attr, el) -> values.Value:
    """A dense attribute of element type el as a value of its shape."""
    shape = tuple(attr.get_shape())
    if isinstance(el, FixedType):
        return Fixed(raw_values(attr).reshape(shape), el.format)
    return np.asarray(dense_values(attr), dtype=np.float32).reshape(shape)


@register_impls
class CircFunctions(InterpreterFunctions):
    """Block-circulant weights, spectra and the FFT."""

    @impl(circ.ConstOp)
    def run_const(self, interpreter: Interpreter, op: circ.ConstOp, args: PythonValues) -> PythonValues:
        return (_table(op.vectors, op.result.type.element_type),)

    @impl(circ.FreqConstOp)
    def run_freq_const(self, interpreter: Interpreter, op: circ.FreqConstOp, args: PythonValues) -> PythonValues:
        return (_table(op.spectra, op.result.type.element_type),)

    @impl(circ.MatVecOp)
    def run_matvec(self, interpreter: Interpreter, op: circ.MatVecOp, args: PythonValues) -> PythonValues:
        """Direct product: the dense matrix the vectors define, then the dense matvec."""
        w, x = args
        rows, cols = op.weight.type.rows.data, op.weight.type.cols.data
        if isinstance(w, Fixed):
            dense = Fixed(expand(w.raw, rows, cols), w.fmt)
        else:
            dense = expand(w, rows, cols).astype(np.float32)
        return (values.dot(dense, x.reshape(-1, 1), dest(op.result.type)).reshape(-1),)

    @impl(circ.RFFTOp)
    def run_rfft(self, interpreter: Interpreter, op: circ.RFFTOp, args: PythonValues) -> PythonValues:
        """Zero-pads the input to whole blocks, then the forward plan per block."""
        st = op.result.type
        k, blocks = st.block.data, st.blocks.data
        x = args[0]
        pad = blocks * k - values.shape(x)[0]
        if isinstance(x, Fixed):
            x = Fixed(np.concatenate([x.raw, np.zeros(pad, np.int64)]).reshape(blocks, k), x.fmt)
        else:
            x = np.concatenate([x, np.zeros(pad, np.float32)]).reshape(blocks, k)
        return (_run_plan(op, fft_plan.build(k, False), x, element_dest(st.element_type)),)

    @impl(circ.IRFFTOp)
    def run_irfft(self, interpreter: Interpreter, op: circ.IRFFTOp, args: PythonValues) -> PythonValues:
        """The inverse plan per block, cropped to the result's length."""
        st = op.input.type
        y = _run_plan(op, fft_plan.build(st.block.data, True), args[0], dest(op.result.type))
        return (take(y.reshape(-1), slice(0, rnn.shape_of(op.result)[0])),)

    @impl(circ.FreqMacOp)
    def run_freq_mac(self, interpreter: Interpreter, op: circ.FreqMacOp, args: PythonValues) -> PythonValues:
        """acc += W[r, b] * X[b] over b in order, per bin, as complex products of exact terms.

        With an exact `accumulator` (fixed point) the order does not matter: the
        sum is exact and assigned to the result type once.
        """
        w, x = args
        p, q = op.weight.type.grid
        st = op.result.type
        bins = st.bins
        t = TensorType(op.accumulator if op.accumulator is not None else st.element_type, [p, bins])
        w4 = w.reshape(p, q, bins, 2)
        x3 = x.reshape(q, bins, 2)
        acc_re = broadcast(store(scalar(0.0, t), t), (p, bins))
        acc_im = acc_re
        for b in range(q):
            wr, wi = take(w4, (slice(None), b, slice(None), 0)), take(w4, (slice(None), b, slice(None), 1))
            xr, xi = take(x3, (b, slice(None), 0)), take(x3, (b, slice(None), 1))
            re = exact(exact(wr, xr, "*"), exact(wi, xi, "*"), "-")
            im = exact(exact(wr, xi, "*"), exact(wi, xr, "*"), "+")
            acc_re, acc_im = store(exact(acc_re, re, "+"), t), store(exact(acc_im, im, "+"), t)
        if isinstance(acc_re, Fixed):
            out = Fixed(np.stack([acc_re.raw, acc_im.raw], axis=-1).reshape(p, 2 * bins), acc_re.fmt)
            return (assign(out, TensorType(st.element_type, [p, 2 * bins])),)
        return (np.stack([acc_re, acc_im], axis=-1).reshape(p, 2 * bins).astype(np.float32),)


def _run_plan(op: circ.RFFTOp | circ.IRFFTOp, plan, x: values.Value, out: values.Dest) -> values.Value:
    """`fft_plan` on raw integers with op's stage and twiddle formats, or in float32."""
    if isinstance(x, Fixed):
        stages = [el.format for el in op.stages.data]
        return Fixed(fft_plan.run_fixed(plan, x.raw, x.fmt, stages, op.twiddle.format, out), out)
    return fft_plan.run_float(plan, x, np.float32)
