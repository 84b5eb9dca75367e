"""`quantize`: give every float tensor of the kernel a fixed-point element type.

Run after `fft-decompose` (and before or after `loop-schedule`). Every value
whose element type is f32 gets a `!fix.fixed<...>` element type chosen by its
tensor class; the formats live in the types, so the emitter and the reference
executor read the same quantization points from the IR:

- weight: `arith.constant` tensors (dense matrices, biases) other than scan
  initial states, `circ.const`, `circ.freq_const`: `weight-bits` wide, integer
  bits the fewest that hold the tensor's largest magnitude;
- accumulator: results of `Reduction` ops (`rnn.matvec`, `rnn.matmul`,
  `rnn.gemm`, `circ.matvec`) and `circ.irfft` (gate pre-activations before
  bias): `acc-bits`, `acc-int-bits`;
- spectrum, `circ.rfft` results (complex, re and im share the format): the
  input's format grown by log2 k bits (width and integer bits), one bit per
  butterfly stage, so no overflow;
- spectrum, `circ.freq_mac` results: `acc-bits + log2 k`, `acc-int-bits + log2 k`
  (bins reach k times the time-domain magnitude);
- FFT stages, the `stages` property of `circ.rfft` / `circ.irfft` (butterfly
  stages 1..L-1): the FFT's input format plus s bits (width and integer bits)
  at stage s;
- MAC accumulator, the `accumulator` property of `circ.freq_mac`: exact, a
  product's fraction bits and integer bits for q complex products (no
  rounding, no overflow, any summation order);
- twiddle, the `twiddle` property of `circ.rfft` / `circ.irfft`: `twiddle-bits`
  wide (default 18, a DSP48 port), 1 integer bit;
- activation, everything else (kernel inputs and outputs, states, gates,
  initial states): `act-bits`, `act-int-bits`.

Every format uses the pass's `rounding` and `overflow` modes (AP_RND and
AP_SAT by default: a 16-bit cell state that wraps ruins an LSTM).

Constants become raw integers: `arith.constant dense<[0.375]> : tensor<1xf32>`
becomes `fix.const dense<[384]> : tensor<1xi32> -> tensor<1x!fix.fixed<16, 6>>`,
and `circ.const` / `circ.freq_const` keep their op with raw integer vectors and
a fixed element type in their result type. Conversion from float uses
`ercc.numerics.fixed.from_float`, bit-exact with ap_fixed's constructor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, builtin, func
from xdsl.dialects.builtin import ArrayAttr, DenseIntOrFPElementsAttr, Float32Type, ModuleOp, TensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import PassFailedException

from ercc.dialects import circ, rnn
from ercc.dialects.constants import dense_values
from ercc.dialects.fix import ConstOp, FixedType, raw_dense_attr
from ercc.dialects.traits import Reduction
from ercc.numerics.fixed import FixedFormat, FixedFormatError, fitting_format, format_problem, from_float
from ercc.passes.calibrated_ranges import range_format, recorded_range


def _accumulates(op: Operation) -> bool:
    """Its tensor result is a sum of products (a reduction, or an inverse FFT): it gets the accumulator format."""
    return op.has_trait(Reduction) or isinstance(op, circ.IRFFTOp)


def weight_format(values: np.ndarray, bits: int, rnd: str, sat: str) -> FixedFormat:
    """The `bits`-wide signed format with the fewest integer bits whose range holds every value."""
    return fitting_format(float(np.max(np.abs(values))) if values.size else 0.0, bits, rnd, sat)


@dataclass(frozen=True)
class Quantize(ModulePass):
    """Fixed-point element types for every f32 tensor (see the module docstring)."""

    name = "quantize"

    weight_bits: int = 16
    act_bits: int = 16
    act_int_bits: int = 6
    acc_bits: int = 24
    acc_int_bits: int = 10
    twiddle_bits: int = 18
    rounding: str = "AP_RND"
    overflow: str = "AP_SAT"

    def _fmt(self, what: str, width: int, int_bits: int) -> FixedFormat:
        problem = format_problem(width, int_bits, self.rounding, self.overflow)
        if problem:
            raise PassFailedException(f"quantize: {what}: {problem}")
        return FixedFormat(width, int_bits, True, self.rounding, self.overflow)

    def formats(self) -> dict[str, FixedFormat]:
        """The activation and accumulator formats (raises PassFailedException for bad options)."""
        modes = format_problem(1, 0, self.rounding, self.overflow)
        if modes:
            raise PassFailedException(f"quantize: rounding/overflow: {modes}")
        if self.weight_bits < 1 or format_problem(self.weight_bits, 0, self.rounding, self.overflow):
            problem = format_problem(self.weight_bits, 0, self.rounding, self.overflow)
            raise PassFailedException(f"quantize: weight-bits: {problem or 'must be >= 1'}")
        return {
            "act": self._fmt("act-bits/act-int-bits", self.act_bits, self.act_int_bits),
            "acc": self._fmt("acc-bits/acc-int-bits", self.acc_bits, self.acc_int_bits),
        }

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        fmts = self.formats()
        act, acc = FixedType.from_format(fmts["act"]), FixedType.from_format(fmts["acc"])
        rewriter = Rewriter()

        def retype(value: SSAValue, el: Attribute) -> None:
            t = value.type
            if isinstance(t, TensorType) and isinstance(t.get_element_type(), Float32Type):
                el = _calibrated(value, el, at_least=el == acc)
                rewriter.replace_value_with_new_type(value, TensorType(el, t.get_shape()))

        for o in list(op.walk()):
            if isinstance(o, arith.ConstantOp) and _is_f32_tensor(o.result.type):
                self._constant(rewriter, o, act)
                continue
            if isinstance(o, circ.ConstOp | circ.FreqConstOp):
                self._circ_constant(rewriter, o)
                continue
            for region in o.regions:
                for block in region.blocks:
                    for arg in list(block.args):
                        retype(arg, act)
            for res in list(o.results):
                t = res.type
                if isinstance(t, circ.SpectrumType) and isinstance(t.element_type, Float32Type):
                    el = FixedType.from_format(self._spectrum_format(o, t))
                    rewriter.replace_value_with_new_type(res, circ.SpectrumType(t.blocks.data, t.block.data, el))
                else:
                    retype(res, acc if _accumulates(o) else act)
            if isinstance(o, circ.RFFTOp | circ.IRFFTOp) and o.twiddle is None:
                self._fft_formats(o)
            if isinstance(o, circ.FreqMacOp) and o.accumulator is None:
                self._mac_accumulator(o)
        for f in op.walk():
            if isinstance(f, func.FuncOp) and f.body.blocks:
                ret = f.body.blocks[-1].last_op
                outs = [v.type for v in ret.operands] if isinstance(ret, func.ReturnOp) else list(f.function_type.outputs)
                f.function_type = builtin.FunctionType.from_lists([a.type for a in f.args], outs)

    def _spectrum_format(self, op: Operation, t: circ.SpectrumType) -> FixedFormat:
        """rfft: the input's format grown by one bit per butterfly stage (cannot overflow);
        freq_mac: the accumulator format grown by log2 k (a spectrum's bins reach k times the
        time-domain magnitude)."""
        g = int(math.log2(t.block.data))
        if isinstance(op, circ.RFFTOp):
            el = op.input.type.get_element_type()
            if isinstance(el, FixedType):
                return self._fmt("spectrum", el.format.width + g, el.format.int_bits + g)
        return self._fmt("spectrum", self.acc_bits + g, self.acc_int_bits + g)

    def _mac_accumulator(self, op: circ.FreqMacOp) -> None:
        """The exact accumulator of a frequency-domain MAC (a DSP48's wide P register).

        Fraction bits: a product's. Integer bits: |Re(w·x)| <= 2^(Iw-1) · 2^(Ix-1) · 2
        (equality at the most negative values), summed over q block columns, plus the sign.
        """
        w, x = op.weight.type.element_type, op.input.type.element_type
        if not isinstance(w, FixedType) or not isinstance(x, FixedType):
            return
        wf, xf = w.format, x.format
        q = op.weight.type.grid[1]
        int_bits = wf.int_bits + xf.int_bits + max(q - 1, 0).bit_length() + 1
        width = int_bits + wf.frac + xf.frac
        if width > 62:
            raise PassFailedException(
                f"quantize: circ.freq_mac: an exact accumulator needs {width} bits (> 62); lower weight-bits or act-bits"
            )
        op.properties["accumulator"] = FixedType.from_format(FixedFormat(width, int_bits, True, "AP_TRN", "AP_WRAP"))

    def _fft_formats(self, op: circ.RFFTOp | circ.IRFFTOp) -> None:
        """Stage formats of the straight-line FFT: each stage one integer bit (and one width bit)
        above the previous, starting from the FFT's input; twiddles `twiddle-bits` wide."""
        source = op.input.type
        el = source.element_type if isinstance(source, circ.SpectrumType) else source.get_element_type()
        out = op.result.type
        out_el = out.element_type if isinstance(out, circ.SpectrumType) else out.get_element_type()
        if not isinstance(el, FixedType) or not isinstance(out_el, FixedType):
            return
        k = (out if isinstance(out, circ.SpectrumType) else source).block.data
        levels = int(math.log2(k))
        fmt = el.format
        stages = [
            FixedType.from_format(self._fmt(f"{op.name} stage {s}", fmt.width + s, fmt.int_bits + s))
            for s in range(1, levels)
        ]
        widest = max([fmt.width + levels, out_el.format.width])
        if widest + self.twiddle_bits + 2 > 62:
            raise PassFailedException(
                f"quantize: {op.name}: a {widest}-bit FFT value times a {self.twiddle_bits}-bit twiddle "
                "needs more than 62 bits (lower act-bits/acc-bits or twiddle-bits)"
            )
        if isinstance(op, circ.IRFFTOp):
            # The last stage assigns sum / k to the result: a binary-point shift of log2 k.
            out_fmt = out_el.format
            self._fmt(f"{op.name} result scaled by {k}", out_fmt.width, out_fmt.int_bits + levels)
        op.properties["stages"] = ArrayAttr(stages)
        op.properties["twiddle"] = FixedType.from_format(self._fmt("twiddle", self.twiddle_bits, 1))

    def _constant(self, rewriter: Rewriter, o: arith.ConstantOp, act: FixedType) -> None:
        values = dense_values(o.value) if isinstance(o.value, DenseIntOrFPElementsAttr) else None
        if values is None:
            return
        is_state = any(isinstance(u.operation, rnn.ScanOp) and u.index >= 1 for u in o.result.uses)
        bits = _layer_weight_bits(o.result, self.weight_bits)
        fmt = _calibrated(o.result, act).format if is_state else weight_format(values, bits, self.rounding, self.overflow)
        raw = from_float(values, fmt)
        t = o.result.type
        rewriter.replace_op(o, ConstOp(raw, TensorType(FixedType.from_format(fmt), t.get_shape())))

    def _circ_constant(self, rewriter: Rewriter, o: Operation) -> None:
        t = o.result.type
        if not isinstance(t.element_type, Float32Type):
            return
        attr = o.vectors if isinstance(o, circ.ConstOp) else o.spectra
        values = dense_values(attr)
        fmt = weight_format(values, _layer_weight_bits(o.result, self.weight_bits), self.rounding, self.overflow)
        try:
            raw = from_float(values, fmt)
        except FixedFormatError as e:
            raise PassFailedException(f"quantize: {o.name}: {e}") from e
        new_t = type(t)(t.rows.data, t.cols.data, t.block.data, FixedType.from_format(fmt))
        new = type(o)(raw_dense_attr(raw), new_t)
        new.attributes.update(o.attributes)
        rewriter.replace_op(o, new)


def _calibrated(value: SSAValue, el: FixedType, at_least: bool = False) -> FixedType:
    """el with the integer bits of the value's calibrated range (ercc.passes.calibrated_ranges), if any.

    `at_least` (accumulators) never drops below el's integer bits: calibration
    sees final sums, not the partial sums of the accumulation.
    """
    observed = recorded_range(value)
    if observed is None:
        return el
    fmt = range_format(observed, el.format)
    if at_least and fmt.int_bits < el.int_bits.data:
        return el
    return FixedType.from_format(fmt)


def _layer_weight_bits(value: SSAValue, default: int) -> int:
    """The `ercc.weight_bits` (a per-layer option) of the scan that uses `value`, else `default`."""
    from xdsl.dialects.builtin import IntegerAttr

    for use in value.uses:
        op = use.operation
        while op is not None and not isinstance(op, rnn.ScanOp | rnn.MapOp):
            op = op.parent_op()
        if isinstance(op, rnn.MapOp):  # hoist-input-path's map feeds the scan's input
            op = next((u.operation for r in op.results for u in r.uses if isinstance(u.operation, rnn.ScanOp)), None)
        bits = op.attributes.get("ercc.weight_bits") if op is not None else None
        if isinstance(bits, IntegerAttr):
            return bits.value.data
    return default


def _is_f32_tensor(t: Attribute) -> bool:
    return isinstance(t, TensorType) and isinstance(t.get_element_type(), Float32Type)
