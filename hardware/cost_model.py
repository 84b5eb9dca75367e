"""ercc's cost model: cycles, DSPs, BRAMs and LUTs of the kernel the emitter writes.

ESTIMATES, not synthesis results. The model follows the emitted code: every op
is a loop nest whose innermost loop is pipelined (`#sched.loop` II) and
unrolled (`#sched.loop` unroll) — or, for a reduction unrolled completely, whose
parent loop is pipelined around an adder tree; ops run one after another
inside a time step, except in a row pipeline (`sched.row_pipeline`: the MAC's
loop carries the inverse FFT and the elementwise tail), and every op has its
own hardware (no sharing, the conservative case). The top-level loops are processes: input paths
(`rnn.map`), recurrences (`rnn.scan`) and ops run once per sequence. Under
`sched.dataflow` they overlap, so a frame costs the slowest process's cycles
per step; without it they run one after another. Numbers per operator,
chosen from the usual UltraScale figures at 200 MHz:

- float32: a multiply takes 3 DSPs, an add 2 DSPs and ~400 LUTs; an accumulation
  through a float add carries a 4-cycle dependency (effective II 4);
- fixed point: a multiply up to 18 bits takes 1 DSP (2 up to 36), adds are LUTs
  (one per bit); accumulations pipeline at II 1;
- a float transcendental (std::tanh, std::exp) unit: 8 DSPs, ~2000 LUTs;
- an FFT call site is one instance of the straight-line program
  (`numerics/fft_plan.py`): its multiplies and adds, called once per block;
- arrays of 1 Kib or more live in 18 Kib block RAMs, one set per partition
  bank; rows handed between processes cost a FIFO, or a ping-pong buffer
  (two copies of the array) under dataflow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from xdsl.dialects import arith, func
from xdsl.dialects.builtin import Float32Type, ModuleOp, StringAttr, TensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.traits import ConstantLike

from ercc.dialects import circ, fix, rnn
from ercc.dialects.sched import (
    DATAFLOW,
    FABRIC_MUL,
    LOOP,
    OVERLAP_STEPS,
    PARTITION,
    ROW_PIPELINE,
    STREAM,
    LoopScheduleAttr,
    OverlapAttr,
    PartialSums,
    PartitionAttr,
    PartitionKind,
    RowPipelineAttr,
    StreamAttr,
)
from ercc.dialects.sched_rows import RowPipeline, pipeline_of, reads_rows, writes_rows
from ercc.hardware.devices import Device
from ercc.hardware.row_planning import can_overlap, streamed_spectrum
from ercc.numerics import fft_plan

BRAM_BITS = 18 * 1024
FABRIC_LUT_PER_DSP = 250  # LUTs of a multiplier built in fabric (an 18 × 18 array) instead of one DSP48
LUTRAM_LIMIT_BITS = 1024


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
    values = [_value_element(op.operands[0]), _element(op), *(getattr(op, "stages", None) or [])]
    a, b = sorted((arithmetic(twiddle).width, max(arithmetic(v).width for v in values)))
    if a <= 18 and b <= 27:
        return 1
    return 2 if a <= 36 and b <= 54 else 4


def _element(op: Operation) -> Attribute:
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


def op_cost(op: Operation, unroll: int | None = None, ii: int | None = None) -> OpCost | None:
    """Cost of one execution of `op` at the given (or its annotated) unroll factor and II.

    In a row pipeline (`sched.row_pipeline`) the MAC carries the whole loop: its
    cycles, and the hardware of the inverse FFT and of the tail, whose own costs
    are then their multiplications only.
    """
    if _in_row_pipeline(op):
        return _fused_cost(op, unroll, ii)
    cost = _loop_cost(op, unroll, ii)
    if isinstance(op, circ.RFFTOp) and overlap(op.parent_op()) is not None:
        # Overlapped: a scan's state FFT is zero at step 0 (later ones run in the loop, charged to the
        # MAC); a map's x_t FFT is one unit inside the loop.
        if isinstance(op.parent_op(), rnn.ScanOp):
            return OpCost(cost.name, 0, 0, 0, cost.muls)
        one = _loop_cost(op, 1, ii)
        one = _in_fabric(one) if FABRIC_MUL in op.parent_op().attributes else one
        return OpCost(cost.name, 0, one.dsp, one.lut, cost.muls)
    if isinstance(op, circ.RFFTOp) and _streamed(op.parent_op()) is op:
        # Runs at the first step only (the row pipeline transforms the later states): its cycles spread over T.
        steps = rnn.shape_of(op.parent_op().xs)[0]
        cost = OpCost(cost.name, math.ceil(cost.cycles / steps), cost.dsp, cost.lut, cost.muls)
    return cost


def _streamed(scan: Operation | None) -> circ.RFFTOp | None:
    if scan is None or ROW_PIPELINE not in scan.attributes:
        return None
    return streamed_spectrum(scan)


def _in_row_pipeline(op: Operation) -> bool:
    """Whether `op` is the MAC, the inverse FFT or a tail op of a row pipeline: in a body marked
    `#sched.row_pipeline` (verified to have that shape), every op with loops but the forward FFTs."""
    parent = op.parent_op()
    if parent is None or not isinstance(parent.attributes.get(ROW_PIPELINE), RowPipelineAttr):
        return False
    if isinstance(op, circ.FreqMacOp | circ.IRFFTOp):
        return True
    return not isinstance(op, circ.RFFTOp) and loop_work(op) is not None and not op.has_trait(ConstantLike)


def _chain(rp: RowPipeline) -> int:
    """Ops on the longest dependency path through the tail."""
    depth: dict[SSAValue, int] = {}
    for o in rp.tail:
        depth[o.results[0]] = 1 + max((depth.get(v, 0) for v in o.operands), default=0)
    return max(depth.values(), default=0)


def _latencies(rp: RowPipeline, unroll: int, ar: Arithmetic, forward: bool) -> tuple[int, int]:
    """Cycles from an iteration's start to its MAC's sum, and on to the tail's last write (and the
    next-state FFT's, with `forward`)."""
    tree = ar.add_latency * math.ceil(math.log2(unroll)) if unroll > 1 else 0
    mac = ar.depth + tree
    tail = fft_plan.build(rp.block, True).stages * ar.add_latency + ar.depth + 2 + _chain(rp) * ar.depth
    if forward:
        tail += fft_latency(rp.block, False, ar)
    return mac, mac + tail


