"""The planner behind pe-schedule: dataflow stages, row pipelines and the PEs of every loop, within a device's budget.

The top-level loops of the kernel (input paths `rnn.map`, recurrences
`rnn.scan`, ops run once per sequence) become dataflow processes
(`sched.dataflow` on the function); rows that one process writes in time order
and the next reads in time order pass through a FIFO (`#sched.stream`), so the
consumer starts one step behind the producer; other hand-overs are ping-pong
buffers. A map or scan whose step is one MAC engine, its inverse FFT and an
elementwise tail becomes a row pipeline (`sched.row_pipeline`; a scan also
transforms its next state there, `sched.next_spectrum`, when the extra FFT
unit fits); where its hand-overs are arrays and its pipeline has the slack, all
its steps run as one loop (`sched.overlap_steps`), and its multiplies outside
the MAC engine may move to LUTs (`sched.fabric_mul`) when that buys frames/s.
In a dataflow pipeline a frame costs the slowest process's cycles
per step, so the pass balances the pipeline: it bisects on the cycles per frame,
and for each target chooses every process's PE counts (unroll factors,
`#sched.loop`) as the cheapest that meet it — a knapsack over the loops'
options (`ercc.hardware.cost_model` costs), whose resource prices rise while
the processes together overrun `dsp-fraction` of the device's DSPs, LUTs or
block RAMs (more PEs on a reduction partition its weight table cyclically,
`#sched.partition`, which costs BRAM banks); then what is left goes to the
slowest process. With `dataflow=false` the processes run one after another and
the pass minimizes their sum instead (greedily, cycles saved per budget share).

The planner tries schedules on the IR itself (the cost model prices the
attributes of a trial), and leaves it as it found it: `Planner.plan` returns
the chosen decisions as a `Schedule`, which the pass (`passes/pe_schedule.py`)
writes.
"""


from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, UnitAttr
from xdsl.ir import Attribute, Operation, SSAValue

from ercc.dialects import rnn
from ercc.dialects.sched import (
    DATAFLOW,
    FABRIC_MUL,
    LOOP,
    NEXT_SPECTRUM,
    OVERLAP_STEPS,
    PARTITION,
    ROW_PIPELINE,
    STREAM,
    LoopScheduleAttr,
    OverlapAttr,
    PartialSums,
    StreamAttr,
)
from ercc.dialects.sched_rows import match, pipeline_of
from ercc.dialects.traits import ScheduledLoop
from ercc.hardware.cost_model import estimate
from ercc.hardware.devices import DEVICES
from ercc.hardware.memory import buffer_brams, partial_sums_layout, storage_brams
from ercc.hardware.operators import arithmetic, loop_work
from ercc.hardware.row_planning import can_overlap, streamed_spectrum
from ercc.hardware.steps import copy_cost, op_cost, overlap, stage_ops, step_copies
from ercc.numerics.intmath import ceil_div
from ercc.passes.loop_schedule import partition_reduction_operand, reduction_operand


def _consumers(value: SSAValue) -> list[tuple[Operation, SSAValue]]:
    """The (op, operand) pairs that read `value`, looking through reshapes (renames in the emitted code)."""
    found = []
    for use in value.uses:
        op = use.operation
        if isinstance(op, rnn.ReshapeOp):
            found += _consumers(op.result)
        else:
            found.append((op, op.operands[use.index]))
    return found


def fifo_depth(producer: Operation) -> int | None:
    """Depth of the FIFO `producer` can hand its rows over by, or None when a buffer is needed.

    Both sides must walk the rows in time order, each once: a map or a forward
    scan writes them so; a map or a forward scan without sequence lengths reads them so.
    """
    if not isinstance(producer, rnn.MapOp | rnn.ScanOp) or isinstance(producer, rnn.ScanOp) and producer.reverse:
        return None
    if len(producer.results) > 1 and isinstance(producer, rnn.MapOp):
        return None
    readers = _consumers(producer.results[0])
    if len(readers) != 1:
        return None
    consumer, operand = readers[0]
    if not isinstance(consumer, rnn.MapOp | rnn.ScanOp) or consumer.operands[0] is not operand:
        return None
    if isinstance(consumer, rnn.ScanOp) and (consumer.reverse or consumer.lengths is not None):
        return None
    return 2 * math.prod(rnn.shape_of(producer.results[0])[1:])


