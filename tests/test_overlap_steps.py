"""Overlapped steps (`sched.overlap_steps`): a row-pipelined map's or scan's T steps as one loop.

The loop reorders work, never arithmetic (a scan's partial sums keep the
accumulation order), so its C simulation must equal the kernel without it and
ercc's reference, bit for bit. Small models leave too little slack between a
write and its first read in the next step for the pipeline depth, so these
tests lower the required slack to zero (C simulation runs the loop in program
order, where every value is written before it is read); the slack rule itself
is tested on its own numbers.
"""

from __future__ import annotations

import dataclasses

import pytest
from hls_helpers import assert_same_csim
from models import make_gru_model, make_lstm_model, make_rnn_model
from xdsl.dialects.builtin import UnitAttr

from ercc.backends.hls.emitter import emit_hls
from ercc.compiler.pipeline import CompileOptions, compile_model, default_passes
from ercc.dialects import sched_rows
from ercc.dialects.sched import LOOP, NEXT_SPECTRUM, OVERLAP_STEPS, ROW_PIPELINE, LoopScheduleAttr
from ercc.hardware import operators, steps
from ercc.hardware.row_planning import can_overlap
from ercc.hardware.steps import op_cost, overlap
from ercc.passes.pe_planner import record_overlap
from ercc.passes.pe_schedule import PESchedule

CASES = [
    # (id, maker, model options, block size, precision, MAC PEs)
    ("lstm-k4-fixed", make_lstm_model, dict(H=16), 4, "fixed", 1),
    ("lstm-k4-fixed-2pe", make_lstm_model, dict(H=16), 4, "fixed", 2),
    ("lstm-k4-float-odd", make_lstm_model, dict(H=13, peepholes=True, clip=2.0), 4, "float", 2),
    ("lstm-k8-fixed-bidir", make_lstm_model, dict(H=20, direction="bidirectional"), 8, "fixed", 1),
    ("gru-lbr-k4-fixed", make_gru_model, dict(H=12, linear_before_reset=1), 4, "fixed", 2),
    ("gru-lbr-k2-float", make_gru_model, dict(H=10, linear_before_reset=1), 2, "float", 3),
    ("rnn-k2-fixed-reverse", make_rnn_model, dict(H=16, direction="reverse"), 2, "fixed", 3),
]


def _compile(path, block_size: int, precision: str, overlap_steps: bool):
    options = CompileOptions(block_size=block_size, precision=precision)
    passes = [p if not isinstance(p, PESchedule) else dataclasses.replace(p, overlap_steps=overlap_steps)
              for p in default_passes(options)]
    return compile_model(path, options, passes=passes)


def _force(module, unroll: int) -> list:
    """Marks every row-pipelined map and scan for overlap at `unroll` MAC PEs (a scan needs two column groups)."""
    marked = []
    for op in module.walk():
        if op.name not in ("rnn.map", "rnn.scan") or ROW_PIPELINE not in op.attributes:
            continue
        op.attributes[OVERLAP_STEPS] = UnitAttr()
        if op.name == "rnn.scan":
            op.attributes[NEXT_SPECTRUM] = UnitAttr()
        rp = sched_rows.match(op.regions[0].block)
        rp.mac.attributes[LOOP] = LoopScheduleAttr(1, unroll)
        if overlap(op) is not None:
            marked.append(op)
    return marked


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_overlapped_steps_are_bit_identical(case, tmp_path, monkeypatch):
    name, maker, opts, k, precision, unroll = case
    monkeypatch.setattr(steps, "required_slack", lambda *args: 0)
    path = tmp_path / f"{name}.onnx"
    maker(path, T=5, I=7, seed=3, **opts)
    plain, plain_kernel = _compile(path, k, precision, overlap_steps=False)
    assert "over all steps" not in plain_kernel.source
    imported, _ = _compile(path, k, precision, overlap_steps=False)
    marked = _force(imported.module, unroll)
    assert {o.name for o in marked} == {"rnn.map", "rnn.scan"}
    for op in marked:  # the requests become plans, as pe-schedule records them
        record_overlap(op)
    kernel = emit_hls(imported.module)
    assert kernel.source.count("one row pipeline over all steps") == len(marked)
    assert_same_csim(kernel, plain_kernel, imported.module, precision)


def _lstm(tmp_path, **opts):
    path = tmp_path / "lstm.onnx"
    make_lstm_model(path, T=4, I=7, H=16, seed=1, **opts)
    imported, _ = _compile(path, 4, "fixed", overlap_steps=False)
    return imported.module


def test_scan_needs_slack_for_its_pipeline(tmp_path):
    """16 hidden units at k = 4: block 1, the last the next step's first row reads early, is
    written (2 + 1)·4 − 1 = 11 iterations into a 16-row step; the pipeline is deeper."""
    module = _lstm(tmp_path)
    _force(module, 2)
    scan = next(o for o in module.walk() if o.name == "rnn.scan")
    rp = sched_rows.match(scan.regions[0].block)
    ar = operators.arithmetic(rp.mac.result.type.element_type)
    assert steps.required_slack(rp, 2, ar, True) > 16 + 0 - 11
    assert overlap(scan) is None


def test_scan_needs_a_zero_initial_state(tmp_path, monkeypatch):
    """Step 0's products are skipped: only sound when the state the FFT reads starts at zero."""
    monkeypatch.setattr(steps, "required_slack", lambda *args: 0)
    module = _lstm(tmp_path, initial_state=True)
    _force(module, 2)
    scan = next(o for o in module.walk() if o.name == "rnn.scan")
    assert NEXT_SPECTRUM in scan.attributes and not can_overlap(scan)


def test_overlap_costs_one_pipeline_fill_a_sequence(tmp_path, monkeypatch):
    """Overlapped, a scan's step costs groups·p iterations (no drain of G·groups, no pipeline depth
    but once a sequence), and it copies nothing; its partial sums are charged as buffers."""
    monkeypatch.setattr(steps, "required_slack", lambda *args: 0)
    module = _lstm(tmp_path)
    scan = next(o for o in module.walk() if o.name == "rnn.scan")
    rp = sched_rows.match(scan.regions[0].block)
    _force(module, 2)
    del scan.attributes[OVERLAP_STEPS]
    before = op_cost(rp.mac).cycles + steps.copy_cost(scan).cycles
    scan.attributes[OVERLAP_STEPS] = UnitAttr()
    plan = overlap(scan)
    p = rp.mac.weight.type.grid[0]
    assert plan.step == rp.groups(2) * p and plan.split == 2
    assert steps.step_copies(scan) == []
    after = op_cost(rp.mac).cycles
    assert plan.step <= after < before


def test_gauss_products_in_fixed_point(tmp_path):
    """A complex bin takes 3 multiplies in fixed point (exact sums), 4 in float."""
    module = _lstm(tmp_path)
    mac = next(o for o in module.walk() if o.name == "circ.freq_mac")
    k = mac.weight.type.block.data
    assert operators.loop_work(mac).muls == 2 + 3 * (k // 2 - 1)
    source = emit_hls(module).source
    assert "const auto k1 = " in source
