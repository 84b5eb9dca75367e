"""The calibration annotation `quantize` reads: `ercc.range` / `ercc.arg_range` and the format they give.

The driver's calibration (`compiler/calibration.py`, `--calib`) writes the
observed max |value| of every f32 tensor: `ercc.range = [r0, r1, ...]` on an
op (one entry per result) and `ercc.arg_range = [...]` on an op with a region
(one per block argument of its body; the kernel's inputs are the func's).
Any other tool may write the same attributes (a hand-edited module through
`ercc-opt`): `quantize` gives each such tensor the fewest integer bits that
hold range x MARGIN (`range_format`), keeping its class width.
"""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr
from xdsl.ir import Block, BlockArgument, OpResult, SSAValue

from ercc.numerics.fixed import FixedFormat

RANGE, ARG_RANGE = "ercc.range", "ercc.arg_range"
MARGIN = 1.125  # headroom over the observed range: fixed-point values differ slightly from the float ones


def recorded_range(value: SSAValue) -> float | None:
    """The calibrated max |value| of an SSA value, or None."""
    if isinstance(value, OpResult):
        attr, index = value.op.attributes.get(RANGE), value.index
    elif isinstance(value, BlockArgument) and isinstance(value.block, Block) and value.block.parent_op() is not None:
        attr, index = value.block.parent_op().attributes.get(ARG_RANGE), value.index
    else:
        return None
    if not isinstance(attr, ArrayAttr) or index >= len(attr.data):
        return None
    return float(attr.data[index].value.data)


def range_format(observed: float, like: FixedFormat) -> FixedFormat:
    """`like`'s width and modes with the fewest integer bits (>= 1) whose max holds observed x MARGIN."""
    m = observed * MARGIN
    for i in range(1, like.width + 1):
        fmt = FixedFormat(like.width, i, like.signed, like.rnd, like.sat)
        if fmt.max >= m:
            return fmt
    return FixedFormat(like.width, like.width, like.signed, like.rnd, like.sat)
