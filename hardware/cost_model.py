"""ercc's cost model: cycles, DSPs, BRAMs and LUTs of the kernel the emitter writes.

ESTIMATES, not synthesis results. The model follows the emitted code: every op
is a loop nest whose innermost loop is pipelined (`#sched.loop` II) and
unrolled (`#sched.loop` unroll) — or, for a reduction unrolled completely, whose
parent loop is pipelined around an adder tree; ops run one after another
inside a time step, except in a row pipeline (`sched.row_pipeline`: the MAC's
loop carries the inverse FFT and the elementwise tail), and every op has its
own hardware (no sharing, the conservative case). The top-level loops are processes: input paths
(`rnn.map`), recurrences (`rnn.scan`) and ops run once per sequence. Under
`sched.dataflow` they overlap, so a frame costs the slowest process's cycles
per step; without it they run one after another. Numbers per operator,
chosen from the usual UltraScale figures at 200 MHz:

- float32: a multiply takes 3 DSPs, an add 2 DSPs and ~400 LUTs; an accumulation
  through a float add carries a 4-cycle dependency (effective II 4);
- fixed point: a multiply up to 18 bits takes 1 DSP (2 up to 36), adds are LUTs
  (one per bit); accumulations pipeline at II 1;
- a float transcendental (std::tanh, std::exp) unit: 8 DSPs, ~2000 LUTs;
- an FFT call site is one instance of the straight-line program
  (`numerics/fft_plan.py`): its multiplies and adds, called once per block;
- arrays of 1 Kib or more live in 18 Kib block RAMs, one set per partition
  bank; rows handed between processes cost a FIFO, or a ping-pong buffer
  (two copies of the array) under dataflow.

This module is the estimate: the report's figures from the processes'
costs. The costs themselves live by concern: one op's loop nest in
`operators.py`, a step's (row pipelines, overlapped steps, copies) in
`steps.py`, block RAMs and partitioning in `memory.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Operation
from xdsl.utils.exceptions import VerifyException

from ercc.dialects import rnn
from ercc.dialects.sched import DATAFLOW, STREAM
from ercc.dialects.sched_rows import verify_complete
from ercc.errors import ErccError
from ercc.hardware.devices import Device
from ercc.hardware.memory import array_brams, buffer_brams, constant_storage
from ercc.hardware.operators import OpCost
from ercc.hardware.steps import copy_cost, op_cost, source_of, stage_ops
from ercc.numerics.intmath import ceil_div


@dataclass
class StageCost:
    """One dataflow process: an input path or a recurrence (per time step), or an op run once per sequence."""

    name: str
    kind: str  # "input path", "recurrence" or "once per sequence"
    steps: int
    cycles_per_step: int = 0
    dsp: int = 0
    lut: int = 0
    muls_per_step: int = 0
    ops: list[OpCost] = field(default_factory=list)
    stream: bool = False

    @property
    def per_frame(self) -> float:
        """Cycles this stage needs per input frame: a step's cycles, or its once-per-sequence run spread over T."""
        return self.cycles_per_step if self.kind != "once per sequence" else self.cycles_per_step / self.steps

    def add(self, cost: OpCost) -> None:
        self.ops.append(cost)
        self.cycles_per_step += cost.cycles
        self.dsp += cost.dsp
        self.lut += cost.lut
        self.muls_per_step += cost.muls


def _stage(op: Operation, T: int, counts: dict[str, int]) -> StageCost | None:
    if isinstance(op, rnn.MapOp | rnn.ScanOp):
        kind = "input path" if isinstance(op, rnn.MapOp) else "recurrence"
        index = counts[kind] = counts.get(kind, 0) + 1
        layer = op.attributes.get("ercc.layer")
        name = f"{kind} {index - 1}" + (f" ({layer.data})" if isinstance(layer, StringAttr) else "")
        if isinstance(op, rnn.ScanOp) and op.reverse:
            name += " reverse"
        stage = StageCost(name, kind, rnn.shape_of(op.operands[0])[0], stream=STREAM in op.attributes)
        stage.add(copy_cost(op))
    elif stage_ops(op):
        stage = StageCost(f"{op.name.split('.')[-1]} (once per sequence)", "once per sequence", T)
    else:
        return None
    for o in stage_ops(op):
        stage.add(op_cost(o))
    return stage


