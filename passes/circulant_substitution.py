"""circulant-substitution: recurrent gate matrices → their nearest block-circulant matrices.

Every dense `rnn.matvec` inside an `rnn.scan` body (the gate matvecs of a
recurrent layer) whose weight is a constant becomes a `circ.matvec` on
`circ.const` defining vectors: the Frobenius-nearest block-circulant matrix,
each k×k block's wrapped diagonals replaced by the mean of their existing
entries (`ercc.numerics.circulant.project`). Dense heads stay dense. With
block size 1 the pass changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint
from xdsl.transforms.dead_code_elimination import dce
from xdsl.utils.exceptions import PassFailedException

from ercc.dialects import circ, rnn
from ercc.dialects.constants import constant_value, dense_attr
from ercc.numerics.circulant import project


@dataclass
class SubstituteGateMatVec(RewritePattern):
    block_size: int

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: rnn.MatVecOp, rewriter: PatternRewriter) -> None:
        if not isinstance(op.parent_op(), rnn.ScanOp):
            return
        matrix = constant_value(op.weight)
        if matrix is None:
            return
        rows, cols = matrix.shape
        element = op.weight.type.get_element_type()
        weight = circ.ConstOp(
            dense_attr(project(matrix, self.block_size)),
            circ.BlockCirculantType(rows, cols, self.block_size, element),
        )
        # A loop invariant: define it where the dense constant was defined.
        rewriter.insert(weight, InsertPoint.after(op.weight.owner))
        rewriter.replace(op, circ.MatVecOp(weight.result, op.input))


@dataclass(frozen=True)
class CirculantSubstitution(ModulePass):
    """Replaces recurrent gate matrices by block-circulant ones of block size `block_size`."""

    name = "circulant-substitution"

    block_size: int = 8

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        k = self.block_size
        if k < 1 or k & (k - 1):
            raise PassFailedException(f"block-size must be a power of two, got {k}")
        if k == 1:
            return
        PatternRewriteWalker(SubstituteGateMatVec(k), apply_recursively=False).rewrite_module(op)
        dce(op)