def _weight_brams(op: Operation, unroll: int) -> int:
    """BRAMs of the constant a reduction reads, partitioned for `unroll` PEs."""
    weight = reduction_operand(op)
    return 0 if weight is None else storage_brams(weight.owner, unroll)


@dataclass
class _Knob:
    """One unroll factor the pass chooses: a loop nest, or the copy loops of a map or scan."""

    op: Operation
    stage: int
    limit: int
    copies: bool
    unroll: int = 1

    def next(self, unroll: int) -> int:
        """The next PE count worth trying: the fewest PEs that take fewer iterations over the
        loop, at least a quarter more (64 block columns: ..., 8, 10, 13, 16, 22, 32, 64)."""
        passes = ceil_div(self.limit, unroll)
        fewer = ceil_div(self.limit, max(passes - 1, 1))
        while ceil_div(self.limit, fewer) > 1 and fewer < unroll + ceil_div(unroll, 4):
            fewer = ceil_div(self.limit, ceil_div(self.limit, fewer) - 1)
        return min(fewer, self.limit)

    def steps(self, unroll: int) -> list[int]:
        """PE counts to try from `unroll`: the next worth trying, and the next power of two (a
        weight table split into 2^n banks packs its block RAMs best)."""
        if unroll >= self.limit:
            return []
        return sorted({self.next(unroll), min(1 << unroll.bit_length(), self.limit)})

    def cost(self, unroll: int):
        return copy_cost(self.op, unroll) if self.copies else op_cost(self.op, unroll=unroll)


def _shared_channel(top: func.FuncOp, processes: list[Operation]) -> bool:
    """Whether a value is read by two processes (both directions of a bidirectional layer read x):
    a dataflow region needs one reader per channel, and no splitter process is emitted yet."""
    procs = set(processes)
    block = top.body.block
    for value in [*block.args, *(r for o in block.ops for r in o.results)]:
        if len({op for op, _ in _consumers(value) if op in procs}) > 1:
            return True
    return False


def _mac_element(process: Operation):
    return match(process.regions[0].block).mac.result.type.element_type


def record_overlap(process: Operation) -> None:
    """Replaces the request to overlap a process's steps (a unit `sched.overlap_steps` while the
    PEs are chosen) by its plan at the chosen PE count (`#sched.overlap`), or drops it."""
    plan = overlap(process)
    del process.attributes[OVERLAP_STEPS]
    if plan is not None:
        sums = partial_sums_layout(pipeline_of(process).mac) if plan.split else PartialSums.NONE
        process.attributes[OVERLAP_STEPS] = OverlapAttr(plan.step, plan.total, plan.prologue, plan.split, sums)


def _snapshot(module: ModuleOp) -> dict[Operation, dict]:
    """The scheduling attributes of every op (to restore a schedule)."""
    keys = (DATAFLOW, LOOP, PARTITION, STREAM, ROW_PIPELINE, NEXT_SPECTRUM, OVERLAP_STEPS, FABRIC_MUL)
    return {o: {k: v for k, v in o.attributes.items() if k in keys} for o in module.walk()}


def _clear(module: ModuleOp, top: func.FuncOp) -> None:
    """Removes every scheduling decision (to schedule again another way)."""
    top.attributes.pop(DATAFLOW, None)
    for o in module.walk():
        for key in (LOOP, PARTITION, STREAM, ROW_PIPELINE, NEXT_SPECTRUM, OVERLAP_STEPS, FABRIC_MUL):
            o.attributes.pop(key, None)


