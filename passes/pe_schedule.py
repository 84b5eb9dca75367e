"""pe-schedule: dataflow stages, row pipelines and the PEs of every loop, within a device's budget.

A thin pass around `ercc.passes.pe_planner.Planner`, which chooses (see its
docstring for how); the pass checks the options and writes the chosen
`Schedule` into the IR as `sched` attributes (the planner's schedule has a
`#sched.loop` on every loop op, `#sched.loop<ii = 1, unroll = 1>` on those it
left alone), so that every decision the emitter and the cost model read is in the IR.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from ercc.hardware.devices import DEVICES
from ercc.passes.pe_planner import Planner


@dataclass(frozen=True)
class PESchedule(ModulePass):
    """Chooses dataflow stages and PEs (unroll factors) per loop to maximize frames/s within the budget."""

    name = "pe-schedule"

    device: str = "xcku060"
    clock_mhz: float = 200.0
    dsp_fraction: float = 0.9
    """Share of the device's DSPs, LUTs and BRAMs the kernel may use."""
    dataflow: bool = True
    fifos: bool = True
    """Allow FIFO hand-overs of rows in time order (a consumer one step behind its producer, but
    one element a cycle); the pass schedules with and without them and keeps the faster.
    false: ping-pong buffers only (whole sequences, copies as wide as unrolled)."""
    row_pipelines: bool = True
    """Run a step's MAC, inverse FFT and elementwise tail as one loop where the step allows
    (`ercc.dialects.sched_rows.match`); false: its ops one after another."""
    fabric_mul: bool = True
    """Also try the best schedule with a fixed-point row pipeline's multiplies outside its MAC
    (inverse FFT, tail, FFT units) in LUTs (`sched.fabric_mul`), keeping it if faster: the freed
    DSPs go to the MAC engines."""
    overlap_steps: bool = True
    """Run a row-pipelined map's or scan's steps as one loop where the hand-overs allow
    (`ercc.hardware.row_planning.can_overlap`): the pipeline fills once a sequence."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.device not in DEVICES:
            raise PassFailedException(f"unknown device '{self.device}' (known: {', '.join(DEVICES)})")
        if not 0 < self.dsp_fraction <= 1:
            raise PassFailedException(f"dsp-fraction must be in (0, 1], got {self.dsp_fraction}")
        if self.clock_mhz <= 0:
            raise PassFailedException(f"clock-mhz must be positive, got {self.clock_mhz}")
        planner = Planner(**{f.name: getattr(self, f.name) for f in dataclasses.fields(Planner)})
        for f in op.walk():
            if isinstance(f, func.FuncOp) and f.body.blocks:
                planner.plan(op, f).write()
