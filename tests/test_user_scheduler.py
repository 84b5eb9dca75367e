"""A user's scheduler in place of pe-schedule (examples/passes/uniform_schedule.py, loaded as a plugin).

Scheduling never changes what a kernel computes, so its kernel must give the
bits pe-schedule's kernel and the reference give; and since the emitter and
the cost model decide nothing themselves, its kernel and its report must be
what its attributes say (FileCheck: tests/filecheck/examples/uniform-pe-schedule.mlir).
"""

from __future__ import annotations

from pathlib import Path

from hls_helpers import assert_same_csim
from models import make_lstm_model

import ercc
import ercc.api
from ercc.dialects import circ, rnn
from ercc.dialects.sched import DATAFLOW, LOOP, LoopScheduleAttr

PLUGIN = Path(__file__).resolve().parents[1] / "examples" / "passes" / "uniform_schedule.py"
FRONT = "lower-rnn-layers,circulant-substitution{block-size=4},fft-decompose,fuse-gate-macs,"\
        "activation-approximation{segments=64},quantize,hoist-input-path"


def _compile(path, pes: int, rows: bool = True):
    ercc.api.load_pass_plugin(str(PLUGIN))
    spec = f"{FRONT},uniform-pe-schedule{{pes={pes} row-pipelines={'true' if rows else 'false'}}}"
    return ercc.compile(path, block_size=4, pass_pipeline=spec, record_ir=False)


def _model(tmp_path) -> Path:
    path = tmp_path / "lstm.onnx"
    make_lstm_model(path, T=4, I=6, H=16, seed=2)
    return path


def test_its_kernel_gives_the_reference_bits(tmp_path):
    path = _model(tmp_path)
    mine = _compile(path, pes=2)
    default = ercc.compile(path, block_size=4, record_ir=False)
    top = next(o for o in mine.imported.module.walk() if o.name == "func.func")
    assert DATAFLOW not in top.attributes and "#pragma HLS dataflow" not in mine.kernel.source
    assert "#pragma HLS dataflow" in default.kernel.source  # a different schedule, the same bits
    assert "one row pipeline" in mine.kernel.source
    assert_same_csim(mine.kernel, default.kernel, mine.imported.module, "fixed", batch=2, scales=(0.3, 3.0))


def test_its_report_is_what_its_attributes_say(tmp_path):
    path = _model(tmp_path)
    one, two = _compile(path, pes=1), _compile(path, pes=2)
    for m, pes in ((one, 1), (two, 2)):
        macs = [o for o in m.imported.module.walk() if isinstance(o, circ.FreqMacOp)]
        assert [o.attributes[LOOP].unroll.data for o in macs] == [min(pes, o.weight.type.grid[1]) for o in macs]
        report = m.estimate
        assert not report["dataflow"]  # processes one after another: a frame costs their sum
        steps = [s for s in report["per_layer"] if s["kind"] != "once per sequence"]
        assert report["cycles_per_frame"] == sum(s["cycles_per_step"] for s in steps)
    assert two.estimate["cycles_per_frame"] < one.estimate["cycles_per_frame"]
    assert two.estimate["dsp"] > one.estimate["dsp"]
    # Rewrite two's recurrence MAC back to one PE: its report's recurrence is one's again.
    scan = next(o for o in two.imported.module.walk() if isinstance(o, rnn.ScanOp))
    mac = next(o for o in scan.body.block.ops if isinstance(o, circ.FreqMacOp))
    mac.attributes[LOOP] = LoopScheduleAttr(1, 1)
    recurrence = [s for s in two.estimate["per_layer"] if s["kind"] == "recurrence"]
    assert recurrence == [s for s in one.estimate["per_layer"] if s["kind"] == "recurrence"]
