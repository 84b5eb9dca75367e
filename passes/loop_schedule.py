"""loop-schedule: pipeline and unroll decisions for every loop nest, as `sched.*` attributes.

A first, resource-unaware policy: every op's outer loop is pipelined at II=1;
reductions (matvec rows, frequency-domain accumulation, head products) unroll
their inner loop by min(trip count, max-unroll) and partition the constant they
read cyclically by the same factor so the unrolled reads find separate banks.
Every other loop op gets `#sched.loop<ii = 1, unroll = 1>` (a scheduled module decides every
loop); the recurrence itself (`rnn.scan`) is not pipelined: step t+1 needs step t, only its
per-step copies are.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from ercc.dialects import circ, fix, rnn
from ercc.dialects.sched import LOOP, PARTITION, LoopScheduleAttr, PartitionAttr
from ercc.dialects.traits import ScheduledLoop
from ercc.hardware.memory import constant_pairing


def _reduction(op: Operation) -> tuple[int, SSAValue] | None:
    """(inner trip count, constant operand read by the inner loop) of a reduction op."""
    if isinstance(op, rnn.MatVecOp):
        return rnn.shape_of(op.weight)[1], op.weight
    if isinstance(op, circ.MatVecOp):
        return op.weight.type.cols.data, op.weight
    if isinstance(op, circ.FreqMacOp):
        return op.weight.type.grid[1], op.weight
    if isinstance(op, rnn.GemmOp):
        a = rnn.shape_of(op.A)
        return a[0] if op.trans_a.value.data else a[1], op.B
    if isinstance(op, rnn.MatMulOp):
        return rnn.shape_of(op.B)[0], op.B
    return None


def reduction_operand(op: Operation) -> SSAValue | None:
    """The constant operand a reduction op's inner loop reads, if it is one."""
    red = _reduction(op)
    return None if red is None else red[1]


def partition_reduction_operand(op: Operation, factor: int) -> None:
    """Partition the constant a reduction op reads cyclically by its unroll factor."""
    if (red := _reduction(op)) is not None:
        _partition(red[1], factor)


def _partition(value: SSAValue, factor: int) -> None:
    const = value.owner
    if factor > 1 and isinstance(const, arith.ConstantOp | fix.ConstOp | circ.ConstOp | circ.FreqConstOp):
        current = const.attributes.get(PARTITION)
        if isinstance(current, PartitionAttr) and current.factor.data >= factor:
            return
        const.attributes[PARTITION] = PartitionAttr("cyclic", factor, constant_pairing(const, factor))


@dataclass(frozen=True)
class LoopSchedule(ModulePass):
    """Annotates loop nests with pipeline II and unroll factors (resource-unaware)."""

    name = "loop-schedule"

    max_unroll: int = 8

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.max_unroll < 1:
            raise PassFailedException(f"max-unroll must be >= 1, got {self.max_unroll}")
        for inner in op.walk():
            if (red := _reduction(inner)) is not None:
                trip, weight = red
                unroll = min(trip, self.max_unroll)
                inner.attributes[LOOP] = LoopScheduleAttr(1, unroll)
                _partition(weight, unroll)
            elif inner.has_trait(ScheduledLoop):  # every other loop as written: all decided
                inner.attributes[LOOP] = LoopScheduleAttr(1, 1)
