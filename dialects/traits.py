"""Op traits of ercc's dialects: what passes, the cost model and the emitter ask of an op.

A pass asks `op.has_trait(Elementwise)` instead of keeping its own tuple of
op classes, so a new op (or an out-of-tree dialect's) declares what it is
once, where it is defined, and every consumer sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation
from xdsl.traits import OpTrait
from xdsl.utils.exceptions import VerifyException


@dataclass(frozen=True)
class Elementwise(OpTrait):
    """Each result element depends only on the data operands' elements at its own index.

    (After broadcasting; a table operand, such as `fix.pwl`'s breakpoints, is
    read whole.) So a consumer may walk such an op in any order, fuse it into
    a loop over the elements, or run it on one block of elements at a time.
    """


@dataclass(frozen=True)
class Reduction(OpTrait):
    """The op sums products along an inner axis (matrix-vector and matrix products, MACs).

    Its loop nest has an inner accumulation loop: the one to unroll and the
    one whose operand must be partitioned for parallel reads.
    """


@dataclass(frozen=True)
class ScheduledLoop(OpTrait):
    """The op is printed as a loop nest whose schedule a scheduler records as `sched.loop`.

    (A map's or scan's: its per-step copy loops.) These are the ops pe-schedule
    writes a `sched.loop` on in every schedule; a scheduled module carries one on
    each of them (`ercc.dialects.sched_rows.verify_complete`).
    """


@dataclass(frozen=True)
class StaticShapes(OpTrait):
    """Every tensor operand and result has a fully static shape (the kernel has no dynamic sizes)."""

    def verify(self, op: Operation) -> None:
        for v in (*op.operands, *op.results):
            if isinstance(v.type, TensorType) and any(d < 0 for d in v.type.get_shape()):
                raise VerifyException(f"'{op.name}' needs static shapes, got {v.type}")
