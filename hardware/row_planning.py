"""What a row pipeline may also do: compute the next state's spectrum, run all its steps as one loop.

The scheduler asks these before it records `sched.next_spectrum` and
`sched.overlap_steps` on a row-pipelined map or scan (`ercc.dialects.sched_rows`
has the pipeline's shape); the cost model prices the result (`overlap`).
"""

from __future__ import annotations

import numpy as np
from xdsl.ir import Operation, SSAValue
from xdsl.traits import ConstantLike

from ercc.dialects import circ, fix, rnn
from ercc.dialects.constants import dense_values
from ercc.dialects.sched import OVERLAP_STEPS, STREAM
from ercc.dialects.sched_rows import pipeline_of, reads_rows, state_spectrum, streamed_in


def streamed_spectrum(op: Operation) -> circ.RFFTOp | None:
    """The forward FFT of a row-pipelined scan's state, when the tail can compute it for the next step.

    The tail writes the state's hidden block hb − 1 during block hb; one FFT unit
    then transforms it into the other half of a two-step spectrum buffer, so
    the next step's MAC starts at once (the FFT before the loop runs at the
    first step only). `pe-schedule` asks for it (`sched.next_spectrum`) where
    the extra FFT unit fits the budget; the state must be yielded by the tail
    at the FFT's block size, block for block.
    """
    fft = state_spectrum(op)
    rp = pipeline_of(op)
    if fft is None or fft.result is not rp.mac.input:
        return None
    block = op.regions[0].block
    new = block.last_op.operands[list(block.args[1:]).index(fft.input)]
    if new not in [o.results[0] for o in rp.tail] or fft.result.type.block.data != rp.block:
        return None
    if rnn.shape_of(fft.input) != (rp.size,):
        return None
    return fft


def _zero(value: SSAValue) -> bool:
    """Whether a value is a constant tensor of zeros (`arith.constant` or `fix.const`)."""
    owner = value.owner
    if not isinstance(owner, Operation) or not owner.has_trait(ConstantLike):
        return False
    attr = getattr(owner, "value", None)
    if isinstance(owner, fix.ConstOp):
        return not np.any(fix.raw_values(attr))
    return attr is not None and hasattr(attr, "get_shape") and not np.any(dense_values(attr))


def can_overlap(op: Operation) -> bool:
    """Whether a row-pipelined map or scan may run all its steps as one loop (`sched.overlap_steps`).

    Every hand-over must be an array read or written in place by the loop: the
    rows in (x_t read by the FFT or the tail, not a FIFO), the rows out, the
    states. A map transforms x_t+1 during step t (one FFT unit in the loop, x_0
    before the first rows); a scan computes during step t the leading column
    groups of step t + 1's rows (partial sums) from the blocks of its state
    already transformed, so it needs the next-state FFT (`streamed_spectrum`),
    no sequence lengths, and a zero initial state for that FFT (step 0's
    products are zero: no FFT or partial sums before the first step).
    Whether the PE count leaves enough slack is the cost model's `overlap`.
    """
    if not isinstance(op, rnn.MapOp | rnn.ScanOp) or streamed_in(op.operands[0]):
        return False
    if OVERLAP_STEPS not in op.attributes or STREAM in op.attributes:
        return False
    block = op.regions[0].block
    rp = pipeline_of(op)
    if rp is None:
        return False
    if isinstance(op, rnn.ScanOp):
        fft = streamed_spectrum(op)
        if fft is None or op.lengths is not None or not reads_rows(op):
            return False
        return _zero(op.init[list(block.args[1:]).index(fft.input)])
    ffts = [o for o in block.ops if isinstance(o, circ.RFFTOp)]
    if len(ffts) != 1 or ffts[0].input is not block.args[0] or ffts[0].result is not rp.mac.input:
        return False
    if ffts[0].result.type.block.data != rp.block or len(rnn.shape_of(block.args[0])) != 1:
        return False
    return all(u.operation is ffts[0] or u.operation in rp.tail for u in block.args[0].uses)
