"""Row pipelines (`sched.row_pipeline`): a step's MAC, inverse FFT and elementwise tail as one loop
(and, in a scan, the FFT of the next step's state).

The pipeline reorders work, never arithmetic: its C simulation must equal the
same kernel scheduled without it and ercc's reference executor, bit for bit,
for every cell, block size, precision and PE count (one tail lane an
iteration, or several when a hidden block's rows take fewer iterations than
it has elements).
"""

from __future__ import annotations

import dataclasses

import pytest
from hls_helpers import assert_same_csim
from models import make_gru_model, make_lstm_model, make_rnn_model

from ercc.compiler.pipeline import CompileOptions, compile_model, default_passes
from ercc.dialects import sched_rows
from ercc.dialects.sched import ROW_PIPELINE
from ercc.hardware.cost_model import estimate
from ercc.hardware.devices import DEVICES
from ercc.passes.pe_schedule import PESchedule

CASES = [
    # (id, maker, model options, block size, precision)
    ("lstm-k4-fixed", make_lstm_model, dict(H=8), 4, "fixed"),
    ("lstm-k8-float-odd", make_lstm_model, dict(H=13, peepholes=True, clip=2.0), 8, "float"),
    ("lstm-k16-fixed-bidir", make_lstm_model, dict(H=20, direction="bidirectional"), 16, "fixed"),
    ("gru-lbr-k4-fixed", make_gru_model, dict(H=12, linear_before_reset=1), 4, "fixed"),
    ("gru-lbr-k2-float", make_gru_model, dict(H=6, linear_before_reset=1), 2, "float"),
    ("rnn-k8-fixed", make_rnn_model, dict(H=16), 8, "fixed"),
    ("rnn-k4-float-reverse", make_rnn_model, dict(H=10, direction="reverse"), 4, "float"),
]


def _compile(path, block_size: int, precision: str, rows: bool):
    options = CompileOptions(block_size=block_size, precision=precision)
    passes = [p if not isinstance(p, PESchedule) else dataclasses.replace(p, row_pipelines=rows)
              for p in default_passes(options)]
    return compile_model(path, options, passes=passes)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_row_pipeline_is_bit_identical(case, tmp_path):
    name, maker, opts, k, precision = case
    path = tmp_path / f"{name}.onnx"
    maker(path, T=5, I=7, seed=3, **opts)
    fused, fused_kernel = _compile(path, k, precision, rows=True)
    plain, plain_kernel = _compile(path, k, precision, rows=False)
    marked = [o for o in fused.module.walk() if ROW_PIPELINE in o.attributes]
    assert marked, "no step was given a row pipeline"
    assert "one row pipeline" in fused_kernel.source and "one row pipeline" not in plain_kernel.source
    assert "fspec" in fused_kernel.source  # the scan's next spectrum is computed inside the pipeline
    assert_same_csim(fused_kernel, plain_kernel, fused.module, precision)


def test_several_tail_lanes_an_iteration(tmp_path):
    """k = 8 elements of a hidden block, 4 gates × 1 column group = 4 iterations: 2 lanes."""
    path = tmp_path / "lstm.onnx"
    make_lstm_model(path, T=3, I=4, H=16, seed=1)
    imported, kernel = _compile(path, 8, "fixed", rows=True)
    scan = next(o for o in imported.module.walk() if o.name == "rnn.scan")
    rp = sched_rows.match(scan.regions[0].block)
    unroll = rp.mac.attributes["sched.loop"].unroll.data
    assert rp.gates == 4 and rp.groups(unroll) == 1 and rp.lanes(unroll) == 2
    assert "(i % 4) * 2 + l" in kernel.source


def test_default_onnx_gru_keeps_its_ops():
    """linear_before_reset = 0 multiplies r ⊙ h before R_h: two MACs in a step, no row pipeline."""
    from ercc.compiler.pipeline import import_model, make_context, run_passes

    model = make_gru_model(None, T=3, I=4, H=8)
    options = CompileOptions(precision="float", block_size=4)
    imported = import_model(model, options)
    run_passes(make_context(), imported.module, default_passes(options))
    scan = next(o for o in imported.module.walk() if o.name == "rnn.scan")
    assert sched_rows.match(scan.regions[0].block) is None
    assert ROW_PIPELINE not in scan.attributes


def test_cost_model_charges_the_loop_to_the_mac(tmp_path):
    """The MAC's cost covers (p + G)·groups iterations; the inverse FFT and the tail add no cycles."""
    path = tmp_path / "lstm.onnx"
    make_lstm_model(path, T=4, I=8, H=32, seed=0)
    imported, _ = _compile(path, 8, "fixed", rows=True)
    report = estimate(imported.module, DEVICES["xcku060"], 200.0)
    plain, _ = _compile(path, 8, "fixed", rows=False)
    assert report["mults_per_frame"] == estimate(plain.module, DEVICES["xcku060"], 200.0)["mults_per_frame"]
    from ercc.hardware.steps import op_cost

    scan = next(o for o in imported.module.walk() if o.name == "rnn.scan")
    rp = sched_rows.match(scan.regions[0].block)
    u = rp.mac.attributes["sched.loop"].unroll.data
    p = rp.mac.weight.type.grid[0]
    assert op_cost(rp.mac).cycles >= (p + rp.gates) * rp.groups(u)
    assert op_cost(rp.inverse).cycles == 0 and all(op_cost(o).cycles == 0 for o in rp.tail)
