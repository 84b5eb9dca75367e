"""Row pipelines in the IR: the shape a `#sched.row_pipeline` body must have, and its parts.

A map or scan marked `sched.row_pipeline` runs its step's MAC engine, inverse
FFT and elementwise tail as one pipelined loop that walks the stacked gate
rows hidden block by hidden block (b outer, gate g inner: row g·P + b of the
stacked gate weights, `fuse-gate-macs`' layout); the tail of hidden block b
runs, `lanes` elements a cycle, during the rows of block b + 1. Every value
keeps its IR type, so the results are the same bits as the ops one after
another.

`match` recognizes the bodies this applies to (the scheduler asks it, once
per process); `pipeline_of` reads the decision back from the attribute (the
emitter and the cost model: no matching); `verify_decisions` is the check
behind rnn.map's and rnn.scan's verifiers (registered with them when this module is imported:
the sched dialect's loader, the scheduler, the cost model and the emitter all import it) that the recorded decisions are
consistent with the body, so a wrong or incomplete schedule is an error naming
the op, not a kernel that ignores it; `verify_complete` is the module-level check (the emitter's
and the cost model's) that a scheduled module decides every loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp, UnitAttr
from xdsl.ir import Block, Operation, SSAValue
from xdsl.traits import ConstantLike
from xdsl.utils.exceptions import VerifyException

from ercc.dialects import circ, fix, rnn
from ercc.dialects.sched import (
    FABRIC_MUL,
    LOOP,
    NEXT_SPECTRUM,
    OVERLAP_STEPS,
    ROW_PIPELINE,
    STREAM,
    OverlapAttr,
    RowPipelineAttr,
)
from ercc.dialects.traits import Elementwise, ScheduledLoop
from ercc.numerics.intmath import ceil_div


@dataclass(frozen=True)
class RowPipeline:
    """A row-pipelined step: the MAC, its inverse FFT, and the tail computed per hidden element."""

    mac: circ.FreqMacOp
    inverse: circ.IRFFTOp
    tail: tuple[Operation, ...]
    """Elementwise ops on size-`size` vectors (and the slices and concat around them), in program order."""
    gates: int
    size: int
    block: int

    @property
    def rows_per_gate(self) -> int:
        return ceil_div(self.size, self.block)

    def gate_of(self, slice_op: rnn.SliceOp) -> int:
        """The gate whose rows a slice of the inverse FFT's output takes."""
        return slice_op.offsets.get_values()[0] // (self.rows_per_gate * self.block)

    def groups(self, unroll: int) -> int:
        """Iterations the MAC spends on one block row with `unroll` PEs."""
        return ceil_div(self.mac.weight.type.grid[1], max(1, min(unroll, self.mac.weight.type.grid[1])))

    def lanes(self, unroll: int) -> int:
        """Tail elements computed per iteration: a hidden block's k elements over its G·groups iterations."""
        return ceil_div(self.block, self.gates * self.groups(unroll))

    @property
    def finishing_lanes(self) -> int:
        """Tail lanes when the rows finish one an iteration (an overlapped scan's last column group):
        a hidden block's k elements over its G rows."""
        return ceil_div(self.block, self.gates)

    @property
    def attr(self) -> RowPipelineAttr:
        """The decision to record on the map or scan."""
        return RowPipelineAttr(self.gates, self.size, self.block)


def _vector(value: SSAValue, size: int) -> bool:
    return rnn.shape_of(value) == (size,)


def match(block: Block) -> RowPipeline | None:
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
        if p != ceil_div(size, k):
            return None
        inside.add(inverse.result)
    else:
        if not all(isinstance(s, rnn.SliceOp) and s.strides.get_values() == (1,) for s in users):
            return None
        sizes = {rnn.shape_of(s.result) for s in users}
        if len(sizes) != 1 or len(next(iter(sizes))) != 1:
            return None
        size = next(iter(sizes))[0]
        per_gate = ceil_div(size, k) * k
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
    if not op.has_trait(Elementwise) or not _vector(op.results[0], size):
        return False
    data = [op.input] if isinstance(op, fix.PWLOp | fix.TableOp) else list(op.operands)
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
    if isinstance(op, fix.TableOp):
        return op.table.owner.parent_block() is not block
    return True


def pipeline_of(op: Operation) -> RowPipeline | None:
    """The row pipeline `#sched.row_pipeline` records on a map or scan (None when not marked):
    the body's one MAC, its inverse FFT, and every other computing op as the tail."""
    attr = op.attributes.get(ROW_PIPELINE)
    if not isinstance(attr, RowPipelineAttr):
        return None
    block = op.regions[0].block
    mac = inverse = None
    tail = []
    for o in block.ops:
        if isinstance(o, circ.FreqMacOp):
            mac = o
        elif isinstance(o, circ.IRFFTOp) and mac is not None and o.input is mac.result:
            inverse = o
        elif not isinstance(o, circ.RFFTOp | rnn.YieldOp) and not o.has_trait(ConstantLike):
            tail.append(o)
    return RowPipeline(mac, inverse, tuple(tail), attr.gates.data, attr.size.data, attr.block.data)


def overlap_of(op: Operation) -> OverlapAttr | None:
    """The overlapped-steps plan recorded on a map or scan, if any."""
    plan = op.attributes.get(OVERLAP_STEPS)
    return plan if isinstance(plan, OverlapAttr) else None


def streamed_in(value: SSAValue) -> bool:
    """Whether a value arrives through a FIFO (`sched.stream` on its producer, through reshapes)."""
    while isinstance(value.owner, rnn.ReshapeOp):
        value = value.owner.input
    return isinstance(value.owner, Operation) and STREAM in value.owner.attributes


