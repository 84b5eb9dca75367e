"""pe-schedule: unroll factors for every loop nest, chosen within a device's DSP budget.

The processing elements of an op are the unrolled copies of its innermost
loop. Starting from one PE per op, the pass repeatedly doubles the PEs of the
op inside a recurrence that saves the most estimated cycles per DSP spent
(`ercc.hardware.cost_model`), as long as the kernel stays within
`dsp-fraction` of the device's DSPs, LUTs and block RAMs (partitioning a
weight table for more PEs takes more BRAM banks). Ops outside the recurrences (the head,
once per sequence) keep one PE. Decisions are `#sched.loop` attributes, with
the constants read by a reduction partitioned cyclically to feed its PEs.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from ercc.dialects import rnn
from ercc.dialects.sched import LOOP, LoopScheduleAttr
from ercc.hardware.cost_model import loop_work, op_cost, storage_brams
from ercc.hardware.devices import DEVICES
from ercc.passes.loop_schedule import partition_reduction_operand, reduction_operand


def _weight_brams(op: Operation, unroll: int) -> int:
    """BRAMs of the constant a reduction reads, partitioned for `unroll` PEs."""
    weight = reduction_operand(op)
    return 0 if weight is None else storage_brams(weight.owner, unroll)


def _fixed_cost(module: ModuleOp, scheduled: list[Operation]) -> tuple[int, int]:
    """(DSPs, LUTs) of the ops the pass does not scale, at one PE each."""
    chosen = set(map(id, scheduled))
    dsp = lut = 0
    for op in module.walk():
        if id(op) not in chosen and (cost := op_cost(op, unroll=1)) is not None:
            dsp, lut = dsp + cost.dsp, lut + cost.lut
    return dsp, lut


@dataclass(frozen=True)
class PESchedule(ModulePass):
    """Chooses PEs (unroll factors) per op to minimize estimated cycles per frame within the DSP budget."""

    name = "pe-schedule"

    device: str = "xcku060"
    clock_mhz: float = 200.0
    dsp_fraction: float = 0.9
    """Share of the device's DSPs, LUTs and BRAMs the kernel may use."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.device not in DEVICES:
            raise PassFailedException(f"unknown device '{self.device}' (known: {', '.join(DEVICES)})")
        if not 0 < self.dsp_fraction <= 1:
            raise PassFailedException(f"dsp-fraction must be in (0, 1], got {self.dsp_fraction}")
        if self.clock_mhz <= 0:
            raise PassFailedException(f"clock-mhz must be positive, got {self.clock_mhz}")
        device = DEVICES[self.device]
        ops = [o for s in op.walk() if isinstance(s, rnn.ScanOp) for o in s.body.block.ops if loop_work(o)]
        fixed_dsp, fixed_lut = _fixed_cost(op, ops)
        budget = int(device.dsp * self.dsp_fraction) - fixed_dsp
        lut_budget = int(device.lut * self.dsp_fraction) - fixed_lut
        read = {id(reduction_operand(o).owner) for o in ops if reduction_operand(o) is not None}
        bram_budget = int(device.bram18k * self.dsp_fraction) - sum(
            storage_brams(c, 1) for c in op.walk() if id(c) not in read
        )
        used_bram = sum(_weight_brams(o, 1) for o in ops)
        unroll = {id(o): 1 for o in ops}
        used = sum(op_cost(o, unroll=1).dsp for o in ops)
        used_lut = sum(op_cost(o, unroll=1).lut for o in ops)
        while True:
            best, best_gain = None, 0.0
            for o in ops:
                u = unroll[id(o)]
                if u >= loop_work(o).inner:
                    continue
                now, doubled = op_cost(o, unroll=u), op_cost(o, unroll=2 * u)
                extra = doubled.dsp - now.dsp
                saved = now.cycles - doubled.cycles
                if saved <= 0 or used + extra > budget or used_lut + doubled.lut - now.lut > lut_budget:
                    continue
                if used_bram + _weight_brams(o, 2 * u) - _weight_brams(o, u) > bram_budget:
                    continue
                gain = saved / max(extra, 0.5)  # LUT-only ops (no DSP) are nearly free
                if gain > best_gain:
                    best, best_gain = o, gain
            if best is None:
                break
            now, doubled = op_cost(best, unroll=unroll[id(best)]), op_cost(best, unroll=2 * unroll[id(best)])
            used += doubled.dsp - now.dsp
            used_lut += doubled.lut - now.lut
            used_bram += _weight_brams(best, 2 * unroll[id(best)]) - _weight_brams(best, unroll[id(best)])
            unroll[id(best)] *= 2
        for s in op.walk():
            if (work := loop_work(s)) is None:
                continue
            u = min(unroll.get(id(s), 1), work.inner)
            s.attributes[LOOP] = LoopScheduleAttr(1, u)
            partition_reduction_operand(s, u)
