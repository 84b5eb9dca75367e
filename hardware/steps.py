"""Costs of a step: row pipelines, overlapped steps and the per-step copy loops (an ESTIMATE).

`op_cost` is an op's cost in its context: alone (`operators.loop_cost`), as
the MAC carrying a row pipeline's loop (`sched.row_pipeline`), or inside an
overlapped map or scan (`overlap`, `sched.overlap_steps`); `stage_cycles` is
one step of a map or scan with its copies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.ir import Operation, SSAValue
from xdsl.traits import ConstantLike

from ercc.dialects import circ, rnn
from ercc.dialects.sched import (
    FABRIC_MUL,
    LOOP,
    OVERLAP_STEPS,
    ROW_PIPELINE,
    STREAM,
    LoopScheduleAttr,
    OverlapAttr,
    RowPipelineAttr,
)
from ercc.dialects.sched_rows import RowPipeline, pipeline_of, reads_rows, writes_rows
from ercc.hardware.operators import (
    Arithmetic,
    OpCost,
    arithmetic,
    fft_latency,
    in_fabric,
    loop_cost,
    loop_work,
    op_element,
)
from ercc.hardware.row_planning import can_overlap, streamed_spectrum
from ercc.numerics import fft_plan
from ercc.numerics.intmath import ceil_div

COPY_LUT_PER_LANE = 16  # a copy lane: address and data multiplexing
COPY_LATENCY = 2  # cycles to start and drain a pipelined copy loop


def op_cost(op: Operation, unroll: int | None = None, ii: int | None = None) -> OpCost | None:
    """Cost of one execution of `op` at the given (or its annotated) unroll factor and II.

    In a row pipeline (`sched.row_pipeline`) the MAC carries the whole loop: its
    cycles, and the hardware of the inverse FFT and of the tail, whose own costs
    are then their multiplications only.
    """
    if _in_row_pipeline(op):
        return _fused_cost(op, unroll, ii)
    cost = loop_cost(op, unroll, ii)
    if isinstance(op, circ.RFFTOp) and overlap(op.parent_op()) is not None:
        # Overlapped: a scan's state FFT is zero at step 0 (later ones run in the loop, charged to the
        # MAC); a map's x_t FFT is one unit inside the loop.
        if isinstance(op.parent_op(), rnn.ScanOp):
            return OpCost(cost.name, 0, 0, 0, cost.muls)
        one = loop_cost(op, 1, ii)
        one = in_fabric(one) if FABRIC_MUL in op.parent_op().attributes else one
        return OpCost(cost.name, 0, one.dsp, one.lut, cost.muls)
    if isinstance(op, circ.RFFTOp) and _streamed(op.parent_op()) is op:
        # Runs at the first step only (the row pipeline transforms the later states): its cycles spread over T.
        steps = rnn.shape_of(op.parent_op().xs)[0]
        cost = OpCost(cost.name, ceil_div(cost.cycles, steps), cost.dsp, cost.lut, cost.muls)
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
    ar = arithmetic(op_element(mac))
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
    plain = loop_cost(op, 1, ii)
    if not isinstance(op, circ.FreqMacOp):
        return OpCost(op.name, 0, 0, 0, plain.muls)
    rp = pipeline_of(op.parent_op())
    mac = loop_cost(op, unroll, ii)
    sched = op.attributes.get(LOOP)
    u = unroll if unroll is not None else sched.unroll.data if isinstance(sched, LoopScheduleAttr) else 1
    ar = arithmetic(op_element(op))
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
        cycles = ceil_div(plan.total * step_ii + depth, rnn.shape_of(parent.operands[0])[0])
    else:
        cycles = (op.weight.type.grid[0] + rp.gates) * rp.groups(u) * step_ii + depth
    inverse = loop_cost(rp.inverse, 1, ii)
    tail = [loop_cost(o, lanes, ii) for o in rp.tail]
    units = [inverse, *tail]
    if forward is not None:  # one FFT unit for the next step's spectrum
        units.append(loop_cost(forward, 1, ii))
    if FABRIC_MUL in parent.attributes:
        units = [in_fabric(t) for t in units]
    dsp = mac.dsp + sum(t.dsp for t in units)
    lut = mac.lut + sum(t.lut for t in units)
    return OpCost(f"{op.name} (row pipeline)", cycles, dsp, lut, mac.muls)


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
    fifo_in = STREAM in getattr(source_of(op.operands[0]).owner, "attributes", {})
    fifo_out = STREAM in op.attributes
    first_out = next((i for i, (kind, _) in enumerate(copies) if kind == "out"), None)
    cycles = COPY_LATENCY * len(copies)
    for i, (kind, n) in enumerate(copies):
        fifo = kind == "x" and fifo_in or i == first_out and fifo_out
        cycles += n if fifo else ceil_div(n, min(unroll, n))
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


def source_of(value: SSAValue) -> SSAValue:
    """The value a chain of reshapes (renames in the emitted code) views."""
    while isinstance(value.owner, rnn.ReshapeOp):
        value = value.owner.input
    return value
