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


def _documented_rows() -> dict[tuple[int, float], dict[str, str]]:
    """docs/hardware.md's table of the ESE / C-LSTM LSTM, keyed by (K, dsp-fraction)."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "hardware.md").read_text()
    section = text.split("## The ESE / C-LSTM speech LSTM", 1)[1]
    table = next(part for part in section.split("\n\n") if part.startswith("|"))  # its first table
    lines = [ln for ln in table.splitlines() if ln.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for ln in lines[2:]:
        cells = dict(zip(head, (c.strip() for c in ln.strip("|").split("|"))))
        rows[int(cells["K"]), float(cells["dsp-fraction"].split()[0])] = cells
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("k,fraction", [(8, 0.9), (16, 0.9), (8, 1.0), (16, 1.0)])
def test_docs_hardware_table_is_what_the_code_reports(tmp_path, k, fraction):
    """Reruns each documented configuration: the figures in docs/hardware.md are the cost model's."""
    row = _documented_rows()[k, fraction]
    path = tmp_path / "lstm1024.onnx"
    build_model(path)
    report, _ = compile_and_estimate(path, k, "fixed", dsp_fraction=fraction)
    device = DEVICES[DEVICE]
    assert row["cycles/frame"] == f"{report['cycles_per_frame']:,}"
    assert row["latency (cycles)"] == f"{report['latency_cycles']:,}"
    assert row["DSP"] == f"{report['dsp']} / {device.dsp}"
    assert row["BRAM18K"] == f"{report['bram18k']} / {device.bram18k}"
    assert row["DSP-bound limit"] == f"{report['dsp_bound_cycles_per_frame']:,}"
    assert row["ratio"] == f"**{report['dsp_bound_ratio']:.2f}**"
