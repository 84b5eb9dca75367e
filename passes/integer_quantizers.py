"""integer-quantizers: a quantization-aware LSTM cell's float32 fake quantization → integer arithmetic.

Run after `lower-rnn-layers` on a scan built from Brevitas's QuantLSTM cell
(every gate accumulator, activation, cell-state product and output goes
through a `fix.quant`). Each quantized value becomes its integer codes in the
format `ercc.numerics.integer_quant.code_format` gives it: the `ap_fixed` it
is for a power-of-two scale, integers for a general one. Then:

* a `fix.quant` of a sum (W x + R h + b, f · c, the cell-state sum, o · t)
  becomes exact integer matvecs and products of the codes, each term times a
  multiplier constant (`rnn.mul`, the rescale of `rescale_plan`: exact for a
  power-of-two ratio of scales, MULTIPLIER_BITS bits otherwise), an exact sum
  (`rnn.add`) and the assignment to the quantizer's codes with its rounding
  (ROUND: AP_RND_CONV, half to even) and saturation (AP_SAT, narrow: AP_SAT_SYM);
* a `fix.quant` of σ or tanh of codes becomes a `fix.table` of the quantized
  activation of every input code;
* weights and biases (the constants `lower-rnn-layers` tagged
  `ercc.quantizer`) become `fix.const` codes; the input sequence and the
  initial states are quantized to codes before the scan (`fix.quant` with a
  fixed result), and the scan's results leave as float32 (`fix.dequant`).

A cell this cannot express (no quantizer on the layer's input, a per-channel
weight scale, an accumulator too wide for a table, CEIL rounding, ...) keeps
its float32 datapath, and its scan says why: `ercc.datapath = "float: ..."`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    Float64Type,
    FloatAttr,
    ModuleOp,
    StringAttr,
    TensorType,
)
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.transforms.dead_code_elimination import dce

from ercc.dialects import rnn
from ercc.dialects.constants import dense_values
from ercc.dialects.fix import (
    WEIGHT_QUANTIZER,
    CastOp,
    ConstOp,
    DequantOp,
    FixedType,
    PWLOp,
    QuantOp,
    TableOp,
    quantizers_of,
)
from ercc.numerics.fixed import FixedFormat
from ercc.numerics.integer_quant import (
    Term,
    Unsupported,
    activation_steps,
    activation_table,
    channel_sigma,
    code_format,
    codes,
    exact_format,
    rescale_plan,
    scales,
)
from ercc.numerics.quantizer import Quantizer

DATAPATH = "ercc.datapath"  # on a scan that keeps its float32 datapath: why


@dataclass
class _Code:
    """A value of the integer datapath: its SSA value (fixed-point codes), σ, and max |raw|."""

    value: SSAValue
    sigma: Fraction | np.ndarray  # per output row for a per-channel weight's products
    bound: int

    @property
    def fmt(self) -> FixedFormat:
        return self.value.type.get_element_type().format


def _tensor(fmt: FixedFormat, shape) -> TensorType:
    return TensorType(FixedType.from_format(fmt), list(shape))


def _fmt_bound(fmt: FixedFormat) -> int:
    return max(abs(fmt.raw_min), abs(fmt.raw_max))


class _Cell:
    """Rewrites one scan; `outside` collects the ops to insert before it (constants, input codes)."""

    def __init__(self, scan: rnn.ScanOp):
        self.scan = scan
        self.outside: list[Operation] = []
        self.body: list[Operation] = []
        self.codes: dict[SSAValue, _Code] = {}
        self.consts: dict[SSAValue, _Code] = {}  # tagged f32 constant → its codes
        self.raw: dict[SSAValue, np.ndarray] = {}  # codes constant → its raw integers
        self.tables: dict[tuple, SSAValue] = {}  # (raw bytes, shape, format) → the constant holding them

    # ----------------------------------------------------------------- helpers

    def _emit(self, op: Operation, outside: bool = False) -> SSAValue:
        (self.outside if outside else self.body).append(op)
        return op.results[0]

    def _const(self, raw: np.ndarray, fmt: FixedFormat) -> SSAValue:
        """A codes constant before the scan; equal tables (σ of three gates) are one constant."""
        raw = np.asarray(raw, dtype=np.int64)
        key = (raw.tobytes(), raw.shape, fmt)
        if key not in self.tables:
            self.tables[key] = self._emit(ConstOp(raw, _tensor(fmt, raw.shape)), outside=True)
        return self.tables[key]

    def _quantize(self, value: SSAValue, q: Quantizer) -> _Code:
        """`value` (f32, outside the body) to q's codes: a constant when it is one."""
        fmt, sigma = code_format(q)
        shape = value.type.get_shape()
        owner = value.owner
        if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, DenseIntOrFPElementsAttr):
            raw = codes(dense_values(owner.value), q)
            return _Code(self._const(raw, fmt), Fraction(sigma), int(np.max(np.abs(raw), initial=0)))
        return _Code(self._emit(QuantOp(value, q, _tensor(fmt, shape)), outside=True), Fraction(sigma), _fmt_bound(fmt))

    def _weight(self, value: SSAValue) -> _Code:
        """A tagged weight or bias constant as codes (checked to lie on its quantizer's grid)."""
        if value in self.consts:
            return self.consts[value]
        owner = value.owner
        props = owner.attributes.get(WEIGHT_QUANTIZER) if isinstance(owner, Operation) else None
        if not isinstance(owner, arith.ConstantOp) or not isinstance(props, DictionaryAttr):
            raise Unsupported("a weight without a recorded quantizer (its scale is not per tensor or per row)")
        q = quantizers_of(DictionaryAttr({"w": props}))["w"]
        values = dense_values(owner.value).astype(np.float32)
        fmt, sigma = code_format(q)
        raw = codes(values, q)
        if q.channel_scales is not None and len(q.channel_scales) != values.shape[0]:
            raise Unsupported(f"{len(q.channel_scales)} channel scales for {values.shape[0]} rows")
        if not np.array_equal((raw.astype(np.float32) * scales(q, values.shape)).astype(np.float32), values):
            raise Unsupported("weights that do not lie on their quantizer's grid")
        sigma = channel_sigma(q) if q.channel_scales is not None else Fraction(sigma)
        code = _Code(self._const(raw, fmt), sigma, int(np.max(np.abs(raw), initial=0)))
        self.consts[value] = code
        self.raw[code.value] = raw
        return code

    # ----------------------------------------------------------------- the body

    def _code(self, value: SSAValue) -> _Code:
        """The codes of a quantized value of the body (a block argument or a fix.quant result)."""
        if value in self.codes:
            return self.codes[value]
        owner = value.owner
        if not isinstance(owner, QuantOp):
            raise Unsupported(f"'{owner.name if isinstance(owner, Operation) else 'argument'}' is not quantized")
        q = owner.quantizer
        fmt, sigma = code_format(q)
        x = owner.input.owner
        if isinstance(x, rnn.ActivationOp):
            code = self._table(x, q, fmt, Fraction(sigma))
        else:
            code = self._rescale(self._terms(owner.input, 1), q, fmt, Fraction(sigma))
        self.codes[value] = code
        return code

    def _table(self, act: rnn.ActivationOp, q: Quantizer, fmt: FixedFormat, sigma: Fraction) -> _Code:
        a = self._code(act.input)
        if a.fmt.width > TableOp.MAX_INPUT_BITS:
            return self._steps(act, a, q, fmt, sigma)
        raw = activation_table(act.fn.kind.data, a.fmt, float(a.sigma), q)
        table = self._const(raw, fmt)
        out = self._emit(TableOp(a.value, table))
        return _Code(out, sigma, int(np.max(np.abs(raw), initial=0)))

    def _steps(self, act: rnn.ActivationOp, a: _Code, q: Quantizer, fmt: FixedFormat, sigma: Fraction) -> _Code:
        """σ/tanh after a quantizer too wide for a table: the quantized activation as a step
        function of the input code (`activation_steps`), a `fix.pwl` with zero slopes (exact)."""
        thresholds, values = activation_steps(act.fn.kind.data, a.fmt, float(a.sigma), q)
        if len(thresholds) > 1 << fmt.width:  # pragma: no cover - a monotone function of b-bit codes
            raise Unsupported(f"{act.fn.kind.data}: more steps than output codes")
        while len(thresholds) < 2:  # fix.pwl needs a segment: a constant one past the last step
            thresholds.append(min(thresholds[-1] + 1, a.fmt.raw_max) if thresholds else a.fmt.raw_max)
            values.append(values[-1])
        in_el, out_el = FixedType.from_format(a.fmt), FixedType.from_format(fmt)
        breaks = self._emit(ConstOp(np.array(thresholds), TensorType(in_el, [len(thresholds)])), outside=True)
        segs = len(thresholds) - 1
        vals = self._emit(ConstOp(np.array(values[1:-1]), TensorType(out_el, [segs])), outside=True)
        zero_fmt = FixedFormat(2, 2)
        slopes = self._emit(ConstOp(np.zeros(segs, np.int64), TensorType(FixedType.from_format(zero_fmt), [segs])),
                            outside=True)
        lsb = 2.0 ** -fmt.frac
        out = self._emit(PWLOp.create(operands=[a.value, breaks, vals, slopes],
                                      result_types=[TensorType(out_el, a.value.type.get_shape())],
                                      properties={"below": FloatAttr(values[0] * lsb, Float64Type()),
                                                  "above": FloatAttr(values[-1] * lsb, Float64Type())}))
        return _Code(out, sigma, max(abs(v) for v in values))

    def _terms(self, value: SSAValue, sign: int) -> list[tuple[_Code, int]]:
        """The summands of a float sum feeding a quantizer, as integer codes (with their signs)."""
        owner = value.owner
        if value in self.codes or isinstance(owner, QuantOp):
            return [(self._code(value), sign)]
        if isinstance(owner, rnn.AddOp | rnn.SubOp):
            rhs = -sign if isinstance(owner, rnn.SubOp) else sign
            return self._terms(owner.lhs, sign) + self._terms(owner.rhs, rhs)
        if isinstance(owner, rnn.MatVecOp):
            w, x = self._weight(owner.weight), self._code(owner.input)
            bound = int(np.max(np.abs(self.raw[w.value]).sum(axis=1), initial=0)) * x.bound
            fmt = exact_format(bound, w.fmt.frac + x.fmt.frac)
            op = rnn.MatVecOp.create(operands=[w.value, x.value],
                                     result_types=[_tensor(fmt, value.type.get_shape())])
            return [(_Code(self._emit(op), w.sigma * x.sigma, bound), sign)]
        if isinstance(owner, rnn.MulOp):
            a, b = self._code(owner.lhs), self._code(owner.rhs)
            bound = a.bound * b.bound
            fmt = exact_format(bound, a.fmt.frac + b.fmt.frac)
            op = rnn.MulOp.create(operands=[a.value, b.value], result_types=[_tensor(fmt, value.type.get_shape())])
            return [(_Code(self._emit(op), a.sigma * b.sigma, bound), sign)]
        if isinstance(owner, arith.ConstantOp):
            return [(self._weight(value), sign)]
        raise Unsupported(f"'{owner.name if isinstance(owner, Operation) else 'argument'}' inside a quantized sum")

    def _rescale(self, terms: list[tuple[_Code, int]], q: Quantizer, fmt: FixedFormat, sigma: Fraction) -> _Code:
        """Σ sign · m · 2^-e · term, exact, assigned to q's codes (its rounding and saturation)."""
        plan = rescale_plan([Term(c.bound, c.fmt.frac, c.sigma) for c, _ in terms], float(sigma), q.rounding)
        shape = terms[0][0].value.type.get_shape()
        parts: list[tuple[SSAValue, int]] = []  # (value, max |raw| at its frac)
        for (code, sign), (m, e) in zip(terms, plan.multipliers):
            m = np.atleast_1d(np.asarray(m, dtype=np.int64)) * sign  # one, or one per output row
            last = len(terms) == 1
            if m.size == 1 and m[0] == 1 and e == 0:
                parts.append((self._emit(CastOp(code.value, FixedType.from_format(fmt))) if last else code.value,
                              code.bound))
                continue
            bound = code.bound * int(np.max(np.abs(m)))
            p_fmt = fmt if last else exact_format(bound, code.fmt.frac + e)
            if code.value in self.raw and not last:  # a bias: its rescaled value is a constant too
                raw = self.raw[code.value] * m
                parts.append((self._const(raw << (p_fmt.frac - code.fmt.frac - e), p_fmt), bound))
                continue
            c_fmt = exact_format(int(np.max(np.abs(m))), e)
            c = self._const(m << (c_fmt.frac - e), c_fmt)
            parts.append((self._emit(rnn.MulOp.create(operands=[c, code.value],
                                                      result_types=[_tensor(p_fmt, shape)])), bound))
        if len(terms) == 1:
            return _Code(parts[0][0], sigma, _fmt_bound(fmt))
        acc = parts[0][0]
        sum_fmt = FixedFormat(plan.int_bits + plan.frac, plan.int_bits, True)
        for i, (v, _) in enumerate(parts[1:], start=2):
            t = _tensor(fmt if i == len(parts) else sum_fmt, shape)
            acc = self._emit(rnn.AddOp.create(operands=[acc, v], result_types=[t]))
        return _Code(acc, sigma, _fmt_bound(fmt))

    # ----------------------------------------------------------------- the scan

    def _input(self, xs: SSAValue) -> _Code:
        """The codes of the input sequence: quantized by the layer's input quantizer, or the codes of
        the layer below as they are (a stacked QuantLSTM: its dequantized output, reshaped; a
        bidirectional one: the concatenation of both directions, when they share one output scale)."""
        if isinstance(xs.owner, QuantOp):
            return self._quantize(xs.owner.input, xs.owner.quantizer)
        codes_value, sigma = self._codes_below(xs)
        return _Code(codes_value, sigma, _fmt_bound(codes_value.type.get_element_type().format))

    def _codes_below(self, v: SSAValue) -> tuple[SSAValue, Fraction]:
        """(codes, σ) of a float value that is only moved codes of a layer below (its `fix.dequant`
        through reshapes, transposes and concatenations)."""
        owner = v.owner
        if isinstance(owner, DequantOp):
            return owner.input, Fraction(owner.scale.value.data)
        if isinstance(owner, rnn.ReshapeOp | rnn.TransposeOp):  # moves values, whatever their type
            parts = [self._codes_below(owner.input)]
        elif isinstance(owner, rnn.ConcatOp):
            parts = [self._codes_below(p) for p in owner.inputs]
        else:
            raise Unsupported("the layer's input has no quantizer")
        if len({sigma for _, sigma in parts}) > 1 or len({c.type.get_element_type() for c, _ in parts}) > 1:
            raise Unsupported("the layer's input joins codes of different scales")
        el = parts[0][0].type.get_element_type()
        moved = type(owner).create(operands=[c for c, _ in parts],
                                   result_types=[TensorType(el, owner.result.type.get_shape())],
                                   properties=dict(owner.properties))
        return self._emit(moved, outside=True), parts[0][1]

    def rewrite(self, rewriter: Rewriter) -> None:
        scan = self.scan
        old = scan.body.block
        term = old.last_op
        state_q = [v.owner for v in term.operands]
        if not all(isinstance(o, QuantOp) for o in state_q):
            raise Unsupported("a state without a quantizer")
        xs = self._input(scan.xs)
        init = [self._quantize(v, o.quantizer) for v, o in zip(scan.init, state_q)]
        step = TensorType(xs.value.type.get_element_type(), xs.value.type.get_shape()[1:])
        block = Block(arg_types=[step, *(c.value.type for c in init)])
        self.codes[old.args[0]] = _Code(block.args[0], xs.sigma, xs.bound)
        for arg, old_arg, q in zip(block.args[1:], old.args[1:], state_q):
            fmt, sigma = code_format(q.quantizer)
            self.codes[old_arg] = _Code(arg, Fraction(sigma), _fmt_bound(fmt))
        for o in old.ops:  # in the cell's order (gates i, f, g, o, then the states)
            if isinstance(o, QuantOp):
                self._code(o.result)
        states = [self._code(v) for v in term.operands]
        for s, c in zip(states, init):
            if s.value.type != c.value.type:
                raise Unsupported("a state whose codes change format in the step")
        self.body.append(rnn.YieldOp(*(s.value for s in states)))
        block.add_ops(self.body)
        new = rnn.ScanOp(xs.value, [c.value for c in init], Region(block), reverse=scan.reverse is not None,
                         lengths=scan.lengths)
        new.attributes.update(scan.attributes)
        rewriter.insert_op([*self.outside, new], InsertPoint.before(scan))
        decoded = [DequantOp(r, float(c.sigma)) for r, c in zip(new.results, [states[0], *states])]
        rewriter.insert_op(decoded, InsertPoint.after(new))
        for r, d in zip(scan.results, decoded):
            r.replace_all_uses_with(d.result)
        rewriter.erase_op(scan)

    def discard(self) -> None:
        """Drop the ops built for a cell that keeps its float datapath (they are not in the IR)."""
        for op in reversed(self.body + self.outside):
            op.drop_all_references()


@dataclass(frozen=True)
class IntegerQuantizers(ModulePass):
    """Integer codes and rescales for the quantized cells (see the module docstring)."""

    name = "integer-quantizers"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewriter = Rewriter()
        scans = [s for s in op.walk() if isinstance(s, rnn.ScanOp)
                 and any(isinstance(o, QuantOp) for o in s.body.block.ops)]
        for scan in scans:
            cell = _Cell(scan)
            try:
                cell.rewrite(rewriter)
            except Unsupported as why:
                cell.discard()
                scan.attributes[DATAPATH] = StringAttr(f"float: {why}")
        dce(op)
