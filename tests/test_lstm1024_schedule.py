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
