"""Row pipelines: a step's MAC engine, inverse FFT and elementwise tail as one pipelined loop.

Run one after another, the ops of a step leave the MAC engine's DSPs idle
while the inverse FFT, the gate activations and the state update run. E-RNN's
PEs do not wait: a block row's inverse FFT runs as soon as its accumulation
ends, and a hidden block's elementwise tail (activations, cell update) as soon
as every gate's row of that block is out. `match` recognizes the map and
scan steps this applies to; `pe-schedule` marks them (`sched.row_pipeline`),
the cost model and the HLS emitter read the mark. The loop walks block rows
hidden block by hidden block (b outer, gate g inner: row g·P + b of the
stacked gate weights, `fuse-gate-macs`' layout); the tail of hidden block b
runs, `lanes` elements a cycle, during the rows of block b + 1, and one more
block's worth of iterations drains the last. Every value keeps its IR type,
so the results are the same bits as the ops run one after another.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

from xdsl.ir import Block, Operation, SSAValue
from xdsl.traits import ConstantLike

import numpy as np

from ercc.dialects import circ, fix, rnn
from ercc.dialects.constants import dense_values
from ercc.dialects.sched import NEXT_SPECTRUM, OVERLAP_STEPS, ROW_PIPELINE, STREAM

_ELEMENTWISE = (rnn.AddOp, rnn.SubOp, rnn.MulOp, rnn.ActivationOp, rnn.ClampOp, fix.PWLOp)


@dataclass(frozen=True)
class RowPipeline:
    """A matched step: the MAC, its inverse FFT, and the tail computed per hidden element."""

    mac: circ.FreqMacOp
    inverse: circ.IRFFTOp
    tail: tuple[Operation, ...]
    """Elementwise ops on size-`size` vectors (and the slices and concat around them), in program order."""
    gates: int
    size: int
    block: int

    @property
    def rows_per_gate(self) -> int:
        return math.ceil(self.size / self.block)

    def gate_of(self, slice_op: rnn.SliceOp) -> int:
        """The gate whose rows a slice of the inverse FFT's output takes."""
        return slice_op.offsets.get_values()[0] // (self.rows_per_gate * self.block)

    def groups(self, unroll: int) -> int:
        """Iterations the MAC spends on one block row with `unroll` PEs."""
        return math.ceil(self.mac.weight.type.grid[1] / max(1, min(unroll, self.mac.weight.type.grid[1])))

    def lanes(self, unroll: int) -> int:
        """Tail elements computed per iteration: a hidden block's k elements over its G·groups iterations."""
        return math.ceil(self.block / (self.gates * self.groups(unroll)))

    @property
    def finishing_lanes(self) -> int:
        """Tail lanes when the rows finish one an iteration (an overlapped scan's last column group):
        a hidden block's k elements over its G rows."""
        return math.ceil(self.block / self.gates)


def _vector(value: SSAValue, size: int) -> bool:
    return rnn.shape_of(value) == (size,)


_MATCHED: dict[int, tuple] = {}


def match(block: Block) -> RowPipeline | None:
    """`_match`, remembered per block while its ops and their operands stay the same (the
    scheduler and the cost model ask about one block thousands of times)."""
    ops = tuple((o, tuple(o.operands)) for o in block.ops)
    key = id(block)
    cached = _MATCHED.get(key)
    if cached is not None and cached[0]() is block and cached[1] == ops:
        return cached[2]
    if len(_MATCHED) > 1024:
        _MATCHED.clear()
    result = _match(block)
    _MATCHED[key] = (weakref.ref(block), ops, result)
    return result


def _match(block: Block) -> RowPipeline | None:
    """The row pipeline of a map or scan body, or None when the step has another shape.

    The body must be: forward FFTs feeding one `circ.freq_mac` (weights defined
    outside), its one `circ.irfft`, whose output only unit-stride slices read, one
    per gate at gate boundaries; every other op elementwise on vectors of the
    gates' size (slices of x_t, add/sub/mul, activations, clamp, fix.pwl) or, in
    a map, one concat of them; the yield takes tail values only.
    """
    ops = list(block.ops)
    macs = [o for o in ops if isinstance(o, circ.FreqMacOp)]
    if len(macs) != 1 or not isinstance(block.last_op, rnn.YieldOp):
        return None
    mac = macs[0]
    if mac.weight.owner.parent_block() is block or mac.result.uses.get_length() != 1:
        return None
    inverse = next(iter(mac.result.uses)).operation
    if not isinstance(inverse, circ.IRFFTOp) or inverse.parent_block() is not block:
        return None
    k = mac.weight.type.block.data
    p = mac.weight.type.grid[0]
    users = [u.operation for u in inverse.result.uses]
    inside: set[SSAValue] = set()
    if not any(isinstance(s, rnn.SliceOp) for s in users):
        # One gate (a simple RNN, an input path of one): the tail reads the rows themselves.
        size, gates = rnn.shape_of(inverse.result)[0], 1
        if p != math.ceil(size / k):
            return None
        inside.add(inverse.result)
    else:
        if not all(isinstance(s, rnn.SliceOp) and s.strides.get_values() == (1,) for s in users):
            return None
        sizes = {rnn.shape_of(s.result) for s in users}
        if len(sizes) != 1 or len(next(iter(sizes))) != 1:
            return None
        size = next(iter(sizes))[0]
        per_gate = math.ceil(size / k) * k
        if p * k % per_gate or any(s.offsets.get_values()[0] % per_gate for s in users):
            return None
        gates = p * k // per_gate
    tail: list[Operation] = []
    for op in ops[:-1]:
        if isinstance(op, circ.RFFTOp):
            if any(u.operation is not mac for u in op.result.uses) or op.input in inside:
                return None
            continue
        if op is mac or op is inverse or op.has_trait(ConstantLike):
            continue
        if not _tail_op(op, block, inverse, size, inside):
            return None
        tail.append(op)
        inside.add(op.results[0])
    for value in inside:
        for use in value.uses:
            user = use.operation
            if user not in tail and not isinstance(user, rnn.YieldOp):
                return None
    if any(v not in inside for v in block.last_op.operands):
        return None
    if any(isinstance(o, rnn.ConcatOp) for o in tail) and not isinstance(block.parent_op(), rnn.MapOp):
        return None
    return RowPipeline(mac, inverse, tuple(tail), gates, size, k)