def fft_latency(k: int, inverse: bool, ar: Arithmetic) -> int:
    """Pipeline depth of one straight-line FFT unit: an adder level per stage, a multiplier, registers."""
    return fft_plan.build(k, inverse).stages * ar.add_latency + ar.depth + 2


def required_slack(rp: RowPipeline, unroll: int, ar: Arithmetic, scan: bool) -> int:
    """Iterations (at II 1) between a write and its first read in the next step that an overlapped
    loop needs for HLS not to order them: the pipeline depth from the iteration that computes a
    value to its store (a scan's next-state FFT behind the tail; a map's FFT unit)."""
    return _latencies(rp, unroll, ar, True)[1] if scan else fft_latency(rp.block, False, ar)


@dataclass(frozen=True)
class Overlap:
    """A map or scan whose steps run as one loop (`sched.overlap_steps`): `step` iterations a step,
    `total` in all (a map's first `prologue` transform x_0); `split` block columns of a scan's rows
    are summed during the step before (the leading column groups)."""

    step: int
    total: int
    prologue: int = 0
    split: int = 0


def overlap(op: Operation, unroll: int | None = None) -> Overlap | None:
    """The overlapped loop of a map or scan at its MAC's `unroll` PEs, or None when its steps run
    one loop each (not marked, or the slack between a write and its first read in the next step
    is shorter than the pipeline: HLS is told those accesses do not depend).

    Scan: step t's loop walks its rows' last column group (p iterations, row by row, the
    tail and next-state FFT behind them), then the other groups of step t + 1's rows
    ((groups − 1)·p), which read only state blocks transformed at least `slack` iterations
    before. Map: q iterations transform x_0; then each step's rows as in a row pipeline, one
    FFT unit transforming x_t+1 block by block meanwhile; the last hidden block drains.

    Without `unroll`, a recorded plan (`#sched.overlap`) is the answer: the scheduler
    computes it once, and the report prices what the IR says.
    """
    recorded = op.attributes.get(OVERLAP_STEPS)
    if unroll is None and isinstance(recorded, OverlapAttr):
        return Overlap(recorded.step.data, recorded.total.data, recorded.prologue.data, recorded.split.data)
    if not can_overlap(op):
        return None
    rp = pipeline_of(op)
    mac = rp.mac
    p, q = mac.weight.type.grid
    if unroll is None:
        sched = mac.attributes.get(LOOP)
        unroll = sched.unroll.data if isinstance(sched, LoopScheduleAttr) else 1
    u = max(1, min(unroll, q))
    groups, gates = rp.groups(u), rp.gates
    T = rnn.shape_of(op.operands[0])[0]
    ar = arithmetic(_element(mac))
    if isinstance(op, rnn.ScanOp):
        if groups < 2:
            return None
        split = (groups - 1) * u
        # Block split - 1 is written at iteration (split + 1)·G − 1 (its tail, then its FFT) and
        # first read by the next step's first row at iteration p + groups − 2.
        slack = p + groups - 2 - ((split + 1) * gates - 1)
        if slack < required_slack(rp, u, ar, True):
            return None
        step = groups * p
        return Overlap(step, (T - 1) * step + p + gates, 0, split)
    step = groups * p
    if step - q + 1 < required_slack(rp, u, ar, False):
        return None
    prologue = q + fft_latency(rp.block, False, ar)
    return Overlap(step, prologue + T * step + gates * groups, prologue)


