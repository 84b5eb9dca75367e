"""Operator costs: what one op's loop nest costs in cycles, DSPs and LUTs (an ESTIMATE).

`loop_work` describes the loop nest the emitter writes for an op; `loop_cost`
prices it from the per-operator figures of its number format (`Arithmetic`:
float32 or fixed point, see `cost_model.py`). Row pipelines and overlapped
steps build on these in `steps.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import Float32Type, TensorType
from xdsl.ir import Attribute, Operation

from ercc.dialects import circ, fix, rnn
from ercc.dialects.sched import LOOP, LoopScheduleAttr
from ercc.numerics import fft_plan
from ercc.numerics.integer_quant import power_of_two
from ercc.numerics.intmath import ceil_div

FABRIC_LUT_PER_DSP = 250  # LUTs of a multiplier built in fabric (an 18 × 18 array) instead of one DSP48


@dataclass(frozen=True)
class Arithmetic:
    """Costs of one operator in a number format."""

    is_float: bool
    width: int

    @property
    def dsp_mul(self) -> int:
        if self.is_float:
            return 3
        return 1 if self.width <= 18 else 2 if self.width <= 36 else 4

    @property
    def dsp_add(self) -> int:
        return 2 if self.is_float else 0

    @property
    def lut_add(self) -> int:
        return 400 if self.is_float else self.width

    @property
    def lut_mul(self) -> int:
        return 100 if self.is_float else 20

    @property
    def accumulate_ii(self) -> int:
        return 4 if self.is_float else 1

    @property
    def depth(self) -> int:
        return 12 if self.is_float else 4

    @property
    def add_latency(self) -> int:
        return 4 if self.is_float else 1


def arithmetic(el: Attribute) -> Arithmetic:
    """The number format of an element type: f32, or a fixed-point type with a `width`."""
    if isinstance(el, Float32Type):
        return Arithmetic(True, 32)
    width = getattr(el, "width", None)
    return Arithmetic(False, int(getattr(width, "data", width or 16)))


def _value_element(value) -> Attribute:
    t = value.type
    return t.get_element_type() if isinstance(t, TensorType) else t.element_type


def mul_dsp(op: Operation, ar: Arithmetic) -> int:
    """DSP48 slices per multiply: fixed-point products of the op's two operands fit one
    27 × 18 multiplier when their widths do (a 16-bit weight times a 20-bit spectrum: 1)."""
    if ar.is_float or len(op.operands) < 2:
        return ar.dsp_mul
    # Gauss's products (`circ.freq_mac` in fixed point) take one operand through the pre-adder: a bit wider.
    wider = 1 if isinstance(op, circ.FreqMacOp) and op.accumulator is not None else 0
    a, b = sorted(arithmetic(_value_element(v)).width + wider for v in op.operands[:2])
    if a <= 18 and b <= 27:
        return 1
    return 2 if a <= 36 and b <= 54 else 4


def _fft_mul_dsp(op: Operation, ar: Arithmetic) -> int:
    """DSP48 slices per multiply of a straight-line FFT: in fixed point a twiddle (`twiddle`) times
    a stage's value, the widest of the input, the stages and the result."""
    twiddle = getattr(op, "twiddle", None)
    if ar.is_float or twiddle is None:
        return ar.dsp_mul
    values = [_value_element(op.operands[0]), op_element(op), *(getattr(op, "stages", None) or [])]
    a, b = sorted((arithmetic(twiddle).width, max(arithmetic(v).width for v in values)))
    if a <= 18 and b <= 27:
        return 1
    return 2 if a <= 36 and b <= 54 else 4


def op_element(op: Operation) -> Attribute:
    t = op.results[0].type if op.results else op.operands[0].type
    return t.get_element_type() if isinstance(t, TensorType) else t.element_type