def _tail_op(op: Operation, block: Block, inverse: circ.IRFFTOp, size: int, inside: set[SSAValue]) -> bool:
    """Whether `op` can run per hidden element: its operands are tail values, x_t slices, or whole
    vectors (states, constants) of the gates' size; tables of fix.pwl come from outside."""
    if isinstance(op, rnn.SliceOp):
        return (op.input is inverse.result or op.input is block.args[0]) and op.strides.get_values() == (1,) \
            and _vector(op.result, size) and len(rnn.shape_of(op.input)) == 1
    if isinstance(op, rnn.ConcatOp):
        return op.axis.value.data == 0 and all(v in inside and _vector(v, size) for v in op.inputs)
    if not isinstance(op, _ELEMENTWISE) or not _vector(op.results[0], size):
        return False
    data = [op.input] if isinstance(op, fix.PWLOp) else list(op.operands)
    for value in data:
        if value in inside:
            continue
        if not _vector(value, size):
            return False
        owner = value.owner
        if isinstance(owner, Operation) and owner.parent_block() is block and not owner.has_trait(ConstantLike):
            return False  # computed in the step, but not by the tail (an FFT or the MAC)
    if isinstance(op, fix.PWLOp):
        return all(t.owner.parent_block() is not block for t in (op.breaks, op.values, op.slopes))
    return True


def reads_rows(op: Operation) -> bool:
    """Whether a row-pipelined scan's tail reads x_t straight from the rows of its input (no
    per-step copy): only the tail reads x_t (slices of it, or elementwise ops of the whole
    row), and the rows are an array, not a FIFO (which must be read in order)."""
    if not isinstance(op, rnn.ScanOp):
        return False
    x = op.body.block.args[0]
    rp = match(op.body.block)
    if rp is None or any(u.operation not in rp.tail for u in x.uses):
        return False
    source = op.xs
    while isinstance(source.owner, rnn.ReshapeOp):
        source = source.owner.input
    return not (isinstance(source.owner, Operation) and STREAM in source.owner.attributes)


def writes_rows(op: Operation) -> bool:
    """Whether a row-pipelined map's tail writes its output rows in place (no per-step copy):
    they are an array, not a FIFO (which must be written in order)."""
    return isinstance(op, rnn.MapOp) and STREAM not in op.attributes


def streamed_spectrum(op: Operation) -> circ.RFFTOp | None:
    """The forward FFT of a row-pipelined scan's state, when the tail computes it for the next step.

    The tail writes the state's hidden block hb − 1 during block hb; one FFT unit
    then transforms it into the other half of a two-step spectrum buffer, so
    the next step's MAC starts at once (the FFT before the loop runs at the
    first step only). `pe-schedule` asks for it (`sched.next_spectrum`) where
    the extra FFT unit fits the budget; the state must be yielded by the tail
    at the FFT's block size, block for block.
    """
    if not isinstance(op, rnn.ScanOp) or NEXT_SPECTRUM not in op.attributes:
        return None
    block = op.body.block
    rp = match(block)
    if rp is None:
        return None
    spectra = [o for o in block.ops if isinstance(o, circ.RFFTOp) and o.input in block.args[1:]]
    if len(spectra) != 1 or spectra[0].result is not rp.mac.input:
        return None
    fft = spectra[0]
    position = list(block.args[1:]).index(fft.input)
    new = block.last_op.operands[position]
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


def _streamed_in(value: SSAValue) -> bool:
    while isinstance(value.owner, rnn.ReshapeOp):
        value = value.owner.input
    return isinstance(value.owner, Operation) and STREAM in value.owner.attributes


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
    if not isinstance(op, rnn.MapOp | rnn.ScanOp) or _streamed_in(op.operands[0]):
        return False
    if OVERLAP_STEPS not in op.attributes or ROW_PIPELINE not in op.attributes or STREAM in op.attributes:
        return False
    block = op.regions[0].block
    rp = match(block)
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
