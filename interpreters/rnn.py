"""`rnn` ops on the reference: what `backends/hls/print_rnn.py` and `print_scan.py` print, the same quantization points.

An assignment to a value of fixed type is `requantize` into its format
(ap_fixed's `dst = src`); `+`, `-`, `*` on fixed operands are exact;
`rnn.matvec` / `rnn.matmul` / `rnn.gemm` accumulate `acc += w * x` over k
in increasing order, stored into acc's format at every step; unary ops read
`const T v = x[i]` with T the result type. Float ops run in float32 numpy
(std::exp/std::tanh may differ from numpy in the last bit). `rnn.scan` and
`rnn.map` run their body with `Interpreter.run_ssacfg_region`, once per step.
The layer ops (rnn.lstm, rnn.gru, rnn.rnn) are `interpreters/layers.py`.
"""

from __future__ import annotations

import math

import numpy as np
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    ReturnedValues,
    TerminatorValue,
    impl,
    impl_terminator,
    register_impls,
)

from ercc.dialects import rnn
from ercc.dialects.fix import coefficient_format
from ercc.dialects.rnn import ActivationKind
from ercc.errors import ErccError
from ercc.interpreters.types import assign, dest, scalar, store
from ercc.numerics import softmax, values
from ercc.numerics.values import Fixed, Value, broadcast, exact, less, take, where