@dataclass(frozen=True)
class LoopWork:
    """An op as the emitter writes it: `outer` restarts of a pipelined inner loop of `inner` trips.

    Each inner iteration does `muls` multiplies and `adds` adds (`transcendental`
    calls); `accumulates` when it feeds a loop-carried sum. A reduction whose
    inner loop is fully unrolled has its parent loop pipelined instead
    (`restarts` times, `outer / restarts` trips each). `fft` = (block size,
    inverse) of the straight-line FFT applied to each of the `inner` blocks;
    `copy`: more elements copied at one per cycle after each outer iteration.
    `flattened`: the emitter writes outer × inner/unroll as one pipelined loop
    (the pipeline fills once); a fixed-point accumulation there is exact, so
    only float sums carry the adder's latency from one iteration to the next.
    `compares`: comparators per element (a piecewise-linear table's segment search), in LUTs;
    `lut_adds`: adders in LUTs besides a multiply-accumulate's (which its DSP48 does).
    """

    outer: int
    inner: int
    muls: int = 0
    adds: int = 0
    transcendental: int = 0
    accumulates: bool = False
    restarts: int | None = None
    fft: tuple[int, bool] | None = None
    copy: int = 0
    flattened: bool = False
    compares: int = 0
    lut_adds: int = 0