def _balance(knobs: list[_Knob], once: list[bool], T: int, budgets: tuple[int, int, int]) -> None:
    """Sets every knob's unroll for the smallest max-stage cycles that fits the budgets.

    Binary search on the target cycles per frame. For a target, each stage
    chooses its knobs' PE counts: a stage's cycles and resources are sums over
    its knobs, so the cheapest choice meeting the target — the smallest share
    of the budgets (DSP, LUT and BRAM, each over its budget) — is a
    multiple-choice knapsack, solved by dynamic programming (`choose`). The
    stages' choices must fit the budgets together. The greedy polish in
    `PESchedule` then spends what is left.
    """
    budget, lut_budget, bram_budget = budgets
    stages = sorted({k.stage for k in knobs})

    def frame(stage: int, cycles: float) -> float:
        return cycles / T if once[stage] else cycles

    # Per knob: (unroll, cycles, dsp, lut, bram) for each PE count worth trying.
    tables: dict[int, list[tuple]] = {}
    for k in knobs:
        counts, u = [1], 1
        while u < k.limit:
            counts += k.steps(u)
            u = k.next(u)
        rows = []
        for u in sorted(set(counts)):
            c = k.cost(u)
            bram = 0 if k.copies else _weight_brams(k.op, u)
            rows.append((u, c.cycles, c.dsp, c.lut, bram))
        # Options no better in any way than a smaller PE count are never worth choosing.
        tables[id(k)] = [r for i, r in enumerate(rows)
                         if not any(all(a <= b for a, b in zip(q[1:], r[1:])) for q in rows[:i])]

    buckets = 256

    def choose(mine: list[_Knob], cap: float, weights: tuple[float, float, float]) -> list[tuple] | None:
        """The options of `mine` with the smallest weighted resources whose cycles sum to at most
        `cap` (a multiple-choice knapsack, by dynamic programming over cycles in 1/256ths of the
        cap, rounded up: what it returns always fits)."""
        unit = cap / buckets
        cost = np.zeros(buckets + 1)
        back = []
        for k in mine:
            rows = tables[id(k)]
            new, arg = np.full(buckets + 1, np.inf), np.full(buckets + 1, -1)
            for i, r in enumerate(rows):
                width = math.ceil(r[1] / unit - 1e-9) if unit > 0 else (0 if r[1] == 0 else buckets + 1)
                if width > buckets:
                    continue
                shifted = np.full(buckets + 1, np.inf)
                shifted[width:] = cost[: buckets + 1 - width] + weights[0] * r[2] + weights[1] * r[3] + weights[2] * r[4]
                better = shifted < new
                new[better], arg[better] = shifted[better], i
            back.append(arg)
            cost = new
        end = int(np.argmin(cost))
        if not np.isfinite(cost[end]):
            return None
        picked = []
        for k, arg in zip(reversed(mine), reversed(back)):
            r = tables[id(k)][arg[end]]
            picked.append(r)
            end -= math.ceil(r[1] / unit - 1e-9) if unit > 0 else 0
        return picked[::-1]

    def attempt(target: float) -> dict[int, int] | None:
        """PE counts meeting `target` within the budgets: each stage's cheapest choice, where a
        resource's price (first one over its budget) rises fourfold while the stages overrun it."""
        limits = (budget, lut_budget, bram_budget)
        weights = [1 / max(b, 1) for b in limits]
        for _ in range(8):
            unroll: dict[int, int] = {}
            used = [0, 0, 0]
            for stage in stages:
                mine = [k for k in knobs if k.stage == stage]
                picked = choose(mine, target * T if once[stage] else target, tuple(weights))
                if picked is None:
                    return None
                for k, r in zip(mine, picked):
                    unroll[id(k)] = r[0]
                for i in range(3):
                    used[i] += sum(r[2 + i] for r in picked)
            over = [u > b for u, b in zip(used, limits)]
            if not any(over):
                return unroll
            for i in range(3):
                weights[i] *= 4 if over[i] else 1
        return None

    start = {s: sum(k.cost(1).cycles for k in knobs if k.stage == s) for s in stages}
    hi = max((frame(s, c) for s, c in start.items()), default=0.0)
    best = attempt(hi)
    if best is None:
        return
    lo = 0.0
    while hi - lo > max(1.0, 0.005 * hi):
        mid = (lo + hi) / 2
        found = attempt(mid)
        if found is None:
            lo = mid
        else:
            hi, best = mid, found
    # Feasibility is not monotonic in the target (choices are discrete): probe a little lower.
    for step in range(1, 16):
        found = attempt(hi * (1 - 0.02 * step))
        if found is not None:
            best = found
    for k in knobs:
        k.unroll = best[id(k)]


@dataclass(frozen=True)
class Schedule:
    """A scheduler's decisions: the `sched` attributes to set on each op."""

    decisions: dict[Operation, dict[str, Attribute]]

    def write(self) -> None:
        for o, attrs in self.decisions.items():
            o.attributes.update(attrs)