@register_impls
class RnnFunctions(InterpreterFunctions):
    """The cell-level `rnn` ops."""

    @impl(rnn.ReshapeOp)
    def run_reshape(self, interpreter: Interpreter, op: rnn.ReshapeOp, args: PythonValues) -> PythonValues:
        return (args[0].reshape(tuple(op.result.type.get_shape())),)

    @impl(rnn.TransposeOp)
    def run_transpose(self, interpreter: Interpreter, op: rnn.TransposeOp, args: PythonValues) -> PythonValues:
        return (assign(values.transpose(args[0], list(op.perm.get_values())), op.result.type),)

    @impl(rnn.SliceOp)
    def run_slice(self, interpreter: Interpreter, op: rnn.SliceOp, args: PythonValues) -> PythonValues:
        offsets, strides = list(op.offsets.get_values()), list(op.strides.get_values())
        out = tuple(op.result.type.get_shape())
        idx = tuple(slice(o, o + s * n, s) if n else slice(0, 0) for o, s, n in zip(offsets, strides, out))
        return (assign(take(args[0], idx), op.result.type),)

    @impl(rnn.ConcatOp)
    def run_concat(self, interpreter: Interpreter, op: rnn.ConcatOp, args: PythonValues) -> PythonValues:
        parts = [assign(v, op.result.type) for v in args]
        return (values.concatenate(parts, op.axis.value.data),)

    @impl(rnn.AddOp)
    def run_add(self, interpreter: Interpreter, op: rnn.AddOp, args: PythonValues) -> PythonValues:
        return (store(exact(args[0], args[1], "+"), op.result.type),)

    @impl(rnn.SubOp)
    def run_sub(self, interpreter: Interpreter, op: rnn.SubOp, args: PythonValues) -> PythonValues:
        return (store(exact(args[0], args[1], "-"), op.result.type),)

    @impl(rnn.MulOp)
    def run_mul(self, interpreter: Interpreter, op: rnn.MulOp, args: PythonValues) -> PythonValues:
        return (store(exact(args[0], args[1], "*"), op.result.type),)

    @impl(rnn.MatVecOp)
    def run_matvec(self, interpreter: Interpreter, op: rnn.MatVecOp, args: PythonValues) -> PythonValues:
        w, x = args
        return (values.dot(w, x.reshape(-1, 1), dest(op.result.type)).reshape(-1),)

    @impl(rnn.MatMulOp)
    def run_matmul(self, interpreter: Interpreter, op: rnn.MatMulOp, args: PythonValues) -> PythonValues:
        a, b = args
        a_shape = values.shape(a)
        y = values.dot(a.reshape(math.prod(a_shape[:-1]), a_shape[-1]), b, dest(op.result.type))
        return (y.reshape(tuple(op.result.type.get_shape())),)

    @impl(rnn.GemmOp)
    def run_gemm(self, interpreter: Interpreter, op: rnn.GemmOp, args: PythonValues) -> PythonValues:
        a, b, t = args[0], args[1], op.result.type
        if op.trans_a.value.data:
            a = values.transpose(a)
        if op.trans_b.value.data:
            b = values.transpose(b)
        acc = values.dot(a, b, dest(t))
        alpha, beta = op.alpha.value.data, op.beta.value.data
        total = acc if alpha == 1.0 else exact(scalar(alpha, t), acc, "*")
        if op.C is not None:
            c = broadcast(args[2], tuple(t.get_shape()))
            term = c if beta == 1.0 else exact(scalar(beta, t), c, "*")
            total = exact(total, term, "+")
        return (store(total, t),)

    @impl(rnn.ActivationOp)
    def run_activation(self, interpreter: Interpreter, op: rnn.ActivationOp, args: PythonValues) -> PythonValues:
        v = assign(args[0], op.result.type)
        return (_fixed_activation(op, v) if isinstance(v, Fixed) else _float_activation(op, v),)

    @impl(rnn.ClampOp)
    def run_clamp(self, interpreter: Interpreter, op: rnn.ClampOp, args: PythonValues) -> PythonValues:
        t = op.result.type
        v = assign(args[0], t)
        lo, hi = scalar(-op.bound.value.data, t), scalar(op.bound.value.data, t)
        v = where(less(v, lo), broadcast(lo, values.shape(v)), v)
        return (where(less(hi, v), broadcast(hi, values.shape(v)), v),)

    @impl(rnn.SoftmaxOp)
    def run_softmax(self, interpreter: Interpreter, op: rnn.SoftmaxOp, args: PythonValues) -> PythonValues:
        return (_softmax(op, args[0], log=False),)

    @impl(rnn.LogSoftmaxOp)
    def run_log_softmax(self, interpreter: Interpreter, op: rnn.LogSoftmaxOp, args: PythonValues) -> PythonValues:
        return (_softmax(op, args[0], log=True),)

    @impl(rnn.ScanOp)
    def run_scan(self, interpreter: Interpreter, op: rnn.ScanOp, args: PythonValues) -> PythonValues:
        """The body once per step (last to first with `reverse`); ys in input order."""
        if op.lengths is not None:
            raise ErccError("the reference executor does not run rnn.scan with sequence lengths")
        xs, init = args[0], args[1:]
        block = op.body.block
        step_type, state_types = block.args[0].type, [a.type for a in block.args[1:]]
        steps = values.shape(xs)[0]
        states = [assign(v, t) for v, t in zip(init, state_types)]
        ys: list[Value] = [None] * steps
        for i in range(steps):
            step = steps - 1 - i if op.reverse is not None else i
            yielded = interpreter.run_ssacfg_region(op.body, (assign(take(xs, step), step_type), *states), "rnn.scan")
            states = [assign(v, t) for v, t in zip(yielded, state_types)]
            ys[step] = assign(states[0], op.ys.type)
        return (values.stack(ys), *states)

    @impl(rnn.MapOp)
    def run_map(self, interpreter: Interpreter, op: rnn.MapOp, args: PythonValues) -> PythonValues:
        """Row t of each result: the body on x_t, assigned to the result's element type."""
        xs = args[0]
        step_type = op.body.block.args[0].type
        dests = [dest(y.type) for y in op.ys]
        rows: list[list[Value]] = [[] for _ in op.ys]
        for t in range(values.shape(xs)[0]):
            yielded = interpreter.run_ssacfg_region(op.body, (assign(take(xs, t), step_type),), "rnn.map")
            for r, v, d in zip(rows, yielded, dests):
                r.append(values.assign(v, d))
        return tuple(values.stack(r) for r in rows)

    @impl_terminator(rnn.YieldOp)
    def run_yield(
        self, interpreter: Interpreter, op: rnn.YieldOp, args: PythonValues
    ) -> tuple[TerminatorValue, PythonValues]:
        return ReturnedValues(args), ()


