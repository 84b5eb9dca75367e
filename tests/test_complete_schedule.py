"""A module that carries scheduling decisions carries all of them (issue 14).

If any op has a `sched.loop`, every loop op (the `ScheduledLoop` trait: the
ops pe-schedule writes one on in every schedule) must have one; a missing one
is an error naming the op, from the emitter (`ercc` exits 2 with one line) and
from the cost model, not a loop printed without pragmas. The schedulers ercc
ships, and the example one, decide every loop.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from models import make_lstm_model
from test_cli import assert_user_error

import ercc
import ercc.api
from ercc.backends.hls.emitter import emit_hls
from ercc.dialects import rnn
from ercc.dialects.sched import LOOP
from ercc.dialects.sched_rows import verify_complete
from ercc.dialects.traits import ScheduledLoop
from ercc.errors import ErccError
from ercc.hardware.cost_model import estimate
from ercc.hardware.devices import DEVICES
from ercc.hardware.operators import loop_work

FRONT = "lower-rnn-layers,circulant-substitution{block-size=4},fft-decompose,fuse-gate-macs,"\
        "activation-approximation{segments=64},quantize,hoist-input-path"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "passes" / "uniform_schedule.py"
DROP = '''
from dataclasses import dataclass
from xdsl.passes import ModulePass
from ercc.dialects import rnn
from ercc.dialects.sched import LOOP

@dataclass(frozen=True)
class DropScanLoop(ModulePass):
    """A scheduler that forgets one decision: the scan's sched.loop."""
    name = "drop-scan-loop"
    def apply(self, ctx, op):
        next(o for o in op.walk() if isinstance(o, rnn.ScanOp)).attributes.pop(LOOP)
'''
MESSAGE = "rnn.scan: no sched.loop decision, but the module is scheduled (other ops carry one)"


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("complete") / "lstm.onnx"
    make_lstm_model(path, T=4, I=6, H=16, seed=2)
    return path


def test_the_cli_names_the_op_without_a_decision(model, tmp_path):
    plugin = tmp_path / "drop.py"
    plugin.write_text(DROP)
    out = tmp_path / "kernel.cpp"
    result = subprocess.run(
        [sys.executable, "-m", "ercc", str(model), "-o", str(out), "--block-size", "4",
         "--load-pass-plugin", str(plugin), "--pass-pipeline", f"{FRONT},pe-schedule,drop-scan-loop"],
        capture_output=True, text=True, timeout=120)
    assert_user_error(result, MESSAGE, "run pe-schedule or a scheduler pass that decides every loop")
    assert not out.exists()


@pytest.mark.parametrize("scheduler", ["pe-schedule", "loop-schedule", "uniform-pe-schedule{pes=2 row-pipelines=true}"])
def test_the_schedulers_decide_every_loop(model, scheduler):
    ercc.api.load_pass_plugin(str(EXAMPLE))
    module = ercc.compile(model, block_size=4, pass_pipeline=f"{FRONT},{scheduler}", record_ir=False).imported.module
    loops = [o for o in module.walk() if o.has_trait(ScheduledLoop)]
    assert loops and all(LOOP in o.attributes for o in loops)
    verify_complete(module)


def test_the_cost_model_names_the_op_without_a_decision(model):
    module = ercc.compile(model, block_size=4, record_ir=False).imported.module
    estimate(module, DEVICES["xcku060"], 200.0)  # complete: a report
    next(o for o in module.walk() if isinstance(o, rnn.ScanOp)).attributes.pop(LOOP)
    with pytest.raises(ErccError, match=re.escape(MESSAGE)):
        estimate(module, DEVICES["xcku060"], 200.0)


def test_a_module_without_decisions_is_the_plain_kernel(model):
    module = ercc.compile(model, block_size=4, record_ir=False).imported.module
    for o in module.walk():
        for key in [k for k in o.attributes if k.startswith("sched.")]:
            del o.attributes[key]
    verify_complete(module)  # no decisions at all: an explicit state, not a missing one
    source = emit_hls(module).single_file()
    assert "#pragma HLS unroll" not in source and "#pragma HLS dataflow" not in source


def test_the_trait_marks_the_loops_the_cost_model_prices(model):
    """ScheduledLoop and the cost model's `loop_work` name the same ops (besides maps' and scans' copies)."""
    module = ercc.compile(model, block_size=4, record_ir=False).imported.module
    for o in module.walk():
        copies = isinstance(o, rnn.MapOp | rnn.ScanOp)
        assert (loop_work(o) is not None or copies) == o.has_trait(ScheduledLoop), o.name