def reads_rows(op: Operation) -> bool:
    """Whether a row-pipelined scan's tail reads x_t straight from the rows of its input (no
    per-step copy): only the tail reads x_t (slices of it, or elementwise ops of the whole
    row), and the rows are an array, not a FIFO (which must be read in order)."""
    if not isinstance(op, rnn.ScanOp):
        return False
    rp = pipeline_of(op)
    x = op.body.block.args[0]
    if rp is None or any(u.operation not in rp.tail for u in x.uses):
        return False
    return not streamed_in(op.xs)


def writes_rows(op: Operation) -> bool:
    """Whether a row-pipelined map's tail writes its output rows in place (no per-step copy):
    they are an array, not a FIFO (which must be written in order)."""
    return isinstance(op, rnn.MapOp) and STREAM not in op.attributes


def state_spectrum(op: Operation) -> circ.RFFTOp | None:
    """The FFT of a row-pipelined scan's state that `sched.next_spectrum` asks the loop to compute
    for the next step (None when not asked): the body's one forward FFT of a state."""
    if not isinstance(op, rnn.ScanOp) or NEXT_SPECTRUM not in op.attributes or pipeline_of(op) is None:
        return None
    block = op.body.block
    spectra = [o for o in block.ops if isinstance(o, circ.RFFTOp) and o.input in block.args[1:]]
    return spectra[0] if len(spectra) == 1 else None


def verify_decisions(op: Operation) -> None:
    """Checks the row-pipeline decisions recorded on an rnn.map or rnn.scan against its body."""
    attrs = op.attributes
    rows = attrs.get(ROW_PIPELINE)
    if rows is None:
        for key in (NEXT_SPECTRUM, OVERLAP_STEPS, FABRIC_MUL):
            if key in attrs:
                raise VerifyException(f"{op.name}: {key} needs a #sched.row_pipeline on the same op")
        return
    if not isinstance(rows, RowPipelineAttr):
        raise VerifyException(f"{op.name}: sched.row_pipeline must be a #sched.row_pipeline<gates, size, block>")
    found = match(op.regions[0].block)
    if found is None:
        raise VerifyException(f"{op.name}: its body is not a row pipeline (FFTs, one circ.freq_mac, its "
                              "circ.irfft, an elementwise tail), but it is marked sched.row_pipeline")
    if found.attr != rows:
        raise VerifyException(f"{op.name}: the body is a row pipeline of gates = {found.gates}, size = "
                              f"{found.size}, block = {found.block}; the attribute says {rows}")
    for key in (NEXT_SPECTRUM, FABRIC_MUL):
        if key in attrs and not isinstance(attrs[key], UnitAttr):
            raise VerifyException(f"{op.name}: {key} is a unit attribute")
    if NEXT_SPECTRUM in attrs:
        fft = state_spectrum(op)
        new = op.regions[0].block.last_op.operands
        if fft is None or fft.result is not found.mac.input or fft.result.type.block.data != found.block \
                or rnn.shape_of(fft.input) != (found.size,) \
                or new[list(op.regions[0].block.args[1:]).index(fft.input)] not in [o.results[0] for o in found.tail]:
            raise VerifyException(f"{op.name}: sched.next_spectrum needs one FFT of a tail-computed state "
                                  "feeding the MAC at the pipeline's block size")
    if OVERLAP_STEPS in attrs:
        _verify_overlap(op, found, attrs[OVERLAP_STEPS])


def verify_complete(module: ModuleOp) -> None:
    """A module that carries scheduling decisions carries all of them: if any op has a `sched.loop`,
    every loop op (`ScheduledLoop`) has one. A module with none is the plain unscheduled kernel."""
    loops = [o for o in module.walk() if o.has_trait(ScheduledLoop)]
    if not any(LOOP in o.attributes for o in module.walk()):
        return
    missing = next((o for o in loops if LOOP not in o.attributes), None)
    if missing is not None:
        raise VerifyException(f"{missing.name}: no sched.loop decision, but the module is scheduled (other ops "
                              "carry one): run pe-schedule or a scheduler pass that decides every loop")


def _verify_overlap(op: Operation, rp: RowPipeline, plan) -> None:
    if not isinstance(plan, OverlapAttr):
        raise VerifyException(f"{op.name}: sched.overlap_steps must be a #sched.overlap plan, got {plan}")
    if STREAM in op.attributes or streamed_in(op.operands[0]):
        raise VerifyException(f"{op.name}: overlapped steps read and write arrays in place, not FIFOs")
    p = rp.mac.weight.type.grid[0]
    if plan.step.data % p:
        raise VerifyException(f"{op.name}: an overlapped step walks the {p} block rows a whole number of "
                              f"times, got step = {plan.step.data}")
    if isinstance(op, rnn.ScanOp):
        if NEXT_SPECTRUM not in op.attributes or op.lengths is not None or not reads_rows(op):
            raise VerifyException(f"{op.name}: an overlapped scan needs sched.next_spectrum, no sequence "
                                  "lengths, and x_t read by the tail from its rows")
        if plan.split.data == 0 or plan.prologue.data:
            raise VerifyException(f"{op.name}: an overlapped scan splits its rows (split >= 1) and has no prologue")
    elif plan.split.data:
        raise VerifyException(f"{op.name}: an overlapped map does not split its rows, got split = {plan.split.data}")


rnn.register_decision_check(verify_decisions)