def _fused_cost(op: Operation, unroll: int | None, ii: int | None) -> OpCost:
    """A row pipeline's costs on its MAC: p·groups iterations for the block rows and G·groups
    more to drain the last hidden block's tail, one inverse-FFT unit and `lanes` tail lanes;
    overlapped (`overlap`), the whole sequence's loop spread over its T steps."""
    plain = _loop_cost(op, 1, ii)
    if not isinstance(op, circ.FreqMacOp):
        return OpCost(op.name, 0, 0, 0, plain.muls)
    rp = pipeline_of(op.parent_op())
    mac = _loop_cost(op, unroll, ii)
    sched = op.attributes.get(LOOP)
    u = unroll if unroll is not None else sched.unroll.data if isinstance(sched, LoopScheduleAttr) else 1
    ar = arithmetic(_element(op))
    step_ii = ii if ii is not None else sched.ii.data if isinstance(sched, LoopScheduleAttr) else 1
    step_ii *= ar.accumulate_ii if ar.is_float else 1
    parent = op.parent_op()
    forward = _streamed(parent)
    depth = _latencies(rp, u, ar, forward is not None)[1]
    lanes = rp.lanes(u)
    plan = overlap(parent, unroll)
    if plan is not None:
        if isinstance(parent, rnn.ScanOp):
            lanes = rp.finishing_lanes
        cycles = math.ceil((plan.total * step_ii + depth) / rnn.shape_of(parent.operands[0])[0])
    else:
        cycles = (op.weight.type.grid[0] + rp.gates) * rp.groups(u) * step_ii + depth
    inverse = _loop_cost(rp.inverse, 1, ii)
    tail = [_loop_cost(o, lanes, ii) for o in rp.tail]
    units = [inverse, *tail]
    if forward is not None:  # one FFT unit for the next step's spectrum
        units.append(_loop_cost(forward, 1, ii))
    if FABRIC_MUL in parent.attributes:
        units = [_in_fabric(t) for t in units]
    dsp = mac.dsp + sum(t.dsp for t in units)
    lut = mac.lut + sum(t.lut for t in units)
    return OpCost(f"{op.name} (row pipeline)", cycles, dsp, lut, mac.muls)


def _in_fabric(cost: OpCost) -> OpCost:
    """A fixed-point unit whose multiplies are LUTs (`sched.fabric_mul`): its DSPs become LUTs."""
    return OpCost(cost.name, cost.cycles, 0, cost.lut + FABRIC_LUT_PER_DSP * cost.dsp, cost.muls)