def _latency(stages: dict[Operation, StageCost]) -> int:
    """Cycles from the first input to the last output of one sequence through the dataflow processes.

    A process starts when the ping-pong buffers it reads are complete; behind a
    FIFO it starts one step after its producer and ends one step after it.
    """
    start: dict[Operation, float] = {}
    finish: dict[Operation, float] = {}
    for op, stage in stages.items():
        begin, end = 0.0, 0.0
        for v in op.operands:
            producer = source_of(v).owner
            if producer not in stages:
                continue
            p = stages[producer]
            if p.stream:
                begin = max(begin, start[producer] + p.cycles_per_step)
                end = max(end, finish[producer] + stage.cycles_per_step)
            else:
                begin = max(begin, finish[producer])
        start[op] = begin
        finish[op] = max(end, begin + stage.steps * stage.cycles_per_step if stage.kind != "once per sequence"
                         else begin + stage.cycles_per_step)
    return math.ceil(max(finish.values(), default=0))


def estimate(module: ModuleOp, device: Device, clock_mhz: float) -> dict:
    """The cost report of a scheduled module on `device` at `clock_mhz` (an ESTIMATE).

    With `sched.dataflow` the processes overlap: a frame costs the slowest
    process's cycles per step (steady state over a stream of frames); without
    it every process runs one after another.
    """
    try:
        verify_complete(module)  # the loops' costs read their sched.loop: all of them, or none
    except VerifyException as e:
        raise ErccError(f"the cost model needs a complete schedule: {e}") from None
    top = next(op for op in module.walk() if isinstance(op, func.FuncOp))
    dataflow = DATAFLOW in top.attributes
    T = max((rnn.shape_of(o.operands[0])[0] for o in top.body.block.ops if isinstance(o, rnn.ScanOp | rnn.MapOp)),
            default=1)
    stages: dict[Operation, StageCost] = {}
    counts: dict[str, int] = {}
    bram = buffer_bram = lut_storage = weight_bytes = 0
    for op in top.body.block.ops:
        if (storage := constant_storage(op)) is not None:
            n, width, banks, pairs = storage
            bram += array_brams(n, width, banks, pairs)
            weight_bytes += n * ceil_div(width, 8)
            lut_storage += 0 if banks < n else n * width // 8
        elif (stage := _stage(op, T, counts)) is not None:
            stages[op] = stage
            buffer_bram += buffer_brams(op, dataflow)
    steps = [s for s in stages.values() if s.kind != "once per sequence"]
    once = [s for s in stages.values() if s.kind == "once per sequence"]
    if dataflow:
        cycles_per_frame = math.ceil(max((s.per_frame for s in stages.values()), default=0))
        latency = _latency(stages)
    else:
        cycles_per_frame = sum(s.cycles_per_step for s in steps)
        latency = T * cycles_per_frame + sum(s.cycles_per_step for s in once)
    muls_per_frame = sum(s.muls_per_step for s in steps)
    dsp_used = sum(s.dsp for s in stages.values())
    lut_used = sum(s.lut for s in stages.values()) + lut_storage
    dsp_bound = ceil_div(muls_per_frame, device.dsp) if muls_per_frame else 0
    return {
        "estimate": True,
        "note": "ercc cost-model estimate, not a synthesis result",
        "device": device.name,
        "part": device.part,
        "clock_mhz": clock_mhz,
        "sequence_length": T,
        "dataflow": dataflow,
        "cycles_per_frame": cycles_per_frame,
        "latency_cycles": latency,
        "throughput_fps": clock_mhz * 1e6 / cycles_per_frame if cycles_per_frame else 0.0,
        "dsp": dsp_used,
        "dsp_available": device.dsp,
        "bram18k": bram + buffer_bram,
        "bram18k_buffers": buffer_bram,
        "bram18k_available": device.bram18k,
        "lut": lut_used,
        "lut_available": device.lut,
        "weight_bytes": weight_bytes,
        "over_device": [name for name, used, available in (
            ("DSP", dsp_used, device.dsp), ("BRAM18K", bram + buffer_bram, device.bram18k),
            ("LUT", lut_used, device.lut)) if used > available],
        "mults_per_frame": muls_per_frame,
        "dsp_bound_cycles_per_frame": dsp_bound,
        "dsp_bound_ratio": dsp_bound / cycles_per_frame if cycles_per_frame else 0.0,
        "per_layer": [
            {
                "stage": s.name,
                "kind": s.kind,
                "cycles_per_frame": math.ceil(s.per_frame),
                "cycles_per_step": s.cycles_per_step,
                "dsp": s.dsp,
                "lut": s.lut,
                "mults_per_frame": s.muls_per_step if s.kind != "once per sequence" else 0,
                "fifo_out": s.stream,
            }
            for s in stages.values()
        ],
    }
