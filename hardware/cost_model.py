"""ercc's cost model: cycles, DSPs, BRAMs and LUTs of the kernel the emitter writes.

ESTIMATES, not synthesis results. The model follows the emitted code: every op
is a loop nest whose innermost loop is pipelined (`#sched.loop` II) and
unrolled (`#sched.loop` unroll); ops run one after another inside a time step
and every op has its own hardware (no sharing, the conservative case); the
steps of a recurrence run one after another. Numbers per operator, chosen from
the usual UltraScale figures at 200 MHz:

- float32: a multiply takes 3 DSPs, an add 2 DSPs and ~400 LUTs; an accumulation
  through a float add carries a 4-cycle dependency (effective II 4);
- fixed point: a multiply up to 18 bits takes 1 DSP (2 up to 36), adds are LUTs
  (one per bit); accumulations pipeline at II 1;
- a float transcendental (std::tanh, std::exp) unit: 8 DSPs, ~2000 LUTs;
- arrays of 1 Kib or more live in 18 Kib block RAMs, one set per partition bank.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from xdsl.dialects import arith, func
from xdsl.dialects.builtin import Float32Type, ModuleOp, TensorType
from xdsl.ir import Attribute, Operation

from ercc.dialects import circ, rnn
from ercc.dialects.sched import LOOP, PARTITION, LoopScheduleAttr, PartitionAttr
from ercc.hardware.devices import Device

BRAM_BITS = 18 * 1024
LUTRAM_LIMIT_BITS = 1024


@dataclass(frozen=True)
class Arithmetic:
    """Costs of one operator in a number format."""

    is_float: bool
    width: int

    @property
    def dsp_mul(self) -> int:
        if self.is_float:
            return 3
        return 1 if self.width <= 18 else 2 if self.width <= 36 else 4

    @property
    def dsp_add(self) -> int:
        return 2 if self.is_float else 0

    @property
    def lut_add(self) -> int:
        return 400 if self.is_float else self.width

    @property
    def lut_mul(self) -> int:
        return 100 if self.is_float else 20

    @property
    def accumulate_ii(self) -> int:
        return 4 if self.is_float else 1

    @property
    def depth(self) -> int:
        return 12 if self.is_float else 4


def arithmetic(el: Attribute) -> Arithmetic:
    """The number format of an element type: f32, or a fixed-point type with a `width`."""
    if isinstance(el, Float32Type):
        return Arithmetic(True, 32)
    width = getattr(el, "width", None)
    return Arithmetic(False, int(getattr(width, "data", width or 16)))


def _element(op: Operation) -> Attribute:
    t = op.results[0].type if op.results else op.operands[0].type
    return t.get_element_type() if isinstance(t, TensorType) else getattr(t, "element_type")


@dataclass(frozen=True)
class LoopWork:
    """An op as the emitter writes it: `outer` restarts of a pipelined inner loop of `inner` trips.

    Each inner iteration does `muls` multiplies and `adds` adds (`transcendental`
    calls); `accumulates` when it feeds a loop-carried sum.
    """

    outer: int
    inner: int
    muls: int = 0
    adds: int = 0
    transcendental: int = 0
    accumulates: bool = False
    fft: tuple[int, int] | None = None  # (block size, calls) of the FFT helper


def loop_work(op: Operation) -> LoopWork | None:
    """The loop structure of an op, or None for ops that emit no loop (reshape)."""
    match op:
        case rnn.MatVecOp():
            rows, cols = rnn.shape_of(op.weight)
            return LoopWork(rows, cols, 1, 1, accumulates=True)
        case circ.MatVecOp():
            t = op.weight.type
            return LoopWork(t.rows.data, t.cols.data, 1, 1, accumulates=True)
        case circ.FreqMacOp():
            t = op.weight.type
            p, q = t.grid
            return LoopWork(p * (t.block.data // 2 + 1), q, 4, 4, accumulates=True)
        case circ.RFFTOp():
            t = op.result.type
            return LoopWork(t.blocks.data, t.block.data, fft=(t.block.data, t.blocks.data))
        case circ.IRFFTOp():
            t = op.input.type
            return LoopWork(t.blocks.data, t.block.data, muls=1, fft=(t.block.data, t.blocks.data))
        case rnn.AddOp() | rnn.SubOp():
            return LoopWork(1, _numel(op), adds=1)
        case rnn.MulOp():
            return LoopWork(1, _numel(op), muls=1)
        case rnn.ClampOp():
            return LoopWork(1, _numel(op), adds=2)
        case rnn.ActivationOp():
            kind = op.fn.activation
            calls = 1 if kind in _TRANSCENDENTAL else 0
            return LoopWork(1, _numel(op), muls=1, adds=1, transcendental=calls)
        case rnn.SoftmaxOp() | rnn.LogSoftmaxOp():
            return LoopWork(1, 3 * _numel(op), adds=1, transcendental=1)
        case rnn.GemmOp():
            m, n = rnn.shape_of(op.result)
            a = rnn.shape_of(op.A)
            depth = a[0] if op.trans_a.value.data else a[1]
            return LoopWork(m * n, depth, 1, 1, accumulates=True)
        case rnn.MatMulOp():
            depth, _ = rnn.shape_of(op.B)
            return LoopWork(_numel(op), depth, 1, 1, accumulates=True)
        case rnn.TransposeOp() | rnn.SliceOp() | rnn.ConcatOp():
            return LoopWork(1, _numel(op))
    return None


_TRANSCENDENTAL = {
    rnn.ActivationKind.SIGMOID,
    rnn.ActivationKind.TANH,
    rnn.ActivationKind.SCALED_TANH,
    rnn.ActivationKind.ELU,
    rnn.ActivationKind.SOFTPLUS,
    rnn.ActivationKind.SOFTSIGN,
}


def _numel(op: Operation) -> int:
    return math.prod(rnn.shape_of(op.results[0]))


@dataclass
class OpCost:
    name: str
    cycles: int
    dsp: int
    lut: int
    muls: int  # real multiplications of one execution


def op_cost(op: Operation, unroll: int | None = None, ii: int | None = None) -> OpCost | None:
    """Cost of one execution of `op` at the given (or its annotated) unroll factor and II."""
    work = loop_work(op)
    if work is None:
        return None
    sched = op.attributes.get(LOOP)
    if unroll is None:
        unroll = sched.unroll.data if isinstance(sched, LoopScheduleAttr) else 1
    if ii is None:
        ii = sched.ii.data if isinstance(sched, LoopScheduleAttr) else 1
    unroll = max(1, min(unroll, work.inner))
    ar = arithmetic(_element(op))
    step_ii = ii * (ar.accumulate_ii if work.accumulates else 1)
    cycles = work.outer * (math.ceil(work.inner / unroll) * step_ii + ar.depth)
    dsp = unroll * (work.muls * ar.dsp_mul + work.adds * ar.dsp_add + work.transcendental * (8 if ar.is_float else 1))
    lut = 50 + unroll * (work.muls * ar.lut_mul + work.adds * ar.lut_add + work.transcendental * 2000)
    muls = work.outer * work.inner * work.muls
    if work.fft is not None:
        k, calls = work.fft
        stages = int(math.log2(k)) if k > 1 else 0
        # One butterfly per cycle in each auto-pipelined stage loop; one unit per stage.
        cycles += calls * stages * (k // 2 + ar.depth)
        dsp += stages * (4 * ar.dsp_mul + 6 * ar.dsp_add)
        lut += stages * (4 * ar.lut_mul + 6 * ar.lut_add)
        muls += calls * stages * (k // 2) * 4
    return OpCost(op.name, cycles, dsp, lut, muls)


def _array_brams(elements: int, width: int, banks: int) -> int:
    bits = elements * width
    if banks >= elements or bits < LUTRAM_LIMIT_BITS:
        return 0
    per_bank = math.ceil(bits / banks)
    return banks * math.ceil(per_bank / BRAM_BITS) if per_bank >= LUTRAM_LIMIT_BITS else 0


def _constant_storage(op: Operation) -> tuple[int, int, int] | None:
    """(elements, bits per element, partition banks) of a constant table."""
    match op:
        case arith.ConstantOp():
            t = op.result.type
            n = math.prod(t.get_shape())
        case circ.ConstOp():
            n = math.prod(op.vectors.get_shape())
        case circ.FreqConstOp():
            n = math.prod(op.spectra.get_shape())
        case _:
            return None
    el = _element(op)
    width = arithmetic(el).width
    part = op.attributes.get(PARTITION)
    banks = 1
    if isinstance(part, PartitionAttr):
        banks = n if part.kind.data == "complete" else part.factor.data
    return n, width, banks


def storage_brams(op: Operation, banks: int | None = None) -> int:
    """BRAM18Ks of a constant table split into `banks` (default: as its partition says)."""
    storage = _constant_storage(op)
    if storage is None:
        return 0
    n, width, annotated = storage
    return _array_brams(n, width, annotated if banks is None else banks)


@dataclass
class StageCost:
    """One recurrence (a layer's direction): its cost per time step."""

    name: str
    steps: int
    cycles_per_step: int = 0
    dsp: int = 0
    lut: int = 0
    muls_per_step: int = 0
    ops: list[OpCost] = field(default_factory=list)


def _scan_stage(scan: rnn.ScanOp, index: int) -> StageCost:
    T = rnn.shape_of(scan.xs)[0]
    stage = StageCost(f"recurrence {index}" + (" (reverse)" if scan.reverse else ""), T)
    # Per step: copy x_t in, copy the states back, store y_t (pipelined copies, II 1).
    step_elems = math.prod(rnn.shape_of(scan.body.block.args[0]))
    state_elems = sum(math.prod(rnn.shape_of(v)) for v in scan.init)
    stage.cycles_per_step = step_elems + 2 * state_elems
    for op in scan.body.block.ops:
        cost = op_cost(op)
        if cost is not None:
            stage.ops.append(cost)
            stage.cycles_per_step += cost.cycles
            stage.dsp += cost.dsp
            stage.lut += cost.lut
            stage.muls_per_step += cost.muls
    return stage


def estimate(module: ModuleOp, device: Device, clock_mhz: float) -> dict:
    """The cost report of a scheduled module on `device` at `clock_mhz` (an ESTIMATE)."""
    top = next(op for op in module.walk() if isinstance(op, func.FuncOp))
    stages: list[StageCost] = []
    once = StageCost("outside the recurrences (once per sequence)", 1)
    bram = lut_storage = weight_bytes = 0
    for op in top.body.block.ops:
        if isinstance(op, rnn.ScanOp):
            stages.append(_scan_stage(op, len(stages)))
        elif (storage := _constant_storage(op)) is not None:
            n, width, banks = storage
            bram += _array_brams(n, width, banks)
            weight_bytes += n * math.ceil(width / 8)
            lut_storage += 0 if banks < n else n * width // 8
        elif (cost := op_cost(op)) is not None:
            once.ops.append(cost)
            once.cycles_per_step += cost.cycles
            once.dsp += cost.dsp
            once.lut += cost.lut
            once.muls_per_step += cost.muls
    T = max((s.steps for s in stages), default=1)
    cycles_per_frame = sum(s.cycles_per_step for s in stages)
    muls_per_frame = sum(s.muls_per_step for s in stages)
    dsp = sum(s.dsp for s in stages) + once.dsp
    dsp_bound = math.ceil(muls_per_frame / device.dsp) if muls_per_frame else 0
    return {
        "estimate": True,
        "note": "ercc cost-model estimate, not a synthesis result",
        "device": device.name,
        "part": device.part,
        "clock_mhz": clock_mhz,
        "sequence_length": T,
        "cycles_per_frame": cycles_per_frame,
        "latency_cycles": T * cycles_per_frame + once.cycles_per_step,
        "throughput_fps": clock_mhz * 1e6 / cycles_per_frame if cycles_per_frame else 0.0,
        "dsp": dsp,
        "dsp_available": device.dsp,
        "bram18k": bram,
        "bram18k_available": device.bram18k,
        "lut": sum(s.lut for s in stages) + once.lut + lut_storage,
        "lut_available": device.lut,
        "weight_bytes": weight_bytes,
        "mults_per_frame": muls_per_frame,
        "dsp_bound_cycles_per_frame": dsp_bound,
        "dsp_bound_ratio": dsp_bound / cycles_per_frame if cycles_per_frame else 0.0,
        "per_layer": [
            {
                "stage": s.name,
                "cycles_per_frame": s.cycles_per_step,
                "dsp": s.dsp,
                "lut": s.lut,
                "mults_per_frame": s.muls_per_step,
            }
            for s in stages
        ]
        + [{"stage": once.name, "cycles": once.cycles_per_step, "dsp": once.dsp, "lut": once.lut}],
    }
