"""hoist-input-path: move the work of a recurrence that depends only on x_t out of it.

Inside an `rnn.scan` body, the ops whose operands are the step input, values
defined outside the scan, or results of such ops (the W·x matvecs, the input
spectra and their frequency-domain products at K > 1, x-only bias adds) have
no recurrence. They move into an `rnn.map` placed before the scan, which
computes them for every time step; the values the rest of the body reads
become the scan's new per-step input (several are concatenated into one row
and sliced back apart in the body). The same ops run on the same values in the
same order, so results are bit for bit the same, in any number format. Values
of different fixed-point formats (the terms of a quantized cell's rescales) share
the row in one format that holds each exactly (`fix.cast`), when only ops that
read values, not bit patterns, use them. With sequence lengths the rows past the
length are computed and never read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.traits import ConstantLike, is_side_effect_free

from ercc.dialects import rnn
from ercc.dialects.fix import CastOp, FixedType
from ercc.numerics.fixed import format_problem


def _input_only_ops(scan: rnn.ScanOp) -> tuple[list[Operation], list[SSAValue]]:
    """The body ops computed from x_t and outer values only, and those of their values the rest reads."""
    block = scan.body.block
    x = block.args[0]
    inside: set[SSAValue] = {x}
    hoisted: list[Operation] = []
    for op in block.ops:
        if op is block.last_op or op.regions or not is_side_effect_free(op) or op.has_trait(ConstantLike):
            continue  # constants are not work: they stay with the ops that read them
        if all(v in inside or _outside(v, scan) for v in op.operands):
            hoisted.append(op)
            inside.update(op.results)
    chosen = set(hoisted)
    boundary: list[SSAValue] = []
    for v in [x, *(r for op in hoisted for r in op.results)]:
        if v not in boundary and any(u.operation not in chosen for u in v.uses):
            boundary.append(v)
    return hoisted, boundary


def _outside(value: SSAValue, scan: rnn.ScanOp) -> bool:
    """Whether `value` is defined outside the scan (so it dominates a map placed before it)."""
    owner = value.owner
    op = owner.parent_op() if isinstance(owner, Block) else owner
    while op is not None:
        if op is scan:
            return False
        op = op.parent_op()
    return True


# Ops whose result depends only on their operands' values, not on their types: an operand widened
# to a format that holds it exactly changes nothing (fix.table, which indexes by raw bits, is not one).
_VALUE_OPS = (rnn.AddOp, rnn.SubOp, rnn.MulOp, rnn.MatVecOp, CastOp)


def _common_format(boundary: list[SSAValue], moved: set[Operation]) -> FixedType | None:
    """The fixed-point format holding every boundary value exactly (the integer datapath's terms of
    different formats), when only value ops read them in the scan; else None."""
    fmts = [v.type.get_element_type() for v in boundary]
    if not all(isinstance(f, FixedType) for f in fmts):
        return None
    if any(not isinstance(u.operation, _VALUE_OPS) for v in boundary for u in v.uses if u.operation not in moved):
        return None
    int_bits = max(f.format.int_bits + (0 if f.signed else 1) for f in fmts)
    frac = max(f.format.frac for f in fmts)
    if int_bits + frac > 62 or format_problem(int_bits + frac, int_bits, "AP_TRN", "AP_WRAP"):
        return None
    return FixedType(int_bits + frac, int_bits)


def _worth_hoisting(hoisted: list[Operation]) -> bool:
    """Something besides renames (reshape) moves out."""
    return any(not isinstance(op, rnn.ReshapeOp) for op in hoisted)


def hoist(scan: rnn.ScanOp) -> rnn.MapOp | None:
    """Moves the input path of `scan` into a new `rnn.map` before it; None when there is none."""
    hoisted, boundary = _input_only_ops(scan)
    if not _worth_hoisting(hoisted) or not boundary:
        return None
    elements = {v.type.get_element_type() for v in boundary}
    common = None
    if len(boundary) > 1 and len(elements) > 1:
        common = _common_format(boundary, set(hoisted))
        if common is None:
            return None  # one concatenated row needs one element type
    block = scan.body.block
    x = block.args[0]
    # The map body: clones of the hoisted ops on its own step argument.
    map_block = Block(arg_types=[x.type])
    mapping: dict[SSAValue, SSAValue] = {x: map_block.args[0]}
    for op in hoisted:
        map_block.add_op(op.clone(value_mapper=mapping))
    rows = [mapping[v] for v in boundary]
    if common is not None:  # exact: the common format holds every value of each
        casts = [CastOp(r, common) if r.type.get_element_type() != common else None for r in rows]
        map_block.add_ops([c for c in casts if c is not None])
        rows = [r if c is None else c.result for r, c in zip(rows, casts)]
    sizes = [math.prod(rnn.shape_of(v)) for v in boundary]
    if len(rows) > 1:
        flat = []
        for v, n in zip(rows, sizes):
            if len(rnn.shape_of(v)) != 1:
                map_block.add_op(reshape := rnn.ReshapeOp(v, [n]))
                v = reshape.result
            flat.append(v)
        map_block.add_op(concat := rnn.ConcatOp(flat, 0))
        rows = [concat.result]
    map_block.add_op(rnn.YieldOp(*rows))
    map_op = rnn.MapOp(scan.xs, Region(map_block))
    if (layer := scan.attributes.get("ercc.layer")) is not None:
        map_op.attributes["ercc.layer"] = layer
    Rewriter.insert_op(map_op, InsertPoint.before(scan))
    # The scan reads the map's rows instead of x_t.
    moved = set(hoisted)
    step = block.insert_arg(TensorType(rows[0].type.get_element_type(), rnn.shape_of(rows[0])), 0)
    if len(boundary) == 1:
        boundary[0].replace_uses_with_if(step, lambda use: use.operation not in moved)
    else:
        at = InsertPoint.at_start(block)
        offset = 0
        for v, n in zip(boundary, sizes):
            part = rnn.SliceOp(step, [offset], [n], [1])
            Rewriter.insert_op(part, at)
            value = part.result
            if len(rnn.shape_of(v)) != 1:
                Rewriter.insert_op(back := rnn.ReshapeOp(value, rnn.shape_of(v)), at)
                value = back.result
            v.replace_uses_with_if(value, lambda use: use.operation not in moved)
            offset += n
    for op in reversed(hoisted):
        Rewriter.erase_op(op)
    block.erase_arg(x)
    scan.operands = [map_op.ys[0], *scan.operands[1:]]
    return map_op


@dataclass(frozen=True)
class HoistInputPath(ModulePass):
    """Moves every recurrence's input path (x-only work) into a stateless `rnn.map` before it."""

    name = "hoist-input-path"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for scan in [s for s in op.walk() if isinstance(s, rnn.ScanOp)]:
            hoist(scan)
