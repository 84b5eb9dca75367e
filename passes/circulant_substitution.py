"""circulant-substitution: recurrent gate matrices → their nearest block-circulant matrices.

Every dense `rnn.matvec` inside an `rnn.scan` body (the gate matvecs of a
recurrent layer) whose weight is a constant becomes a `circ.matvec` on
`circ.const` defining vectors: the Frobenius-nearest block-circulant matrix,
each k×k block's wrapped diagonals replaced by the mean of their existing
entries (`ercc.numerics.circulant.project`). Dense heads stay dense. With
block size 1 the pass changes nothing.

`layer-block-sizes` ("lstm_1=4,gru_2=1") overrides the block size of the
scans whose `ercc.layer` attribute (the ONNX node name, set by the importer
and kept by lower-rnn-layers) is listed: the per-layer options of a config.
An entry `NAME=KW:KR` gives the layer's input matrices (W, the matvecs of the
step input x_t, the scan body's first argument) block size KW and its
recurrent ones (R, every other gate matvec) KR: E-RNN's per-matrix block sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
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
from ercc.numerics.intmath import is_power_of_two

LAYER_ATTR = "ercc.layer"


@dataclass
class SubstituteGateMatVec(RewritePattern):
    block_size: int
    per_layer: dict[str, tuple[int, int]]  # layer -> (K of W, K of R)

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: rnn.MatVecOp, rewriter: PatternRewriter) -> None:
        scan = op.parent_op()
        if not isinstance(scan, rnn.ScanOp):
            return
        layer = scan.attributes.get(LAYER_ATTR)
        k_w, k_r = self.per_layer.get(layer.data, (self.block_size,) * 2) if isinstance(layer, StringAttr) \
            else (self.block_size,) * 2
        k = k_w if op.input is scan.body.block.args[0] else k_r
        matrix = constant_value(op.weight)
        if matrix is None or k == 1:
            return
        rows, cols = matrix.shape
        element = op.weight.type.get_element_type()
        weight = circ.ConstOp(dense_attr(project(matrix, k)), circ.BlockCirculantType(rows, cols, k, element))
        # A loop invariant: define it where the dense constant was defined.
        rewriter.insert(weight, InsertPoint.after(op.weight.owner))
        rewriter.replace(op, circ.MatVecOp(weight.result, op.input))


def _power_of_two(k: int, what: str) -> int:
    if not is_power_of_two(k):
        raise PassFailedException(f"{what} must be a power of two, got {k}")
    return k


def parse_layer_block_sizes(spec: str) -> dict[str, tuple[int, int]]:
    """'a=4,b=2:8' → {'a': (4, 4), 'b': (2, 8)}: (K of W, K of R); a node name may contain '=' but not ','."""
    out = {}
    for item in filter(None, spec.split(",")):
        name, sep, ks = item.rpartition("=")
        parts = ks.split(":")
        if not sep or not name or len(parts) > 2 or not all(p.strip().isdigit() for p in parts):
            raise PassFailedException(f"layer-block-sizes: expected NAME=K or NAME=KW:KR, got '{item}'")
        k_w, k_r = (int(parts[0]), int(parts[-1]))
        what = f"layer-block-sizes: block size of '{name}'"
        out[name] = (_power_of_two(k_w, what), _power_of_two(k_r, what))
    return out


@dataclass(frozen=True)
class CirculantSubstitution(ModulePass):
    """Replaces recurrent gate matrices by block-circulant ones of block size `block_size` (or per layer)."""

    name = "circulant-substitution"

    block_size: int = 8
    layer_block_sizes: str = ""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        k = _power_of_two(self.block_size, "block-size")
        per_layer = parse_layer_block_sizes(self.layer_block_sizes)
        if k == 1 and all(v == (1, 1) for v in per_layer.values()):
            return
        PatternRewriteWalker(SubstituteGateMatVec(k, per_layer), apply_recursively=False).rewrite_module(op)
        dce(op)