def _float_activation(op: rnn.ActivationOp, x: np.ndarray) -> np.ndarray:
    a, b = np.float32(op.fn.alpha.value.data), np.float32(op.fn.beta.value.data)
    x = x.astype(np.float32)
    with np.errstate(over="ignore"):
        y = {
            ActivationKind.SIGMOID: lambda: np.float32(1) / (np.float32(1) + np.exp(-x)),
            ActivationKind.TANH: lambda: np.tanh(x),
            ActivationKind.RELU: lambda: np.where(x > 0, x, np.float32(0)),
            ActivationKind.HARD_SIGMOID: lambda: np.fmin(np.float32(1), np.fmax(np.float32(0), a * x + b)),
            ActivationKind.LEAKY_RELU: lambda: np.where(x >= 0, x, a * x),
            ActivationKind.THRESHOLDED_RELU: lambda: np.where(x > a, x, np.float32(0)),
            ActivationKind.SCALED_TANH: lambda: a * np.tanh(b * x),
            ActivationKind.AFFINE: lambda: a * x + b,
            ActivationKind.ELU: lambda: np.where(x >= 0, x, a * np.expm1(x)),
            ActivationKind.SOFTSIGN: lambda: x / (np.float32(1) + np.abs(x)),
            ActivationKind.SOFTPLUS: lambda: np.fmax(x, np.float32(0)) + np.log1p(np.exp(-np.abs(x))),
        }[op.fn.activation]()
    return np.asarray(y, dtype=np.float32)


def _fixed_activation(op: rnn.ActivationOp, v: Fixed) -> Value:
    """The exactly piecewise-linear activations on `v` (already in the result format).

    alpha/beta are constants of `coefficient_format`; products and sums are
    exact and assigned once (hard_sigmoid: assigned, then clamped to [0, 1]).
    """
    t, kind, shape = op.result.type, op.fn.activation, values.shape(v)
    zero = broadcast(scalar(0.0, t), shape)

    def coef(value: float) -> Fixed:
        return values.scalar(value, coefficient_format(value, v.fmt))

    a, b = op.fn.alpha.value.data, op.fn.beta.value.data
    if kind == ActivationKind.RELU:
        return where(less(zero, v), v, zero)
    if kind == ActivationKind.LEAKY_RELU:
        return where(less(v, zero), store(exact(coef(a), v, "*"), t), v)
    if kind == ActivationKind.THRESHOLDED_RELU:
        return where(less(coef(a), v), v, zero)
    if kind in (ActivationKind.AFFINE, ActivationKind.HARD_SIGMOID):
        y = store(exact(exact(coef(a), v, "*"), coef(b), "+"), t)
        if kind == ActivationKind.AFFINE:
            return y
        one = broadcast(scalar(1.0, t), shape)
        y = where(less(y, zero), zero, y)
        return where(less(one, y), one, y)
    raise ErccError(f"activation '{kind.value}' needs the activation-approximation pass in fixed point")


def _softmax(op: rnn.SoftmaxOp | rnn.LogSoftmaxOp, x: Value, log: bool) -> Value:
    """Float: numpy along op's axis; fixed: ercc.numerics.softmax's design."""
    axis = op.axis.value.data
    if isinstance(x, Fixed):
        out = dest(op.result.type)
        rows = np.moveaxis(x.raw, axis, -1)
        y = softmax.run(rows, softmax.design(x.fmt, rows.shape[-1], log), out, log)
        return Fixed(np.moveaxis(y, -1, axis), out)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    s = np.sum(e, axis=axis, keepdims=True, dtype=np.float32)
    y = x - np.max(x, axis=axis, keepdims=True) - np.log(s) if log else e / s
    return y.astype(np.float32)

