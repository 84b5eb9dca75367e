"""The issue's benchmark model (2 × 1024-cell LSTM, 153 inputs) compiles with scheduling within 20 s and fits the device."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from lstm1024_schedule import CLOCK, DEVICE, build_model, compile_and_estimate  # noqa: E402

from ercc.hardware.devices import DEVICES  # noqa: E402


@pytest.mark.slow
@pytest.mark.parametrize("k", [8, 16])
def test_compiles_within_20_s_and_fits(tmp_path, k):
    path = tmp_path / "lstm1024.onnx"
    build_model(path)
    report, seconds = compile_and_estimate(path, k, "fixed")
    assert seconds <= 20.0
    device = DEVICES[DEVICE]
    assert report["dsp"] <= device.dsp and report["bram18k"] <= device.bram18k and report["lut"] <= device.lut
    assert report["dataflow"] and report["clock_mhz"] == CLOCK
    assert report["cycles_per_frame"] == max(s["cycles_per_frame"] for s in report["per_layer"])
    assert report["dsp_bound_ratio"] >= 0.8  # the target, at the default dsp-fraction 0.9


@pytest.mark.slow
def test_lut_multipliers_leave_the_dsps_to_the_macs(tmp_path):
    """K = 16: the MACs at 32 PEs fit the DSP budget only with the other multiplies in LUTs."""
    import dataclasses

    from ercc.compiler.pipeline import CompileOptions, default_passes, import_model, make_context, run_passes
    from ercc.dialects.sched import FABRIC_MUL
    from ercc.hardware.cost_model import estimate
    from ercc.passes.pe_schedule import PESchedule

    path = tmp_path / "lstm1024.onnx"
    build_model(path)
    options = CompileOptions(block_size=16, seq_len=16, precision="fixed")
    reports = {}
    for fabric in (True, False):
        passes = [dataclasses.replace(p, fabric_mul=fabric) if isinstance(p, PESchedule) else p
                  for p in default_passes(options)]
        imported = import_model(path, options)
        run_passes(make_context(), imported.module, passes)
        assert any(FABRIC_MUL in o.attributes for o in imported.module.walk()) == fabric
        reports[fabric] = estimate(imported.module, DEVICES[DEVICE], CLOCK)
    assert reports[True]["cycles_per_frame"] < reports[False]["cycles_per_frame"]
    assert reports[True]["dsp"] <= int(DEVICES[DEVICE].dsp * 0.9)
