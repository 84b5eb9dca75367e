"""Printing `rnn` tensor ops: elementwise arithmetic and activations, softmax, shape ops, matrix products.

Each op is a labelled loop nest writing its result array; `_element` is the
one scalar body of every elementwise op (also `fix.pwl` and `fix.quant`), so
a scan's or row pipeline's tail prints the same expression as the whole op.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.ir import Operation, SSAValue

from ercc.backends.hls.printer_base import HLSPrinterBase, array_size, broadcast_index, element_type, flat_index
from ercc.dialects import fix, rnn
from ercc.dialects.fix import FixedType, coefficient_format
from ercc.dialects.rnn import ActivationAttr, ActivationKind
from ercc.errors import ErccError
from ercc.numerics.softmax import design as softmax_design

_SCALED = {ActivationKind.LEAKY_RELU, ActivationKind.AFFINE, ActivationKind.HARD_SIGMOID}  # alpha · v


class RnnPrinter(HLSPrinterBase):
    """The `_emit` cases of `rnn` tensor ops (mixed into `emitter.HLSPrinter`)."""

    @HLSPrinterBase._emit.register
    def _(self, op: rnn.AddOp | rnn.SubOp | rnn.MulOp) -> None:
        out_shape = rnn.shape_of(op.result)
        a_shape, b_shape = rnn.shape_of(op.lhs), rnn.shape_of(op.rhs)
        if a_shape == b_shape == out_shape:  # no broadcast: one flat loop
            out_shape = a_shape = b_shape = (math.prod(out_shape),)
        a, b, y = self._names[op.lhs], self._names[op.rhs], self._array(op.result)
        with self._nest(out_shape) as idx:
            self._element(
                op,
                [
                    f"{a}[{broadcast_index(idx, out_shape, a_shape)}]",
                    f"{b}[{broadcast_index(idx, out_shape, b_shape)}]",
                ],
                f"{y}[{flat_index(idx, out_shape)}]",
            )

    def _activation(self, fn: ActivationAttr, v: str, value: SSAValue) -> str:
        """C expression of an ONNX activation of float `v`, with its alpha/beta."""
        zero, one = self._lit(0.0, value), self._lit(1.0, value)
        a, b = self._lit(fn.alpha.value.data, value), self._lit(fn.beta.value.data, value)
        match fn.activation:
            case ActivationKind.SIGMOID:
                return f"{one} / ({one} + std::exp(-{v}))"
            case ActivationKind.TANH:
                return f"std::tanh({v})"
            case ActivationKind.RELU:
                return f"({v} > {zero} ? {v} : {zero})"
            case ActivationKind.HARD_SIGMOID:
                return f"std::fmin({one}, std::fmax({zero}, {a} * {v} + {b}))"
            case ActivationKind.LEAKY_RELU:
                return f"({v} >= {zero} ? {v} : {a} * {v})"
            case ActivationKind.THRESHOLDED_RELU:
                return f"({v} > {a} ? {v} : {zero})"
            case ActivationKind.SCALED_TANH:
                return f"{a} * std::tanh({b} * {v})"
            case ActivationKind.AFFINE:
                return f"{a} * {v} + {b}"
            case ActivationKind.ELU:
                return f"({v} >= {zero} ? {v} : {a} * std::expm1({v}))"
            case ActivationKind.SOFTSIGN:
                return f"{v} / ({one} + std::fabs({v}))"
            case ActivationKind.SOFTPLUS:
                # log(1 + exp(v)) rearranged so that exp never overflows.
                return f"std::fmax({v}, {zero}) + std::log1p(std::exp(-std::fabs({v})))"
        raise ErccError(f"the hls-cpp backend cannot emit activation '{fn.kind.data}'")

    def _unary(self, op: Operation) -> None:
        """y[i] = the op of x[i], over the flat array."""
        x, y = self._names[op.operands[0]], self._array(op.results[0])
        with self._nest((array_size(op.results[0].type),)) as (i,):
            self._element(op, [f"{x}[{i}]"], f"{y}[{i}]")

    def _element(self, op: Operation, args: Sequence[str], dst: str) -> None:
        """Statements setting `dst` to one element of an elementwise op's result from its operands'
        elements `args`: array elements in the op's own loop, scalars in a row pipeline."""
        match op:
            case rnn.MulOp():
                self._line(f"{dst} = {self._product(args[0], args[1])};")
            case rnn.AddOp() | rnn.SubOp():
                symbol = {rnn.AddOp: "+", rnn.SubOp: "-"}[type(op)]
                self._line(f"{dst} = {args[0]} {symbol} {args[1]};")
            case rnn.SliceOp() | rnn.ConcatOp() | fix.CastOp():
                self._line(f"{dst} = {args[0]};")
            case rnn.ActivationOp() if isinstance(element_type(op.result.type), FixedType):
                self._fixed_activation(op, args[0], dst)
            case rnn.ActivationOp():
                self._line(f"const {self._ct(op.result)} v = {args[0]};")
                self._line(f"{dst} = {self._activation(op.fn, 'v', op.result)};")
            case rnn.ClampOp():
                hi = self._lit(op.bound.value.data, op.result)
                lo = self._lit(-op.bound.value.data, op.result)
                self._line(f"const {self._ct(op.result)} v = {args[0]};")
                self._line(f"{dst} = (v < {lo} ? {lo} : (v > {hi} ? {hi} : v));")
            case fix.PWLOp():
                self._pwl_element(op, args[0], dst)
            case fix.QuantOp():
                self._quant_element(op, args[0], dst)
            case fix.DequantOp():
                self._dequant_element(op, args[0], dst)
            case fix.TableOp():
                self._table_element(op, args[0], dst)
            case _:
                raise ErccError(f"the hls-cpp backend cannot emit '{op.name}' element by element")

    @HLSPrinterBase._emit.register
    def _(self, op: rnn.ActivationOp) -> None:
        self._unary(op)

    def _fixed_activation(self, op: rnn.ActivationOp, arg: str, dst: str) -> None:
        """The exactly piecewise-linear activations on ap_fixed, as the reference interpreter (ercc.interpreters.fix) computes them.

        alpha/beta are `coefficient_format` constants; `A * v + B` is exact and
        assigned once (hard_sigmoid then clamps to [0, 1]).
        """
        el, kind = element_type(op.result.type), op.fn.activation
        zero, one = self._lit(0.0, op.result), self._lit(1.0, op.result)

        def coef(value: float) -> str:
            return self.literal(value, FixedType.from_format(coefficient_format(value, el.format)))

        a, b = op.fn.alpha.value.data, op.fn.beta.value.data
        ct = self.ctype(el)
        self._line(f"const {ct} v = {arg};")
        scaled = self._product(coef(a), "v") if kind in _SCALED else ""
        if kind == ActivationKind.RELU:
            lines = [f"t_act = v > {zero} ? v : {zero};"]
        elif kind == ActivationKind.LEAKY_RELU:
            lines = [f"if (v < {zero}) t_act = {scaled};", "else t_act = v;"]
        elif kind == ActivationKind.THRESHOLDED_RELU:
            lines = [f"t_act = {coef(a)} < v ? v : {zero};"]
        elif kind == ActivationKind.AFFINE:
            lines = [f"t_act = {scaled} + {coef(b)};"]
        elif kind == ActivationKind.HARD_SIGMOID:
            lines = [
                f"t_act = {scaled} + {coef(b)};",
                f"if (t_act < {zero}) t_act = {zero};",
                f"if ({one} < t_act) t_act = {one};",
            ]
        else:
            raise ErccError(f"activation '{op.fn.kind.data}' needs the activation-approximation pass in fixed point")
        self._line(f"{ct} t_act;")
        for line in lines:
            self._line(line)
        self._line(f"{dst} = t_act;")

    @HLSPrinterBase._emit.register
    def _(self, op: rnn.ClampOp) -> None:
        self._unary(op)

    @HLSPrinterBase._emit.register
    def _(self, op: rnn.SoftmaxOp | rnn.LogSoftmaxOp) -> None:
        shape, axis = rnn.shape_of(op.input), op.axis.value.data
        before, n, inner = math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1 :])
        if isinstance(element_type(op.result.type), FixedType):
            self._fixed_softmax(op, before, n, inner)
            return
        x, y, ct = self._names[op.input], self._array(op.result), self._ct(op.result)
        with self._loop("i0", before), self._loop("i1", inner):
            at = f"i0 * {n * inner} + i1 + k * {inner}"
            self._line(f"{ct} mx = {x}[i0 * {n * inner} + i1];")
            with self._loop("k", n, inner=True):
                self._line(f"mx = {x}[{at}] > mx ? {x}[{at}] : mx;")
            self._line(f"{ct} sum = {self._lit(0.0, op.result)};")
            with self._loop("k", n, inner=True):
                self._line(f"sum += std::exp({x}[{at}] - mx);")
            with self._loop("k", n, inner=True):
                if isinstance(op, rnn.SoftmaxOp):
                    self._line(f"{y}[{at}] = std::exp({x}[{at}] - mx) / sum;")
                else:
                    self._line(f"{y}[{at}] = {x}[{at}] - mx - std::log(sum);")

    def _fixed_softmax(self, op: rnn.SoftmaxOp | rnn.LogSoftmaxOp, before: int, n: int, inner: int) -> None:
        """ercc.numerics.softmax's design: max, exp table, exact sum, 1/s or ln s table, one multiply."""
        log = isinstance(op, rnn.LogSoftmaxOp)
        d = softmax_design(element_type(op.input.type).format, n, log)
        xt, et, st, ft = (self.ctype(FixedType.from_format(f)) for f in (d.x, d.e, d.s, d.f))
        exp, fn = self._pwl_table(d.exp, "sm_exp"), self._pwl_table(d.fn, "sm_log" if log else "sm_recip")
        x, y = self._names[op.input], self._array(op.result)
        with self._loop("i0", before), self._loop("i1", inner):
            at = f"i0 * {n * inner} + i1 + k * {inner}"
            self._line(f"{xt} mx = {x}[i0 * {n * inner} + i1];")
            with self._loop("k", n, inner=True):
                self._line(f"mx = {x}[{at}] > mx ? {x}[{at}] : mx;")
            self._line(f"{xt} dk[{n}];")
            self._line(f"{et} ek[{n}];")
            self._line(f"{st} sum = 0;")
            with self._loop("k", n, inner=True):
                self._line(f"dk[k] = {x}[{at}] - mx;")
                self._pwl_lines("ek[k]", "dk[k]", exp, d.exp, d.e)
                self._line("sum += ek[k];")
            self._line(f"{ft} f;")
            self._pwl_lines("f", "sum", fn, d.fn, d.f)
            with self._loop("k", n, inner=True):
                self._line(f"{y}[{at}] = {'dk[k] - f' if log else 'ek[k] * f'};")

    def _pwl_table(self, t, base: str) -> tuple[str, str, str]:
        """File-scope arrays for a numerics.softmax Table: (breaks, values, slopes) names."""
        names = []
        for what, raw, fmt in (("breaks", t.breaks, t.breaks_fmt), ("values", t.values, t.values_fmt),
                               ("slopes", t.slopes, t.slopes_fmt)):
            name = self._fresh(f"c_{base}_{what}")
            self._table(name, FixedType.from_format(fmt), raw)
            names.append(name)
        return names[0], names[1], names[2]

    def _pwl_lines(self, dst: str, v: str, names: tuple[str, str, str], t, out) -> None:
        """dst = the table at v (fix.pwl's expression), dst of format `out`."""
        brk, val, slope = names
        el = FixedType.from_format(out)
        self._line(f"if ({v} < {brk}[0]) {dst} = {self.literal(t.below, el)};")
        self._line(f"else if ({v} >= {brk}[{t.segments}]) {dst} = {self.literal(t.above, el)};")
        self._line("else {")
        with self.indented():
            self._line("int seg = 0;")
            with self._loop("m", t.segments):
                self._line(f"seg = {v} >= {brk}[m] ? m : seg;")
            self._line(f"{dst} = {val}[seg] + {slope}[seg] * ({v} - {brk}[seg]);")
        self._line("}")

    # --- data movement

    @HLSPrinterBase._emit.register
    def _(self, op: rnn.ReshapeOp) -> None:
        self._names[op.result] = self._names[op.input]
        self._line(f"// {self._names[op.result]} viewed as {list(rnn.shape_of(op.result))}")

    @HLSPrinterBase._emit.register
    def _(self, op: rnn.TransposeOp) -> None:
        perm = list(op.perm.get_values())
        in_shape, out_shape = rnn.shape_of(op.input), rnn.shape_of(op.result)
        x, y = self._names[op.input], self._array(op.result)
        with self._nest(out_shape) as idx:
            terms = [idx[perm.index(axis)] for axis in range(len(in_shape))]
            self._line(f"{y}[{flat_index(idx, out_shape)}] = {x}[{flat_index(terms, in_shape)}];")

    @HLSPrinterBase._emit.register
    def _(self, op: rnn.SliceOp) -> None:
        offsets, strides = op.offsets.get_values(), op.strides.get_values()
        in_shape, out_shape = rnn.shape_of(op.input), rnn.shape_of(op.result)
        x, y = self._names[op.input], self._array(op.result)
        with self._nest(out_shape) as idx:
            terms = [
                i if (o, s) == (0, 1) else f"({o} + {i} * {s})" for i, o, s in zip(idx, offsets, strides)
            ]
            self._line(f"{y}[{flat_index(idx, out_shape)}] = {x}[{flat_index(terms, in_shape)}];")

    @HLSPrinterBase._emit.register
    def _(self, op: rnn.ConcatOp) -> None:
        axis, out_shape = op.axis.value.data, rnn.shape_of(op.result)
        y, offset = self._array(op.result), 0
        for value in op.inputs:
            shape = rnn.shape_of(value)
            with self._nest(shape) as idx:
                terms = [f"({i} + {offset})" if d == axis and offset else i for d, i in enumerate(idx)]
                self._line(f"{y}[{flat_index(terms, out_shape)}] = {self._names[value]}[{flat_index(idx, shape)}];")
            offset += shape[axis]

    # --- dense linear algebra

    @HLSPrinterBase._emit.register
    def _(self, op: rnn.MatVecOp) -> None:
        rows, cols = rnn.shape_of(op.weight)
        w, x, y, ct = self._names[op.weight], self._names[op.input], self._array(op.result), self._ct(op.result)
        with self._loop("r", rows):
            self._line(f"{ct} acc = {self._lit(0.0, op.result)};")
            with self._loop("k", cols, inner=True):
                self._line(f"acc += {w}[r * {cols} + k] * {x}[k];")
            self._line(f"{y}[r] = acc;")

    @HLSPrinterBase._emit.register
    def _(self, op: rnn.MatMulOp) -> None:
        a_shape, (depth, n) = rnn.shape_of(op.A), rnn.shape_of(op.B)
        rows = math.prod(a_shape[:-1])
        a, b, y, ct = self._names[op.A], self._names[op.B], self._array(op.result), self._ct(op.result)
        with self._loop("r", rows), self._loop("i1", n):
            self._line(f"{ct} acc = {self._lit(0.0, op.result)};")
            with self._loop("k", depth, inner=True):
                self._line(f"acc += {a}[r * {depth} + k] * {b}[k * {n} + i1];")
            self._line(f"{y}[r * {n} + i1] = acc;")

    @HLSPrinterBase._emit.register
    def _(self, op: rnn.GemmOp) -> None:
        a_shape, b_shape = rnn.shape_of(op.A), rnn.shape_of(op.B)
        out_shape = rnn.shape_of(op.result)
        trans_a, trans_b = op.trans_a.value.data, op.trans_b.value.data
        depth = a_shape[0] if trans_a else a_shape[1]
        a_at = flat_index(["k", "i0"] if trans_a else ["i0", "k"], a_shape)
        b_at = flat_index(["i1", "k"] if trans_b else ["k", "i1"], b_shape)
        a, b, y, ct = self._names[op.A], self._names[op.B], self._array(op.result), self._ct(op.result)
        alpha, beta = op.alpha.value.data, op.beta.value.data
        with self._loop("i0", out_shape[0]), self._loop("i1", out_shape[1]):
            self._line(f"{ct} acc = {self._lit(0.0, op.result)};")
            with self._loop("k", depth, inner=True):
                self._line(f"acc += {a}[{a_at}] * {b}[{b_at}];")
            total = "acc" if alpha == 1.0 else f"{self._lit(alpha, op.result)} * acc"
            if op.C is not None:
                c_at = broadcast_index(["i0", "i1"], out_shape, rnn.shape_of(op.C))
                c = f"{self._names[op.C]}[{c_at}]"
                total += f" + {c}" if beta == 1.0 else f" + {self._lit(beta, op.result)} * {c}"
            self._line(f"{y}[{flat_index(['i0', 'i1'], out_shape)}] = {total};")

    # --- block-circulant
