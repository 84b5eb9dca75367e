"""An example out-of-tree scheduler: the same PE count for every reduction, no dataflow.

`uniform-pe-schedule` replaces `pe-schedule` (the budget-driven scheduler) by
the simplest policy a user might want to compare against, or to hand-tune
from: every reduction (a matvec's rows, a `circ.freq_mac`'s block columns)
gets `pes` processing elements — its inner loop unrolled that far, the
weights it reads partitioned cyclically into as many banks — and every other
loop one. The processes run one after another (no `sched.dataflow`, so no
FIFOs); with `row-pipelines=true` a map or scan whose step is one MAC, its
inverse FFT and an elementwise tail runs them as one loop
(`#sched.row_pipeline`, the shape `ercc.dialects.sched_rows.match` checks).
It writes every decision the emitter and the cost model read, as `sched`
attributes; nothing else decides: the kernel and the report follow them.

It is not part of ercc: load it from its file, in place of pe-schedule.

    ercc model.onnx -o kernel.cpp --block-size 8 --load-pass-plugin examples/passes/uniform_schedule.py \\
        --pass-pipeline 'lower-rnn-layers,circulant-substitution{block-size=8},fft-decompose,fuse-gate-macs,\\
activation-approximation{segments=64},quantize,hoist-input-path,uniform-pe-schedule{pes=4}'
    ercc-opt hoisted.mlir --load-pass-plugin examples/passes/uniform_schedule.py -p 'uniform-pe-schedule{pes=2}'

Scheduling never changes what the kernel computes: its C simulation gives the
same bits as pe-schedule's kernel and as ercc's reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from ercc.dialects import circ, fix, rnn
from ercc.dialects.sched import LOOP, PARTITION, ROW_PIPELINE, LoopScheduleAttr, PartitionAttr
from ercc.dialects.sched_rows import match
from ercc.hardware.operators import loop_work
from ercc.passes.loop_schedule import reduction_operand

_TABLES = (arith.ConstantOp, fix.ConstOp, circ.ConstOp, circ.FreqConstOp)


@dataclass(frozen=True)
class UniformPESchedule(ModulePass):
    """Gives every reduction `pes` PEs and every other loop one; processes one after another."""

    name = "uniform-pe-schedule"

    pes: int = 1
    row_pipelines: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.pes < 1:
            raise PassFailedException(f"pes must be >= 1, got {self.pes}")
        for inner in op.walk():
            if isinstance(inner, rnn.MapOp | rnn.ScanOp):
                inner.attributes[LOOP] = LoopScheduleAttr(1, 1)  # its per-step copy loops
                if self.row_pipelines and (rp := match(inner.regions[0].block)) is not None:
                    inner.attributes[ROW_PIPELINE] = rp.attr
            elif (work := loop_work(inner)) is not None:
                self._schedule(inner, work.inner)

    def _schedule(self, op: Operation, trip: int) -> None:
        weight = reduction_operand(op)
        if weight is None:
            op.attributes[LOOP] = LoopScheduleAttr(1, 1)
            return
        pes = min(self.pes, trip)
        op.attributes[LOOP] = LoopScheduleAttr(1, pes)
        if pes > 1 and isinstance(weight.owner, _TABLES):
            weight.owner.attributes[PARTITION] = PartitionAttr("cyclic", pes)
