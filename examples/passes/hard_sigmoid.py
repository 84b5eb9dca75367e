"""An example out-of-tree pass: hard sigmoid gates (a common FPGA simplification).

`hard-sigmoid-gates` replaces every sigmoid activation inside a recurrence
(`rnn.scan` bodies, i.e. the gates) by ONNX's HardSigmoid, max(0, min(1, αx + β)),
which costs a multiply-add and a clamp instead of an exponential. The alpha
and beta options default to ONNX's 0.2 and 0.5.

It is not part of ercc: load it from its file.

    ercc model.onnx -o kernel.cpp --load-pass-plugin examples/passes/hard_sigmoid.py \\
        --pass-pipeline 'lower-rnn-layers,hard-sigmoid-gates,loop-schedule'
    ercc-opt cells.mlir --load-pass-plugin examples/passes/hard_sigmoid.py -p 'hard-sigmoid-gates{alpha=0.25}'

A model that reads gates this way must be trained with hard sigmoids too (or
fine-tuned): the pass changes what the kernel computes.
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

from ercc.dialects import rnn
from ercc.dialects.rnn import ActivationAttr, ActivationKind


@dataclass
class SigmoidToHardSigmoid(RewritePattern):
    alpha: float
    beta: float

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: rnn.ActivationOp, rewriter: PatternRewriter) -> None:
        if op.fn.activation != ActivationKind.SIGMOID:
            return
        if not isinstance(op.parent_op(), rnn.ScanOp):  # only the gates of a recurrence
            return
        hard = ActivationAttr(ActivationKind.HARD_SIGMOID, self.alpha, self.beta)
        rewriter.replace(op, rnn.ActivationOp(hard, op.input))


@dataclass(frozen=True)
class HardSigmoidGates(ModulePass):
    """Replaces sigmoid gate activations in recurrences by hard sigmoids max(0, min(1, alpha*x + beta))."""

    name = "hard-sigmoid-gates"
    alpha: float = 0.2
    beta: float = 0.5

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(SigmoidToHardSigmoid(self.alpha, self.beta), apply_recursively=False).rewrite_module(op)
