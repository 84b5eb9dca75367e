"""pe-schedule's balancing: the PE counts it tries, its per-process knapsack, and its budgets."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from models import make_lstm_model

from ercc.compiler.pipeline import CompileOptions, compile_model, default_passes
from ercc.hardware.cost_model import estimate
from ercc.hardware.devices import DEVICES
from ercc.hardware.operators import OpCost
from ercc.passes.pe_planner import _balance, _Knob
from ercc.passes.pe_schedule import PESchedule


def test_pe_counts_that_save_an_iteration():
    """Each count takes fewer iterations over the loop than the one before; powers of two are steps too."""
    knob = _Knob(None, 0, 64, False)
    seen, u = [], 1
    while u < 64:
        u = knob.next(u)
        seen.append(u)
    assert seen == [2, 3, 4, 5, 7, 10, 13, 22, 32, 64]
    assert knob.steps(13) == [16, 22] and knob.steps(64) == []
    iterations = [-(-64 // u) for u in seen]
    assert iterations == sorted(iterations, reverse=True) and len(set(iterations)) == len(iterations)


@dataclasses.dataclass(eq=False)
class _Fake(_Knob):
    """A loop whose cycles are work / PEs and whose DSPs are dsp_per_pe · PEs."""

    work: int = 0
    dsp_per_pe: int = 0

    def cost(self, unroll: int) -> OpCost:
        return OpCost("fake", -(-self.work // unroll), self.dsp_per_pe * unroll, 0, 0)


def test_balance_matches_brute_force():
    """Three processes of two loops each, 40 DSPs: the bisection + knapsack finds the best frame."""
    specs = [(0, 64, 3, 1), (0, 16, 1, 2), (1, 48, 2, 1), (1, 12, 2, 1), (2, 32, 1, 3), (2, 8, 4, 1)]
    knobs = [_Fake(None, stage, limit, True, work=work * 10, dsp_per_pe=dsp) for stage, limit, work, dsp in specs]
    budget = 40
    _balance(knobs, [False] * 3, 8, (budget, 10**9, 10**9))
    got = max(sum(k.cost(k.unroll).cycles for k in knobs if k.stage == s) for s in range(3))
    assert sum(k.cost(k.unroll).dsp for k in knobs) <= budget

    def counts(k: _Knob) -> list[int]:
        out, u = [1], 1
        while u < k.limit:
            out += k.steps(u)
            u = k.next(u)
        return sorted(set(out))

    best = min(
        max(sum(k.cost(u).cycles for k, u in zip(knobs, choice) if k.stage == s) for s in range(3))
        for choice in itertools.product(*(counts(k) for k in knobs))
        if sum(k.cost(u).dsp for k, u in zip(knobs, choice)) <= budget
    )
    assert got <= best * 1.02  # the knapsack rounds cycles up to 1/256 of the target


@pytest.mark.parametrize("precision,fraction", [("fixed", 0.1), ("float", 0.52)])
def test_schedule_stays_within_the_budget(tmp_path, precision, fraction):
    """Never more than dsp-fraction of the device. In float the smallest kernel (one PE a loop)
    needs 1,220 DSPs, 1,402 with the scan's next-state FFT unit (its adders are DSPs): at 1,310
    DSPs the pass must leave that unit out."""
    path = tmp_path / "lstm.onnx"
    make_lstm_model(path, T=4, I=40, H=128, seed=2)
    options = CompileOptions(block_size=16, precision=precision)
    passes = [dataclasses.replace(p, device="xczu9eg", dsp_fraction=fraction) if isinstance(p, PESchedule) else p
              for p in default_passes(options)]
    imported, _ = compile_model(path, options, passes=passes)
    report = estimate(imported.module, DEVICES["xczu9eg"], 200.0)
    assert report["dsp"] <= int(DEVICES["xczu9eg"].dsp * fraction)
    if precision == "fixed":  # the smallest float kernel needs 184 k LUTs, more than 52 % of the part
        assert report["lut"] <= int(DEVICES["xczu9eg"].lut * fraction)
    scan = next(o for o in imported.module.walk() if o.name == "rnn.scan")
    assert ("sched.next_spectrum" in scan.attributes) == (precision == "fixed")
    assert report["over_device"] == []


def test_a_kernel_over_the_device_is_reported(tmp_path):
    """A kernel needing more DSPs than the part has: the estimate and its table say so."""
    from ercc.hardware.report import format_table

    path = tmp_path / "lstm.onnx"
    make_lstm_model(path, T=4, I=40, H=128, seed=2)
    options = CompileOptions(block_size=16, precision="float")
    imported, _ = compile_model(path, options)
    tiny = dataclasses.replace(DEVICES["xczu9eg"], name="tiny", dsp=100, lut=10**7, bram18k=10**5)
    report = estimate(imported.module, tiny, 200.0)
    assert report["over_device"] == ["DSP"]
    assert "does NOT fit tiny: DSP over" in format_table(report)