@dataclass(frozen=True)
class Planner:
    """Chooses dataflow stages and PEs (unroll factors) per loop to maximize frames/s within the budget.

    Its options are pe-schedule's, documented there (`ercc.passes.pe_schedule.PESchedule`).
    """

    device: str = "xcku060"
    clock_mhz: float = 200.0
    dsp_fraction: float = 0.9
    dataflow: bool = True
    fifos: bool = True
    row_pipelines: bool = True
    fabric_mul: bool = True
    overlap_steps: bool = True

    def plan(self, module: ModuleOp, top: func.FuncOp) -> Schedule:
        """The schedule of `top`: tried with FIFO hand-overs and with ping-pong buffers only, the
        faster kept (frames/s; FIFOs unless buffers are more than 2 % faster: FIFOs give a much
        lower latency); the IR is left as it was. When a
        schedule fills a budget it is tried without overlapped steps too (their partial sums take
        BRAMs, their tails lanes); the best is tried again with LUT multipliers outside its
        fixed-point MAC engines; each kept only if faster."""
        best, best_attrs, chosen = None, None, None

        def attempt(fifos: bool, overlapped: bool, fabric: bool = False) -> bool:
            nonlocal best, best_attrs, chosen
            if best is not None:
                _clear(module, top)
            score = self._schedule(module, top, fifos, overlapped, fabric) / (1.02 if fifos else 1.0)
            if best is None or score < best:
                best, best_attrs, chosen = score, _snapshot(module), (fifos, overlapped)
            return self._filled(module)

        for fifos in (True, False) if self.dataflow and self.fifos else (False,):
            if attempt(fifos, self.overlap_steps) and self.overlap_steps:
                attempt(fifos, False)
        if self.fabric_mul and self._fixed_row_pipelines(best_attrs):
            attempt(*chosen, fabric=True)
        _clear(module, top)
        return Schedule(best_attrs)

    def _filled(self, module: ModuleOp) -> bool:
        """Whether the module's schedule uses over 90 % of its DSP, BRAM or LUT budget (only then can
        a schedule without overlapped steps, whose partial sums and tails are smaller, win)."""
        device = DEVICES[self.device]
        report = estimate(module, device, self.clock_mhz)
        used = (report["dsp"] / device.dsp, report["bram18k"] / device.bram18k, report["lut"] / device.lut)
        return any(u > 0.9 * self.dsp_fraction for u in used)

    @staticmethod
    def _fixed_row_pipelines(attrs: dict) -> bool:
        """Whether a saved schedule has a fixed-point row pipeline (something to move to LUTs)."""
        return any(ROW_PIPELINE in a and isinstance(op, rnn.MapOp | rnn.ScanOp)
                   and not arithmetic(_mac_element(op)).is_float for op, a in attrs.items())

    def _schedule(self, module: ModuleOp, top: func.FuncOp, fifos: bool, overlapped: bool,
                  fabric: bool) -> float:
        """Sets the schedule; returns the estimated cycles per frame (the slowest stage's)."""
        device = DEVICES[self.device]
        processes = [o for o in top.body.block.ops if stage_ops(o) or isinstance(o, rnn.MapOp | rnn.ScanOp)]
        dataflow = self.dataflow and len(processes) > 1 and not _shared_channel(top, processes)
        if dataflow:
            top.attributes[DATAFLOW] = UnitAttr()
            for p in processes:
                if fifos and (depth := fifo_depth(p)) is not None:
                    p.attributes[STREAM] = StreamAttr(depth)
        knobs: list[_Knob] = []
        once = []
        for i, p in enumerate(processes):
            looped = isinstance(p, rnn.MapOp | rnn.ScanOp)
            once.append(not looped)
            if looped and self.row_pipelines and (rp := match(p.regions[0].block)) is not None:
                p.attributes[ROW_PIPELINE] = rp.attr
                p.attributes[NEXT_SPECTRUM] = UnitAttr()
                if streamed_spectrum(p) is None:
                    del p.attributes[NEXT_SPECTRUM]
                if fabric and not arithmetic(_mac_element(p)).is_float:
                    p.attributes[FABRIC_MUL] = UnitAttr()
                if overlapped:
                    p.attributes[OVERLAP_STEPS] = UnitAttr()
                    if not can_overlap(p):
                        del p.attributes[OVERLAP_STEPS]
            if looped:
                knobs.append(_Knob(p, i, max((n for _, n in step_copies(p)), default=1), True))
            knobs += [_Knob(o, i, loop_work(o).inner, False) for o in stage_ops(p)]
        scheduled = {id(k.op) for k in knobs if not k.copies}
        fixed = [op_cost(o, unroll=1) for o in module.walk() if id(o) not in scheduled and loop_work(o) is not None]
        budget = int(device.dsp * self.dsp_fraction) - sum(c.dsp for c in fixed)
        if sum(k.cost(1).dsp for k in knobs) > budget:  # no room for the next-state FFT units
            for p in processes:
                p.attributes.pop(NEXT_SPECTRUM, None)
                if isinstance(p, rnn.ScanOp):
                    p.attributes.pop(OVERLAP_STEPS, None)
        lut_budget = int(device.lut * self.dsp_fraction) - sum(c.lut for c in fixed)
        read = {id(w.owner) for k in knobs if not k.copies and (w := reduction_operand(k.op)) is not None}
        bram_budget = int(device.bram18k * self.dsp_fraction) - sum(
            storage_brams(c, 1) for c in module.walk() if id(c) not in read
        ) - sum(buffer_brams(p, dataflow) for p in processes)
        steps = [rnn.shape_of(p.operands[0])[0] if not o else 1 for p, o in zip(processes, once)]
        T = max(steps, default=1)
        if dataflow:
            _balance(knobs, once, T, (budget, lut_budget, bram_budget))
        costs = [k.cost(k.unroll) for k in knobs]
        used = sum(c.dsp for c in costs)
        used_lut = sum(c.lut for c in costs)
        used_bram = sum(_weight_brams(k.op, k.unroll) for k in knobs if not k.copies)
        stage_cycles = [0] * len(processes)
        for k, c in zip(knobs, costs):
            stage_cycles[k.stage] += c.cycles

        def per_frame(stage: int) -> float:
            return stage_cycles[stage] / T if once[stage] else stage_cycles[stage]

        while knobs:
            if dataflow:
                slowest = max(range(len(processes)), key=per_frame)
                if any(per_frame(i) >= per_frame(slowest) for i in range(len(processes)) if i != slowest):
                    break  # two processes tie for the slowest: PEs on one alone buy no frames/s
                candidates = [k for k in knobs if k.stage == slowest]
            else:
                candidates = [k for k in knobs if not once[k.stage]]
            best, best_gain = None, 0.0
            for k in candidates:
                now = k.cost(k.unroll)
                for v in k.steps(k.unroll):
                    later = k.cost(v)
                    extra = later.dsp - now.dsp
                    saved = now.cycles - later.cycles
                    if saved <= 0 or used + extra > budget or used_lut + later.lut - now.lut > lut_budget:
                        continue
                    brams = 0 if k.copies else _weight_brams(k.op, v) - _weight_brams(k.op, k.unroll)
                    if used_bram + brams > bram_budget:
                        continue
                    # Cycles saved per share of the budget spent (DSPs and LUTs both run out).
                    spent = max(extra, 0) / max(budget, 1) + max(later.lut - now.lut, 0) / max(lut_budget, 1)
                    gain = saved / max(spent, 1e-9)
                    if gain > best_gain:
                        best, best_gain = (k, v, now, later, brams), gain
            if best is None:
                break
            k, v, now, later, brams = best
            used += later.dsp - now.dsp
            used_lut += later.lut - now.lut
            used_bram += brams
            stage_cycles[k.stage] += later.cycles - now.cycles
            k.unroll = v
        for k in knobs:
            u = min(k.unroll, k.limit)
            k.op.attributes[LOOP] = LoopScheduleAttr(1, u)
            if not k.copies:
                partition_reduction_operand(k.op, u)
        for o in module.walk():  # every other loop runs as written: the schedule decides every loop
            if o.has_trait(ScheduledLoop) and LOOP not in o.attributes:
                o.attributes[LOOP] = LoopScheduleAttr(1, 1)
        for p in processes:  # planned only where the chosen PE count leaves the overlap its slack
            if OVERLAP_STEPS in p.attributes:
                record_overlap(p)
        if not processes:
            return 0.0
        return max(per_frame(i) for i in range(len(processes))) if dataflow else sum(stage_cycles)