def _loop_cost(op: Operation, unroll: int | None, ii: int | None) -> OpCost | None:
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
    ar = arithmetic(_element(op))
    if work.flattened:
        step_ii = ii * (ar.accumulate_ii if work.accumulates and ar.is_float else 1)
        tree = ar.add_latency * math.ceil(math.log2(unroll)) if unroll > 1 else 0
        cycles = work.outer * math.ceil(work.inner / unroll) * step_ii + ar.depth + tree
    elif work.restarts is not None and unroll >= work.inner:
        # Inner loop fully unrolled (an adder tree, no loop-carried sum): its parent loop is pipelined.
        tree = ar.add_latency * max(1, math.ceil(math.log2(work.inner))) if work.accumulates else 0
        cycles = work.restarts * ((work.outer // work.restarts) * ii + ar.depth + tree)
    else:
        step_ii = ii * (ar.accumulate_ii if work.accumulates else 1)
        cycles = work.outer * (math.ceil(work.inner / unroll) * step_ii + ar.depth + (0 if work.fft else work.copy))
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
        cycles = math.ceil(work.inner / unroll) * ii + latency
        dsp = unroll * (plan.multiplies() * _fft_mul_dsp(op, ar) + plan.additions() * ar.dsp_add)
        lut = 50 + unroll * (plan.multiplies() * ar.lut_mul + plan.additions() * ar.lut_add)
        muls = work.inner * plan.multiplies()
    return OpCost(op.name, cycles, dsp, lut, muls)


def _array_brams(elements: int, width: int, banks: int, pairs: int | None = None) -> int:
    """BRAM18Ks of an array in `banks` banks, `pairs` of them sharing a word (default: `bank_pairing`)."""
    bits = elements * width
    if banks >= elements or bits < LUTRAM_LIMIT_BITS:
        return 0
    per_bank = math.ceil(bits / banks)
    if per_bank < LUTRAM_LIMIT_BITS:
        return 0
    r = bank_pairing(elements, width, banks) if pairs is None else pairs
    if r > 1:
        return math.ceil(banks / r) * _wide_brams(math.ceil(elements / banks), r * width)
    return banks * math.ceil(per_bank / BRAM_BITS)


def bank_pairing(elements: int, width: int, banks: int) -> int:
    """Banks of a cyclically partitioned array that share one memory word (`array_reshape`): its
    banks are read at the same address, so a BRAM too wide for one bank at its depth (16 bits in
    a 512 × 36 block) holds several; 1 when that saves nothing."""
    if banks < 2 or banks >= elements:
        return 1
    depth = math.ceil(elements / banks)
    r = max(1, _block_width(depth) // width)
    while r > 1 and banks % r:
        r -= 1
    if r > 1 and math.ceil(banks / r) * _wide_brams(depth, r * width) < banks * math.ceil(depth * width / BRAM_BITS):
        return r
    return 1


def _block_width(depth: int) -> int:
    """Bits a BRAM18K word holds at a depth: 512 × 36, 1K × 18, 2K × 9, 4K × 4, 8K × 2, 16K × 1."""
    return next((w for d, w in ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2)) if depth <= d), 1)


def _constant_storage(op: Operation) -> tuple[int, int, int, int] | None:
    """(elements, bits per element, partition banks, banks sharing a word) of a constant table,
    as its `#sched.partition` says."""
    match op:
        case arith.ConstantOp() | fix.ConstOp():
            t = op.result.type
            n = math.prod(t.get_shape())
        case circ.ConstOp():
            n = math.prod(op.vectors.get_shape())
        case circ.FreqConstOp():
            p, q = op.result.type.grid
            n = p * q * op.result.type.block.data  # packed: k values per block
        case _:
            return None
    el = _element(op)
    width = arithmetic(el).width
    part = op.attributes.get(PARTITION)
    banks, pairs = 1, 1
    if isinstance(part, PartitionAttr):
        banks = n if part.kind.data == PartitionKind.COMPLETE else part.factor.data * _bank_spread(op)
        pairs = part.pairs.data
    return n, width, banks, pairs


def constant_pairing(op: Operation, factor: int) -> int:
    """The banks sharing a word (`bank_pairing`) of a constant table cyclically partitioned for
    `factor` PEs: what a scheduler records as the partition's `pairs`."""
    storage = _constant_storage(op)
    if storage is None:
        return 1
    n, width, _, _ = storage
    return bank_pairing(n, width, factor * _bank_spread(op))


def _bank_spread(op: Operation) -> int:
    """Banks per PE of a partitioned table: a freq_mac PE reads a whole packed block (k values) at once."""
    return op.result.type.block.data if isinstance(op, circ.FreqConstOp) else 1


def storage_brams(op: Operation, banks: int | None = None) -> int:
    """BRAM18Ks of a constant table split into `banks` (default: as its partition says)."""
    storage = _constant_storage(op)
    if storage is None:
        return 0
    n, width, annotated, pairs = storage
    if banks is None:
        return _array_brams(n, width, annotated, pairs)
    return _array_brams(n, width, min(n, banks * _bank_spread(op)))


COPY_LUT_PER_LANE = 16  # a copy lane: address and data multiplexing
COPY_LATENCY = 2  # cycles to start and drain a pipelined copy loop


def step_copies(op: Operation) -> list[tuple[str, int]]:
    """(kind, elements) of the per-step copy loops the emitter writes around a map or scan body.

    Scan: x_t in, every state updated, y_t out. Map: x_t in, every row out. A
    row pipeline writes a scan's states in place, may read x_t straight from
    the rows and write a map's rows in place (`ercc.dialects.sched_rows`):
    those copies are not written; with its steps overlapped (`overlap`) none are.
    """
    if overlap(op) is not None:
        return []
    block = op.regions[0].block
    x = math.prod(rnn.shape_of(block.args[0]))
    rows = pipeline_of(op) is not None
    copies = [] if rows and reads_rows(op) else [("x", x)]
    if isinstance(op, rnn.MapOp):
        if rows and writes_rows(op):
            return copies
        return copies + [("out", math.prod(rnn.shape_of(v))) for v in block.last_op.operands]
    states = [math.prod(rnn.shape_of(a)) for a in block.args[1:]]
    if not rows:
        copies += [("state", n) for n in states]
    return copies + [("out", states[0])]


def copy_cost(op: Operation, unroll: int | None = None) -> OpCost:
    """Per step cost of a map's or scan's copy loops, unrolled by its `#sched.loop` factor."""
    sched = op.attributes.get(LOOP)
    if unroll is None:
        unroll = sched.unroll.data if isinstance(sched, LoopScheduleAttr) else 1
    copies = step_copies(op)
    # A FIFO takes one element a cycle whatever the unrolling: x_t from a streaming producer, rows to a consumer.
    fifo_in = STREAM in getattr(_source(op.operands[0]).owner, "attributes", {})
    fifo_out = STREAM in op.attributes
    first_out = next((i for i, (kind, _) in enumerate(copies) if kind == "out"), None)
    cycles = COPY_LATENCY * len(copies)
    for i, (kind, n) in enumerate(copies):
        fifo = kind == "x" and fifo_in or i == first_out and fifo_out
        cycles += n if fifo else math.ceil(n / min(unroll, n))
    return OpCost(f"{op.name} copies", cycles, 0, 50 + COPY_LUT_PER_LANE * unroll * len(copies), 0)


def stage_ops(op: Operation) -> list[Operation]:
    """The ops with loops of a top-level op: a map's or scan's body ops, or the op itself."""
    if isinstance(op, rnn.MapOp | rnn.ScanOp):
        return [o for o in op.regions[0].block.ops if loop_work(o) is not None]
    return [op] if loop_work(op) is not None else []


def stage_cycles(op: Operation, unroll: dict[int, int] | None = None) -> int:
    """Cycles of one step of a map or scan (ops one after another), or of a top-level op.

    `unroll` overrides the annotated unroll factor per op id (the scheduler's trials).
    """
    u = unroll or {}
    cycles = sum(op_cost(o, unroll=u.get(id(o))).cycles for o in stage_ops(op))
    if isinstance(op, rnn.MapOp | rnn.ScanOp):
        cycles += copy_cost(op, unroll=u.get(id(op))).cycles
    return cycles


@dataclass
class StageCost:
    """One dataflow process: an input path or a recurrence (per time step), or an op run once per sequence."""

    name: str
    kind: str  # "input path", "recurrence" or "once per sequence"
    steps: int
    cycles_per_step: int = 0
    dsp: int = 0
    lut: int = 0
    muls_per_step: int = 0
    ops: list[OpCost] = field(default_factory=list)
    stream: bool = False

    @property
    def per_frame(self) -> float:
        """Cycles this stage needs per input frame: a step's cycles, or its once-per-sequence run spread over T."""
        return self.cycles_per_step if self.kind != "once per sequence" else self.cycles_per_step / self.steps

    def add(self, cost: OpCost) -> None:
        self.ops.append(cost)
        self.cycles_per_step += cost.cycles
        self.dsp += cost.dsp
        self.lut += cost.lut
        self.muls_per_step += cost.muls


def _stage(op: Operation, T: int, counts: dict[str, int]) -> StageCost | None:
    if isinstance(op, rnn.MapOp | rnn.ScanOp):
        kind = "input path" if isinstance(op, rnn.MapOp) else "recurrence"
        index = counts[kind] = counts.get(kind, 0) + 1
        layer = op.attributes.get("ercc.layer")
        name = f"{kind} {index - 1}" + (f" ({layer.data})" if isinstance(layer, StringAttr) else "")
        if isinstance(op, rnn.ScanOp) and op.reverse:
            name += " reverse"
        stage = StageCost(name, kind, rnn.shape_of(op.operands[0])[0], stream=STREAM in op.attributes)
        stage.add(copy_cost(op))
    elif stage_ops(op):
        stage = StageCost(f"{op.name.split('.')[-1]} (once per sequence)", "once per sequence", T)
    else:
        return None
    for o in stage_ops(op):
        stage.add(op_cost(o))
    return stage


def _source(value: SSAValue) -> SSAValue:
    """The value a chain of reshapes (renames in the emitted code) views."""
    while isinstance(value.owner, rnn.ReshapeOp):
        value = value.owner.input
    return value


def _latency(stages: dict[Operation, StageCost]) -> int:
    """Cycles from the first input to the last output of one sequence through the dataflow processes.

    A process starts when the ping-pong buffers it reads are complete; behind a
    FIFO it starts one step after its producer and ends one step after it.
    """
    start: dict[Operation, float] = {}
    finish: dict[Operation, float] = {}
    for op, stage in stages.items():
        begin, end = 0.0, 0.0
        for v in op.operands:
            producer = _source(v).owner
            if producer not in stages:
                continue
            p = stages[producer]
            if p.stream:
                begin = max(begin, start[producer] + p.cycles_per_step)
                end = max(end, finish[producer] + stage.cycles_per_step)
            else:
                begin = max(begin, finish[producer])
        start[op] = begin
        finish[op] = max(end, begin + stage.steps * stage.cycles_per_step if stage.kind != "once per sequence"
                         else begin + stage.cycles_per_step)
    return math.ceil(max(finish.values(), default=0))


def _wide_brams(depth: int, bits: int) -> int:
    """BRAM18Ks of a `depth` × `bits` memory: 512 × 36, 1K × 18, 2K × 9, ... a block."""
    if depth * bits < LUTRAM_LIMIT_BITS:
        return 0
    return math.ceil(bits / _block_width(depth)) * max(1, math.ceil(depth / 16384))


def partial_sums_brams(mac: circ.FreqMacOp, layout: PartialSums) -> int:
    """BRAMs of an overlapped scan's partial sums (p rows × 2·bins values, all of a row read and
    written together): one bank a value (`partition`) or one wide word a row (`reshape`)."""
    acc = mac.accumulator if mac.accumulator is not None else mac.result.type.element_type
    width, values, rows = arithmetic(acc).width, 2 * mac.result.type.bins, mac.weight.type.grid[0]
    if layout == PartialSums.RESHAPE:
        return _wide_brams(rows, values * width)
    return values * _wide_brams(rows, width) if layout == PartialSums.PARTITION else 0


def partial_sums_layout(mac: circ.FreqMacOp) -> PartialSums:
    """The partial-sums layout that packs into fewer BRAMs (a scheduler's choice)."""
    wide = partial_sums_brams(mac, PartialSums.RESHAPE)
    return PartialSums.RESHAPE if wide < partial_sums_brams(mac, PartialSums.PARTITION) else PartialSums.PARTITION


def buffer_brams(op: Operation, dataflow: bool) -> int:
    """BRAMs of the rows a map or scan hands to the next process: a FIFO, or a (ping-pong) array;
    and an overlapped scan's partial sums (a block row's bins for every row, one bank a value)."""
    if not isinstance(op, rnn.MapOp | rnn.ScanOp):
        return 0
    partial = 0
    if (plan := overlap(op)) is not None and plan.split:
        recorded = op.attributes.get(OVERLAP_STEPS)
        rp = pipeline_of(op)
        layout = recorded.partial_sums.data if isinstance(recorded, OverlapAttr) else partial_sums_layout(rp.mac)
        partial = partial_sums_brams(rp.mac, layout)
    value = op.results[0]
    width = arithmetic(value.type.get_element_type()).width
    stream = op.attributes.get(STREAM)
    if isinstance(stream, StreamAttr):
        return partial + _array_brams(stream.depth.data, width, 1)
    return partial + (2 if dataflow else 1) * _array_brams(math.prod(rnn.shape_of(value)), width, 1)


def estimate(module: ModuleOp, device: Device, clock_mhz: float) -> dict:
    """The cost report of a scheduled module on `device` at `clock_mhz` (an ESTIMATE).

    With `sched.dataflow` the processes overlap: a frame costs the slowest
    process's cycles per step (steady state over a stream of frames); without
    it every process runs one after another.
    """
    top = next(op for op in module.walk() if isinstance(op, func.FuncOp))
    dataflow = DATAFLOW in top.attributes
    T = max((rnn.shape_of(o.operands[0])[0] for o in top.body.block.ops if isinstance(o, rnn.ScanOp | rnn.MapOp)),
            default=1)
    stages: dict[Operation, StageCost] = {}
    counts: dict[str, int] = {}
    bram = buffer_bram = lut_storage = weight_bytes = 0
    for op in top.body.block.ops:
        if (storage := _constant_storage(op)) is not None:
            n, width, banks, pairs = storage
            bram += _array_brams(n, width, banks, pairs)
            weight_bytes += n * math.ceil(width / 8)
            lut_storage += 0 if banks < n else n * width // 8
        elif (stage := _stage(op, T, counts)) is not None:
            stages[op] = stage
            buffer_bram += buffer_brams(op, dataflow)
    steps = [s for s in stages.values() if s.kind != "once per sequence"]
    once = [s for s in stages.values() if s.kind == "once per sequence"]
    if dataflow:
        cycles_per_frame = math.ceil(max((s.per_frame for s in stages.values()), default=0))
        latency = _latency(stages)
    else:
        cycles_per_frame = sum(s.cycles_per_step for s in steps)
        latency = T * cycles_per_frame + sum(s.cycles_per_step for s in once)
    muls_per_frame = sum(s.muls_per_step for s in steps)
    dsp_used = sum(s.dsp for s in stages.values())
    lut_used = sum(s.lut for s in stages.values()) + lut_storage
    dsp_bound = math.ceil(muls_per_frame / device.dsp) if muls_per_frame else 0
    return {
        "estimate": True,
        "note": "ercc cost-model estimate, not a synthesis result",
        "device": device.name,
        "part": device.part,
        "clock_mhz": clock_mhz,
        "sequence_length": T,
        "dataflow": dataflow,
        "cycles_per_frame": cycles_per_frame,
        "latency_cycles": latency,
        "throughput_fps": clock_mhz * 1e6 / cycles_per_frame if cycles_per_frame else 0.0,
        "dsp": dsp_used,
        "dsp_available": device.dsp,
        "bram18k": bram + buffer_bram,
        "bram18k_buffers": buffer_bram,
        "bram18k_available": device.bram18k,
        "lut": lut_used,
        "lut_available": device.lut,
        "weight_bytes": weight_bytes,
        "over_device": [name for name, used, available in (
            ("DSP", dsp_used, device.dsp), ("BRAM18K", bram + buffer_bram, device.bram18k),
            ("LUT", lut_used, device.lut)) if used > available],
        "mults_per_frame": muls_per_frame,
        "dsp_bound_cycles_per_frame": dsp_bound,
        "dsp_bound_ratio": dsp_bound / cycles_per_frame if cycles_per_frame else 0.0,
        "per_layer": [
            {
                "stage": s.name,
                "kind": s.kind,
                "cycles_per_frame": math.ceil(s.per_frame),
                "cycles_per_step": s.cycles_per_step,
                "dsp": s.dsp,
                "lut": s.lut,
                "mults_per_frame": s.muls_per_step if s.kind != "once per sequence" else 0,
                "fifo_out": s.stream,
            }
            for s in stages.values()
        ],
    }
