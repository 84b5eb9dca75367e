"""A numpy executor of ercc's final IR, bit-exact with the emitted kernel's C simulation.

`run_reference(module, inputs)` interprets the top function of a lowered,
(optionally) quantized and scheduled module. Every value is either a float32
array (f32 tensors) or a `Fixed` (int64 raw integers and their
`FixedFormat`). Each op computes what `backends/hls/emitter.py` prints, in
the same order and with the same quantization points:

* an assignment to a value of fixed type is `requantize` into its format
  (ap_fixed's `dst = src`); `+`, `-`, `*` on fixed operands are exact;
* `rnn.matvec` / `rnn.matmul` / `rnn.gemm`: `acc = 0; acc += w * x` over k in
  increasing order, the sum quantized into acc's format at every step;
* unary ops read `const T v = x[i]` with T the result type (one assignment),
  `fix.pwl` reads v in the input type;
* kernel inputs are assigned from float32 (the C driver's cast), outputs are
  returned as float32.

Float modules run in float32 numpy (the kernel's float operations in the same
order; std::exp/std::tanh may differ from numpy in the last bit).
Block-circulant ops run `ercc.numerics.fft_plan` (the program the emitter
prints) and the frequency-domain MAC in the emitter's order.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, Float32Type, ModuleOp, TensorType
from xdsl.ir import Attribute, Operation, SSAValue

from ercc.errors import ErccError
from ercc.dialects import circ, fix, rnn
from ercc.dialects.constants import dense_values
from ercc.dialects.fix import FixedType, coefficient_format, raw_values
from ercc.dialects.rnn import ActivationKind
from ercc.numerics import fft_plan
from ercc.numerics.circulant import expand
from ercc.numerics import softmax
from ercc.numerics.fixed import FixedFormat, from_float, requantize, to_float


@dataclass(frozen=True)
class Fixed:
    """Raw int64 values of a fixed-point format."""

    raw: np.ndarray
    fmt: FixedFormat

    def reshape(self, *shape) -> Fixed:
        return Fixed(self.raw.reshape(*shape), self.fmt)


Value = np.ndarray | Fixed


def _el(t: Attribute) -> Attribute:
    if not isinstance(t, TensorType):
        raise ErccError(f"the reference executor cannot hold values of type {t}")
    return t.get_element_type()


def assign(v: Value, t: Attribute) -> Value:
    """`dst = v` with dst of tensor type t (quantization for fixed, float32 cast for f32)."""
    el = _el(t)
    if isinstance(el, FixedType):
        fmt = el.format
        if isinstance(v, Fixed):
            return Fixed(requantize(v.raw, v.fmt.frac, fmt), fmt)
        return Fixed(from_float(np.asarray(v, dtype=np.float32).astype(np.float64), fmt), fmt)
    if isinstance(el, Float32Type):
        return (to_float(v.raw, v.fmt) if isinstance(v, Fixed) else np.asarray(v)).astype(np.float32)
    raise ErccError(f"the reference executor does not support element type {el}")


def _exact(a: Value, b: Value, op: str) -> Value:
    """Exact a op b (fixed: raw with a combined frac, returned as Fixed of a wide format-less kind)."""
    if isinstance(a, Fixed) and isinstance(b, Fixed):
        if op == "*":
            return _Wide(a.raw * b.raw, a.fmt.frac + b.fmt.frac)
        f = max(a.fmt.frac, b.fmt.frac)
        x, y = a.raw << (f - a.fmt.frac), b.raw << (f - b.fmt.frac)
        return _Wide(x + y if op == "+" else x - y, f)
    if isinstance(a, _Wide) or isinstance(b, _Wide):
        a, b = _wide(a), _wide(b)
        if op == "*":
            return _Wide(a.raw * b.raw, a.frac + b.frac)
        f = max(a.frac, b.frac)
        x, y = a.raw << (f - a.frac), b.raw << (f - b.frac)
        return _Wide(x + y if op == "+" else x - y, f)
    if isinstance(a, Fixed) or isinstance(b, Fixed):
        raise ErccError("the reference executor cannot mix float and fixed operands")
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return (a * b if op == "*" else a + b if op == "+" else a - b).astype(np.float32)


@dataclass(frozen=True)
class _Wide:
    """An exact intermediate: raw * 2**-frac (ap_fixed's full-precision operator result)."""

    raw: np.ndarray
    frac: int


def _wide(v) -> _Wide:
    return v if isinstance(v, _Wide) else _Wide(np.asarray(v.raw, dtype=np.int64), v.fmt.frac)


def store(v, t: Attribute) -> Value:
    """Assignment of an exact intermediate (or a value) to type t."""
    if isinstance(v, _Wide):
        fmt = _el(t).format
        return Fixed(requantize(v.raw, v.frac, fmt), fmt)
    return assign(v, t)


def _take(v: Value, idx) -> Value:
    return Fixed(v.raw[idx], v.fmt) if isinstance(v, Fixed) else v[idx]


def _scalar(value: float, t: Attribute) -> Value:
    el = _el(t)
    if isinstance(el, FixedType):
        return Fixed(from_float(np.float64(value), el.format), el.format)
    return np.float32(value)


def _shape(v: Value) -> tuple[int, ...]:
    return (v.raw if isinstance(v, Fixed) else v).shape


def _where(c: np.ndarray, a: Value, b: Value) -> Value:
    if isinstance(a, Fixed):
        assert isinstance(b, Fixed) and a.fmt == b.fmt
        return Fixed(np.where(c, a.raw, b.raw), a.fmt)
    return np.where(c, a, b).astype(np.float32)


def _less(a: Value, b: Value) -> np.ndarray:
    """a < b exactly (ap_fixed comparisons are exact across formats)."""
    d = _exact(a, b, "-")
    return (d.raw if isinstance(d, _Wide) else d) < 0


class ReferenceExecutor:
    """Interprets one function; `run(inputs)` returns its results as float32 arrays."""

    def __init__(self, module: ModuleOp, observe: Callable[[SSAValue, Value], None] | None = None):
        """`observe(ssa_value, value)` sees every value as it is computed (calibration, reports)."""
        self.observe = observe
        funcs = [op for op in module.ops if isinstance(op, func.FuncOp)]
        if len(funcs) != 1:
            raise ErccError(f"the reference executor needs a module with exactly one func.func, got {len(funcs)}")
        self.func = funcs[0]
        self.env: dict[SSAValue, Value] = {}

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """One sequence (batch 1): inputs in the kernel's port shapes."""
        self.env = _Observed(self.observe) if self.observe else {}
        args = self.func.body.block.args
        if len(inputs) != len(args):
            raise ValueError(f"the kernel takes {len(args)} inputs, got {len(inputs)}")
        for arg, x in zip(args, inputs):
            shape = tuple(arg.type.get_shape())
            self.env[arg] = assign(np.asarray(x, dtype=np.float32).reshape(shape), arg.type)
        for op in self.func.body.block.ops:
            if isinstance(op, func.ReturnOp):
                outs = [assign(self.env[v], t) for v, t in zip(op.arguments, self.func.function_type.outputs.data)]
                return [to_float(o.raw, o.fmt).astype(np.float32) if isinstance(o, Fixed) else o for o in outs]
            self.execute(op)
        raise ErccError("the kernel function has no func.return")

    def run_batch(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """N sequences: each input (N, *port shape); the CSimProgram.run interface."""
        n = inputs[0].shape[0] if inputs else 1
        per = [self.run([a[i] for a in inputs]) for i in range(n)]
        return [np.stack([p[j] for p in per]) for j in range(len(per[0]))] if per else []

    # ------------------------------------------------------------------ ops

    def execute(self, op: Operation) -> None:
        env = self.env
        if isinstance(op, arith.ConstantOp):
            if not isinstance(op.value, DenseIntOrFPElementsAttr):
                raise ErccError(f"the reference executor only supports dense tensor constants, got {op.value}")
            env[op.result] = np.asarray(dense_values(op.value), dtype=np.float32).reshape(op.result.type.get_shape())
        elif isinstance(op, fix.ConstOp):
            fmt = op.result.type.get_element_type().format
            env[op.result] = Fixed(raw_values(op.value).reshape(op.result.type.get_shape()), fmt)
        elif isinstance(op, rnn.ReshapeOp):
            env[op.result] = env[op.input].reshape(tuple(op.result.type.get_shape()))
        elif isinstance(op, rnn.TransposeOp):
            x = env[op.input]
            perm = list(op.perm.get_values())
            env[op.result] = assign(
                Fixed(np.transpose(x.raw, perm), x.fmt) if isinstance(x, Fixed) else np.transpose(x, perm), op.result.type
            )
        elif isinstance(op, rnn.SliceOp):
            offsets, strides = list(op.offsets.get_values()), list(op.strides.get_values())
            out = tuple(op.result.type.get_shape())
            idx = tuple(slice(o, o + s * n, s) if n else slice(0, 0) for o, s, n in zip(offsets, strides, out))
            env[op.result] = assign(_take(env[op.input], idx), op.result.type)
        elif isinstance(op, rnn.ConcatOp):
            axis = op.axis.value.data
            parts = [assign(env[v], op.result.type) for v in op.inputs]
            if isinstance(parts[0], Fixed):
                env[op.result] = Fixed(np.concatenate([p.raw for p in parts], axis=axis), parts[0].fmt)
            else:
                env[op.result] = np.concatenate(parts, axis=axis)
        elif isinstance(op, rnn.AddOp | rnn.SubOp | rnn.MulOp):
            sym = {rnn.AddOp: "+", rnn.SubOp: "-", rnn.MulOp: "*"}[type(op)]
            env[op.result] = store(_exact(env[op.lhs], env[op.rhs], sym), op.result.type)
        elif isinstance(op, rnn.MatVecOp):
            env[op.result] = self._dot(env[op.weight], env[op.input].reshape(-1, 1), op.result.type).reshape(-1)
        elif isinstance(op, rnn.MatMulOp):
            a, b = env[op.A], env[op.B]
            a_shape = _shape(a)
            rows = math.prod(a_shape[:-1])
            y = self._dot(a.reshape(rows, a_shape[-1]), b, op.result.type)
            env[op.result] = y.reshape(tuple(op.result.type.get_shape()))
        elif isinstance(op, rnn.GemmOp):
            self._gemm(op)
        elif isinstance(op, rnn.ActivationOp):
            env[op.result] = self._activation(op)
        elif isinstance(op, fix.PWLOp):
            env[op.result] = self._pwl(op)
        elif isinstance(op, fix.QuantOp):
            x = env[op.input]
            if isinstance(x, Fixed):
                raise ErccError("fix.quant works on f32 values only")
            env[op.result] = op.quantizer(x)
        elif isinstance(op, rnn.ClampOp):
            t = op.result.type
            v = assign(env[op.input], t)
            lo, hi = _scalar(-op.bound.value.data, t), _scalar(op.bound.value.data, t)
            v = _where(_less(v, lo), _broadcast(lo, _shape(v)), v)
            env[op.result] = _where(_less(hi, v), _broadcast(hi, _shape(v)), v)
        elif isinstance(op, rnn.SoftmaxOp | rnn.LogSoftmaxOp):
            x = env[op.input]
            if isinstance(x, Fixed):
                env[op.result] = _fixed_softmax(op, x)
                return
            axis = op.axis.value.data
            e = np.exp(x - np.max(x, axis=axis, keepdims=True))
            s = np.sum(e, axis=axis, keepdims=True, dtype=np.float32)
            y = e / s if isinstance(op, rnn.SoftmaxOp) else x - np.max(x, axis=axis, keepdims=True) - np.log(s)
            env[op.result] = y.astype(np.float32)
        elif isinstance(op, rnn.ScanOp):
            self._scan(op)
        elif isinstance(op, rnn.MapOp):
            self._map(op)
        elif isinstance(op, circ.ConstOp | circ.FreqConstOp):
            attr = op.vectors if isinstance(op, circ.ConstOp) else op.spectra
            el = op.result.type.element_type
            if isinstance(el, FixedType):
                env[op.result] = Fixed(raw_values(attr).reshape(tuple(attr.get_shape())), el.format)
            else:
                env[op.result] = np.asarray(dense_values(attr), dtype=np.float32).reshape(tuple(attr.get_shape()))
        elif isinstance(op, circ.MatVecOp):
            env[op.result] = self._circ_matvec(op)
        elif isinstance(op, circ.RFFTOp | circ.IRFFTOp):
            env[op.result] = self._fft(op)
        elif isinstance(op, circ.FreqMacOp):
            env[op.result] = self._freq_mac(op)
        else:
            raise ErccError(f"the reference executor cannot run '{op.name}'")

    def _dot(self, a: Value, b: Value, t: Attribute) -> Value:
        """(R, K) @ (K, N) with acc = 0; acc += a[:, k] * b[k, :] quantized into t at every step."""
        rows, depth = _shape(a)
        n = _shape(b)[1]
        acc = store(_scalar(0.0, t), t)
        acc = _broadcast(acc, (rows, n))
        for k in range(depth):
            prod = _exact(_take(a, (slice(None), slice(k, k + 1))), _take(b, (slice(k, k + 1), slice(None))), "*")
            acc = store(_exact(acc, prod, "+"), t)
        return acc

    def _gemm(self, op: rnn.GemmOp) -> None:
        env = self.env
        a, b, t = env[op.A], env[op.B], op.result.type
        if op.trans_a.value.data:
            a = _transpose(a)
        if op.trans_b.value.data:
            b = _transpose(b)
        acc = self._dot(a, b, t)
        alpha, beta = op.alpha.value.data, op.beta.value.data
        total = acc if alpha == 1.0 else _exact(_scalar(alpha, t), acc, "*")
        if op.C is not None:
            c = env[op.C]
            c = _broadcast(c, tuple(t.get_shape()))
            term = c if beta == 1.0 else _exact(_scalar(beta, t), c, "*")
            total = _exact(total, term, "+")
        env[op.result] = store(total, t)

    def _activation(self, op: rnn.ActivationOp) -> Value:
        t = op.result.type
        v = assign(self.env[op.input], t)
        kind = op.fn.activation
        if isinstance(v, Fixed):
            return _fixed_activation(op, v)
        a, b = np.float32(op.fn.alpha.value.data), np.float32(op.fn.beta.value.data)
        x = v.astype(np.float32)
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
            }[kind]()
        return np.asarray(y, dtype=np.float32)

    def _pwl(self, op: fix.PWLOp) -> Value:
        env, t = self.env, op.result.type
        v, brk, val, slope = env[op.input], env[op.breaks], env[op.values], env[op.slopes]
        n = _shape(val)[0]
        shape = _shape(v)
        s = np.zeros(shape, dtype=np.int64)
        for m in range(1, n):
            s = np.where(~_less(v, _take(brk, m)), m, s)
        d = _exact(v, _take(brk, s), "-")
        y = store(_exact(_take(val, s), _exact(_take(slope, s), d, "*"), "+"), t)
        below = _broadcast(_scalar(op.below.value.data, t), shape)
        above = assign(v, t) if op.above is None else _broadcast(_scalar(op.above.value.data, t), shape)
        y = _where(~_less(v, _take(brk, n)), above, y)
        return _where(_less(v, _take(brk, 0)), below, y)

    # --- block-circulant: the same arithmetic, in the same order, as the emitter's loops

    def _circ_matvec(self, op: circ.MatVecOp) -> Value:
        """Direct product: the dense matrix the vectors define, then the dense matvec."""
        t = op.weight.type
        w = self.env[op.weight]
        rows, cols = t.rows.data, t.cols.data
        if isinstance(w, Fixed):
            dense = Fixed(expand(w.raw, rows, cols), w.fmt)
        else:
            dense = expand(w, rows, cols).astype(np.float32)
        return self._dot(dense, self.env[op.input].reshape(-1, 1), op.result.type).reshape(-1)

    def _fft(self, op: circ.RFFTOp | circ.IRFFTOp) -> Value:
        """`fft_plan` on every block (rfft zero-pads the input to whole blocks; irfft crops)."""
        inverse = isinstance(op, circ.IRFFTOp)
        st = op.input.type if inverse else op.result.type
        k, blocks = st.block.data, st.blocks.data
        plan = fft_plan.build(k, inverse)
        x = self.env[op.input]
        if not inverse:
            n = _shape(x)[0]
            pad = blocks * k - n
            if isinstance(x, Fixed):
                x = Fixed(np.concatenate([x.raw, np.zeros(pad, np.int64)]).reshape(blocks, k), x.fmt)
            else:
                x = np.concatenate([x, np.zeros(pad, np.float32)]).reshape(blocks, k)
        out_el = st.element_type if not inverse else _el(op.result.type)
        if isinstance(x, Fixed):
            stages = [el.format for el in op.stages.data]
            y = Fixed(fft_plan.run_fixed(plan, x.raw, x.fmt, stages, op.twiddle.format, out_el.format), out_el.format)
        else:
            y = fft_plan.run_float(plan, x, np.float32)
        if inverse:
            return _take(y.reshape(-1), slice(0, rnn.shape_of(op.result)[0]))
        return y

    def _freq_mac(self, op: circ.FreqMacOp) -> Value:
        """acc += W[r, b] * X[b] over b in order, per bin, as complex products of exact terms.

        With an exact `accumulator` (fixed point) the order does not matter: the
        sum is exact and assigned to the result type once.
        """
        w, x = self.env[op.weight], self.env[op.input]
        p, q = op.weight.type.grid
        st = op.result.type
        bins = st.bins
        t = TensorType(st.element_type, [p, bins])
        if op.accumulator is not None:
            t = TensorType(op.accumulator, [p, bins])
        w4 = w.reshape(p, q, bins, 2)
        x3 = x.reshape(q, bins, 2)
        acc_re = _broadcast(store(_scalar(0.0, t), t), (p, bins))
        acc_im = acc_re
        for b in range(q):
            wr, wi = _take(w4, (slice(None), b, slice(None), 0)), _take(w4, (slice(None), b, slice(None), 1))
            xr, xi = _take(x3, (b, slice(None), 0)), _take(x3, (b, slice(None), 1))
            re = _exact(_exact(wr, xr, "*"), _exact(wi, xi, "*"), "-")
            im = _exact(_exact(wr, xi, "*"), _exact(wi, xr, "*"), "+")
            acc_re, acc_im = store(_exact(acc_re, re, "+"), t), store(_exact(acc_im, im, "+"), t)
        if isinstance(acc_re, Fixed):
            out = Fixed(np.stack([acc_re.raw, acc_im.raw], axis=-1).reshape(p, 2 * bins), acc_re.fmt)
            return assign(out, TensorType(st.element_type, [p, 2 * bins]))
        return np.stack([acc_re, acc_im], axis=-1).reshape(p, 2 * bins).astype(np.float32)

    def _map(self, op: rnn.MapOp) -> None:
        """Row t of each result: the body on x_t, assigned to the result's element type."""
        env, block = self.env, op.body.block
        xs = env[op.xs]
        rows: list[list[Value]] = [[] for _ in op.ys]
        for t in range(_shape(xs)[0]):
            env[block.args[0]] = assign(_take(xs, t), block.args[0].type)
            for inner in block.ops:
                if isinstance(inner, rnn.YieldOp):
                    for i, (v, y) in enumerate(zip(inner.values, op.ys)):
                        rows[i].append(assign(env[v], TensorType(y.type.get_element_type(), _shape(env[v]))))
                else:
                    self.execute(inner)
        for y, r in zip(op.ys, rows):
            env[y] = Fixed(np.stack([v.raw for v in r]), r[0].fmt) if isinstance(r[0], Fixed) else np.stack(r)

    def _scan(self, op: rnn.ScanOp) -> None:
        env = self.env
        block = op.body.block
        xs = env[op.xs]
        steps = _shape(xs)[0]
        states = [assign(env[init], arg.type) for arg, init in zip(block.args[1:], op.init)]
        ys = []
        for t in range(steps):
            step = steps - 1 - t if op.reverse is not None else t
            env[block.args[0]] = assign(_take(xs, step), block.args[0].type)
            for arg, s in zip(block.args[1:], states):
                env[arg] = s
            for inner in block.ops:
                if isinstance(inner, rnn.YieldOp):
                    states = [assign(env[v], arg.type) for v, arg in zip(inner.values, block.args[1:])]
                else:
                    self.execute(inner)
            ys.append((step, assign(states[0], op.ys.type)))
        ys.sort(key=lambda p: p[0])
        if isinstance(ys[0][1], Fixed):
            env[op.ys] = Fixed(np.stack([y.raw for _, y in ys]), ys[0][1].fmt)
        else:
            env[op.ys] = np.stack([y for _, y in ys])
        for final, s in zip(op.finals, states):
            env[final] = s


def _fixed_activation(op: rnn.ActivationOp, v: Fixed) -> Value:
    """The exactly piecewise-linear activations on `v` (already in the result format).

    alpha/beta are constants of `coefficient_format`; products and sums are
    exact and assigned once (hard_sigmoid: assigned, then clamped to [0, 1]).
    """
    t, kind, shape = op.result.type, op.fn.activation, _shape(v)
    zero = _broadcast(_scalar(0.0, t), shape)

    def coef(value: float) -> Fixed:
        fmt = coefficient_format(value, v.fmt)
        return Fixed(from_float(np.float64(value), fmt), fmt)

    a, b = op.fn.alpha.value.data, op.fn.beta.value.data
    if kind == ActivationKind.RELU:
        return _where(_less(zero, v), v, zero)
    if kind == ActivationKind.LEAKY_RELU:
        return _where(_less(v, zero), store(_exact(coef(a), v, "*"), t), v)
    if kind == ActivationKind.THRESHOLDED_RELU:
        return _where(_less(coef(a), v), v, zero)
    if kind in (ActivationKind.AFFINE, ActivationKind.HARD_SIGMOID):
        y = store(_exact(_exact(coef(a), v, "*"), coef(b), "+"), t)
        if kind == ActivationKind.AFFINE:
            return y
        one = _broadcast(_scalar(1.0, t), shape)
        y = _where(_less(y, zero), zero, y)
        return _where(_less(one, y), one, y)
    raise ErccError(
        f"activation '{kind.value}' needs the activation-approximation pass in fixed point"
    )


def _fixed_softmax(op: rnn.SoftmaxOp | rnn.LogSoftmaxOp, x: Fixed) -> Fixed:
    """ercc.numerics.softmax's design along op's axis."""
    log, axis = isinstance(op, rnn.LogSoftmaxOp), op.axis.value.data
    out = _el(op.result.type).format
    rows = np.moveaxis(x.raw, axis, -1)
    y = softmax.run(rows, softmax.design(x.fmt, rows.shape[-1], log), out, log)
    return Fixed(np.moveaxis(y, -1, axis), out)


class _Observed(dict):
    """The environment of an observed run: every assignment is reported."""

    def __init__(self, observe: Callable[[SSAValue, Value], None]):
        super().__init__()
        self._observe = observe

    def __setitem__(self, key: SSAValue, value: Value) -> None:
        super().__setitem__(key, value)
        self._observe(key, value)


def _broadcast(v: Value, shape) -> Value:
    if isinstance(v, Fixed):
        return Fixed(np.broadcast_to(v.raw, shape), v.fmt)
    return np.broadcast_to(np.asarray(v, dtype=np.float32), shape)


def _transpose(v: Value) -> Value:
    return Fixed(v.raw.T, v.fmt) if isinstance(v, Fixed) else v.T


def run_reference(module: ModuleOp, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Runs N sequences (each input shaped (N, *port shape)) like `CSimProgram.run`."""
    return ReferenceExecutor(module).run_batch(inputs)