def loop_work(op: Operation) -> LoopWork | None:
    """The loop structure of an op, or None for ops that emit no loop (reshape)."""
    match op:
        case rnn.MatVecOp():
            rows, cols = rnn.shape_of(op.weight)
            return LoopWork(rows, cols, 1, 1, accumulates=True, restarts=1)
        case circ.MatVecOp():
            t = op.weight.type
            return LoopWork(t.rows.data, t.cols.data, 1, 1, accumulates=True, restarts=1)
        case circ.FreqMacOp():
            # Per block row: all bins at once per block column, between clearing and storing the
            # 2 * bins accumulators. Bins 0 and k/2 are real (1 multiply); a complex bin takes 4
            # multiplies in float, Gauss's 3 in (exact) fixed point, and 2 adders after them.
            t = op.weight.type
            p, q = t.grid
            k = t.block.data
            complex_bins = max(0, k // 2 - 1)
            gauss = op.accumulator is not None
            macs = min(k, 2) + complex_bins * (3 if gauss else 4)
            return LoopWork(p, q, macs, macs, accumulates=True, flattened=True,
                            lut_adds=2 * complex_bins if gauss else 0)
        case circ.RFFTOp():
            # The block loop is pipelined: one FFT unit per PE takes a block a cycle.
            t = op.result.type
            return LoopWork(1, t.blocks.data, fft=(t.block.data, False))
        case circ.IRFFTOp():
            t = op.input.type
            return LoopWork(1, t.blocks.data, fft=(t.block.data, True))
        case rnn.AddOp() | rnn.SubOp():
            return LoopWork(1, _numel(op), adds=1)
        case rnn.MulOp():
            return LoopWork(1, _numel(op), muls=1)
        case rnn.ClampOp():
            return LoopWork(1, _numel(op), adds=2)
        case fix.PWLOp():
            # Segment search (a comparator per breakpoint), then values[s] + slopes[s] * (x - breaks[s]).
            segments = rnn.shape_of(op.values)[0]
            return LoopWork(1, _numel(op), muls=1, adds=2, compares=segments + 1)
        case fix.TableOp():
            return LoopWork(1, _numel(op))  # one ROM read per element
        case fix.CastOp():
            return LoopWork(1, _numel(op), adds=1)  # a rounding increment at most
        case fix.QuantOp():  # x / scale (a divider, or a product for a power-of-two scale), round, clamp, · scale
            divider = power_of_two(float(np.float32(op.scale.value.data))) is None
            return LoopWork(1, _numel(op), muls=1 if divider else 2, adds=2, transcendental=int(divider))
        case fix.DequantOp():
            return LoopWork(1, _numel(op), muls=1)
        case rnn.ActivationOp():
            kind = op.fn.activation
            calls = 1 if kind in _TRANSCENDENTAL else 0
            return LoopWork(1, _numel(op), muls=1, adds=1, transcendental=calls)
        case rnn.SoftmaxOp() | rnn.LogSoftmaxOp():
            return LoopWork(1, 3 * _numel(op), adds=1, transcendental=1)
        case rnn.GemmOp():
            m, n = rnn.shape_of(op.result)
            a = rnn.shape_of(op.A)
            depth = a[0] if op.trans_a.value.data else a[1]
            return LoopWork(m * n, depth, 1, 1, accumulates=True, restarts=m)
        case rnn.MatMulOp():
            depth, n = rnn.shape_of(op.B)
            return LoopWork(_numel(op), depth, 1, 1, accumulates=True, restarts=_numel(op) // n)
        case rnn.TransposeOp() | rnn.SliceOp() | rnn.ConcatOp():
            return LoopWork(1, _numel(op))
    return None


_TRANSCENDENTAL = {
    rnn.ActivationKind.SIGMOID,
    rnn.ActivationKind.TANH,
    rnn.ActivationKind.SCALED_TANH,
    rnn.ActivationKind.ELU,
    rnn.ActivationKind.SOFTPLUS,
    rnn.ActivationKind.SOFTSIGN,
}


def _numel(op: Operation) -> int:
    return math.prod(rnn.shape_of(op.results[0]))


@dataclass
class OpCost:
    name: str
    cycles: int
    dsp: int
    lut: int
    muls: int  # real multiplications of one execution


def fft_latency(k: int, inverse: bool, ar: Arithmetic) -> int:
    """Pipeline depth of one straight-line FFT unit: an adder level per stage, a multiplier, registers."""
    return fft_plan.build(k, inverse).stages * ar.add_latency + ar.depth + 2


def in_fabric(cost: OpCost) -> OpCost:
    """A fixed-point unit whose multiplies are LUTs (`sched.fabric_mul`): its DSPs become LUTs."""
    return OpCost(cost.name, cost.cycles, 0, cost.lut + FABRIC_LUT_PER_DSP * cost.dsp, cost.muls)


def loop_cost(op: Operation, unroll: int | None, ii: int | None) -> OpCost | None:
    """Cost of `op` as its own loop nest."""
    work = loop_work(op)
    if work is None:
        return None
    sched = op.attributes.get(LOOP)
    if unroll is None:
        unroll = sched.unroll.data if isinstance(sched, LoopScheduleAttr) else 1
    if ii is None:
        ii = sched.ii.data if isinstance(sched, LoopScheduleAttr) else 1
    unroll = max(1, min(unroll, work.inner))
    ar = arithmetic(op_element(op))
    if work.flattened:
        step_ii = ii * (ar.accumulate_ii if work.accumulates and ar.is_float else 1)
        tree = ar.add_latency * math.ceil(math.log2(unroll)) if unroll > 1 else 0
        cycles = work.outer * ceil_div(work.inner, unroll) * step_ii + ar.depth + tree
    elif work.restarts is not None and unroll >= work.inner:
        # Inner loop fully unrolled (an adder tree, no loop-carried sum): its parent loop is pipelined.
        tree = ar.add_latency * max(1, math.ceil(math.log2(work.inner))) if work.accumulates else 0
        cycles = work.restarts * ((work.outer // work.restarts) * ii + ar.depth + tree)
    else:
        step_ii = ii * (ar.accumulate_ii if work.accumulates else 1)
        cycles = work.outer * (ceil_div(work.inner, unroll) * step_ii + ar.depth + (0 if work.fft else work.copy))
    dsp = unroll * (work.muls * mul_dsp(op, ar) + work.adds * ar.dsp_add + work.transcendental * (8 if ar.is_float else 1))
    # A fixed-point multiply-accumulate maps to one DSP48 in MACC mode: its adds run in the DSP's
    # post-adder (and cascade), not in LUTs.
    macc = not ar.is_float and work.accumulates and work.adds <= work.muls
    lut = 50 + unroll * (work.muls * ar.lut_mul + (0 if macc else work.adds * ar.lut_add) + work.transcendental * 2000
                         + (work.compares + work.lut_adds) * ar.width)
    muls = work.outer * work.inner * work.muls
    if work.fft is not None:
        # `unroll` instances of the straight-line FFT, each taking a block a cycle
        # (pipelined at II): one adder level per butterfly stage of latency.
        plan = fft_plan.build(*work.fft)
        latency = plan.stages * ar.add_latency + (ar.depth if plan.multiplies() else 0) + 2
        cycles = ceil_div(work.inner, unroll) * ii + latency
        dsp = unroll * (plan.multiplies() * _fft_mul_dsp(op, ar) + plan.additions() * ar.dsp_add)
        lut = 50 + unroll * (plan.multiplies() * ar.lut_mul + plan.additions() * ar.lut_add)
        muls = work.inner * plan.multiplies()
    return OpCost(op.name, cycles, dsp, lut, muls)
