"""`quantize`: give every float tensor of the kernel a fixed-point element type.

Run after `fft-decompose` (and before or after `loop-schedule`). Every value
whose element type is f32 gets a `!fix.fixed<...>` element type chosen by its
tensor class; the formats live in the types, so the emitter and the reference
executor read the same quantization points from the IR:

| class | values | format |
|---|---|---|
| weight | `arith.constant` tensors (dense matrices, biases) other than scan initial states, `circ.const`, `circ.freq_const` | `weight-bits` wide, integer bits the fewest that hold the tensor's largest magnitude |
| accumulator | results of `rnn.matvec`, `rnn.matmul`, `rnn.gemm`, `circ.matvec`, `circ.irfft` (gate pre-activations before bias) | `acc-bits`, `acc-int-bits` |
| spectrum | `circ.rfft` / `circ.freq_mac` results (complex, re and im share the format) | `acc-bits + log2 k`, `acc-int-bits + log2 k`: the FFT's growth |
| activation | everything else: kernel inputs and outputs, states, gates, initial states | `act-bits`, `act-int-bits` |

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
from xdsl.dialects import arith, func, builtin
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, Float32Type, ModuleOp, TensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import PassFailedException

from ercc.dialects import circ, rnn
from ercc.dialects.constants import dense_values
from ercc.dialects.fix import ConstOp, FixedType, raw_dense_attr
from ercc.numerics.fixed import FixedFormat, FixedFormatError, format_problem, from_float

_ACC_OPS = (rnn.MatVecOp, rnn.MatMulOp, rnn.GemmOp, circ.MatVecOp, circ.IRFFTOp)


def weight_format(values: np.ndarray, bits: int, rnd: str, sat: str) -> FixedFormat:
    """The `bits`-wide signed format with the fewest integer bits whose range holds every value."""
    m = float(np.max(np.abs(values))) if values.size else 0.0
    for i in range(0, bits + 1):
        fmt = FixedFormat(bits, i, True, rnd, sat)
        if -fmt.min >= m and fmt.max >= m - fmt.lsb / 2:
            return fmt
    return FixedFormat(bits, bits, True, rnd, sat)


@dataclass(frozen=True)
class Quantize(ModulePass):
    """Fixed-point element types for every f32 tensor (see the module docstring)."""

    name = "quantize"

    weight_bits: int = 16
    act_bits: int = 16
    act_int_bits: int = 6
    acc_bits: int = 24
    acc_int_bits: int = 10
    rounding: str = "AP_RND"
    overflow: str = "AP_SAT"

    def _fmt(self, what: str, width: int, int_bits: int) -> FixedFormat:
        problem = format_problem(width, int_bits, self.rounding, self.overflow)
        if problem:
            raise PassFailedException(f"quantize: {what}: {problem}")
        return FixedFormat(width, int_bits, True, self.rounding, self.overflow)

    def formats(self) -> dict[str, FixedFormat]:
        """The activation and accumulator formats (raises PassFailedException for bad options)."""
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
                    g = int(math.log2(t.block.data))
                    el = FixedType.from_format(self._fmt("spectrum", self.acc_bits + g, self.acc_int_bits + g))
                    rewriter.replace_value_with_new_type(res, circ.SpectrumType(t.blocks.data, t.block.data, el))
                else:
                    retype(res, acc if isinstance(o, _ACC_OPS) else act)
        for f in op.walk():
            if isinstance(f, func.FuncOp) and f.body.blocks:
                ret = f.body.blocks[-1].last_op
                outs = [v.type for v in ret.operands] if isinstance(ret, func.ReturnOp) else list(f.function_type.outputs)
                f.function_type = builtin.FunctionType.from_lists([a.type for a in f.args], outs)

    def _constant(self, rewriter: Rewriter, o: arith.ConstantOp, act: FixedType) -> None:
        values = dense_values(o.value) if isinstance(o.value, DenseIntOrFPElementsAttr) else None
        if values is None:
            return
        is_state = any(isinstance(u.operation, rnn.ScanOp) and u.index >= 1 for u in o.result.uses)
        fmt = act.format if is_state else weight_format(values, self.weight_bits, self.rounding, self.overflow)
        raw = from_float(values, fmt)
        t = o.result.type
        rewriter.replace_op(o, ConstOp(raw, TensorType(FixedType.from_format(fmt), t.get_shape())))

    def _circ_constant(self, rewriter: Rewriter, o: Operation) -> None:
        t = o.result.type
        if not isinstance(t.element_type, Float32Type):
            return
        attr = o.vectors if isinstance(o, circ.ConstOp) else o.spectra
        values = dense_values(attr)
        fmt = weight_format(values, self.weight_bits, self.rounding, self.overflow)
        try:
            raw = from_float(values, fmt)
        except FixedFormatError as e:
            raise PassFailedException(f"quantize: {o.name}: {e}") from e
        new_t = type(t)(t.rows.data, t.cols.data, t.block.data, FixedType.from_format(fmt))
        rewriter.replace_op(o, type(o)(raw_dense_attr(raw), new_t))


def _is_f32_tensor(t: Attribute) -> bool:
    return isinstance(t, TensorType) and isinstance(t.get_element_type(), Float32Type)
