"""ercc's cost model and the PE scheduler: the arithmetic of the estimates, and the budget."""

from __future__ import annotations

import pytest
from hls_helpers import parse

from ercc.compiler.pipeline import make_context
from ercc.dialects import rnn
from ercc.hardware.cost_model import estimate
from ercc.hardware.devices import DEVICES, device
from ercc.hardware.steps import op_cost
from ercc.passes.pe_schedule import PESchedule

CELL = """
func.func @ercc_kernel(%x: tensor<3x64xf32>) -> tensor<3x8xf32> {
  %w = arith.constant dense<1.0> : tensor<8x64xf32>
  %r = arith.constant dense<1.0> : tensor<8x8xf32>
  %h0 = arith.constant dense<0.0> : tensor<8xf32>
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<3x64xf32>, tensor<8xf32>) -> (tensor<3x8xf32>, tensor<8xf32>) {
  ^bb0(%xt: tensor<64xf32>, %h: tensor<8xf32>):
    %a = rnn.matvec %w, %xt : (tensor<8x64xf32>, tensor<64xf32>) -> tensor<8xf32>
    %b = rnn.matvec %r, %h : (tensor<8x8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %s = rnn.add %a, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %t = rnn.activation <tanh> %s : tensor<8xf32> -> tensor<8xf32>
    rnn.yield %t : tensor<8xf32>
  }
  func.return %ys : tensor<3x8xf32>
}
"""


def _matvec(module):
    return next(op for op in module.walk() if isinstance(op, rnn.MatVecOp))


def test_float_matvec_cost():
    """8 rows of a pipelined 64-column loop: float accumulation runs at II 4; depth 12."""
    mv = _matvec(parse(CELL))
    cost = op_cost(mv, unroll=4)
    assert cost.cycles == 8 * (64 // 4 * 4 + 12)
    assert cost.dsp == 4 * (3 + 2)  # a float multiply (3 DSPs) and add (2) per PE
    assert cost.muls == 8 * 64
    # Fully unrolled: the row loop is pipelined at II 1; an adder tree of log2(64) float adds (4 cycles each).
    assert op_cost(mv, unroll=64).cycles == 8 * 1 + 12 + 6 * 4


def test_report_keys_and_arithmetic():
    module = parse(CELL)
    PESchedule(device="xczu9eg").apply(make_context(), module)
    report = estimate(module, device("xczu9eg"), 250.0)
    for key in ("device", "clock_mhz", "cycles_per_frame", "latency_cycles", "throughput_fps", "dsp", "bram18k",
                "lut", "weight_bytes", "per_layer"):
        assert key in report
    assert report["estimate"] is True and "estimate" in report["note"]
    assert report["throughput_fps"] == pytest.approx(250e6 / report["cycles_per_frame"])
    assert report["latency_cycles"] == 3 * report["cycles_per_frame"]
    assert report["weight_bytes"] == 4 * (8 * 64 + 8 * 8 + 8)
    assert report["mults_per_frame"] == 8 * 64 + 8 * 8 + 8


@pytest.mark.parametrize("name", sorted(DEVICES))
@pytest.mark.parametrize("fraction", [0.002, 0.01, 0.9])
def test_schedule_stays_within_budget(name, fraction):
    module = parse(CELL)
    PESchedule(device=name, dsp_fraction=fraction).apply(make_context(), module)
    report = estimate(module, DEVICES[name], 200.0)
    assert report["dsp"] <= max(int(DEVICES[name].dsp * fraction), 0) or all(
        op.attributes["sched.loop"].unroll.data == 1 for op in module.walk() if "sched.loop" in op.attributes
    )


def test_more_dsps_never_slower():
    cycles = []
    for fraction in (0.002, 0.01, 0.05, 0.9):
        module = parse(CELL)
        PESchedule(device="xcku060", dsp_fraction=fraction).apply(make_context(), module)
        cycles.append(estimate(module, DEVICES["xcku060"], 200.0)["cycles_per_frame"])
    assert cycles == sorted(cycles, reverse=True) and cycles[-1] < cycles[0]


def test_unknown_device_lists_known():
    with pytest.raises(KeyError, match="xcku060"):
        device("xc9000")


# Two stages after hoist-input-path: the input path (W·x, 8x64) and the recurrence (R·h, 8x8).
HOISTED = """
func.func @ercc_kernel(%x: tensor<3x64xf32>) -> tensor<3x8xf32> {
  %w = arith.constant dense<1.0> : tensor<8x64xf32>
  %r = arith.constant dense<1.0> : tensor<8x8xf32>
  %h0 = arith.constant dense<0.0> : tensor<8xf32>
  %wx = rnn.map %x : tensor<3x64xf32> -> (tensor<3x8xf32>) {
  ^bb0(%xt: tensor<64xf32>):
    %a = rnn.matvec %w, %xt : (tensor<8x64xf32>, tensor<64xf32>) -> tensor<8xf32>
    rnn.yield %a : tensor<8xf32>
  }
  %ys, %hT = rnn.scan %wx init(%h0) : (tensor<3x8xf32>, tensor<8xf32>) -> (tensor<3x8xf32>, tensor<8xf32>) {
  ^bb0(%a: tensor<8xf32>, %h: tensor<8xf32>):
    %b = rnn.matvec %r, %h : (tensor<8x8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %s = rnn.add %a, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    rnn.yield %s : tensor<8xf32>
  }
  func.return %ys : tensor<3x8xf32>
}
"""


def _stages(report):
    return {s["kind"]: s for s in report["per_layer"]}


def test_dataflow_frame_is_the_slowest_stage():
    module = parse(HOISTED)
    PESchedule(device="xczu9eg", dsp_fraction=0.02).apply(make_context(), module)
    assert "sched.dataflow" in next(iter(module.ops)).attributes
    report = estimate(module, device("xczu9eg"), 200.0)
    stages = _stages(report)
    assert report["dataflow"] and set(stages) == {"input path", "recurrence"}
    per_step = [s["cycles_per_step"] for s in stages.values()]
    assert report["cycles_per_frame"] == max(per_step)
    # The map streams its rows (FIFO): the recurrence starts one step behind it.
    assert stages["input path"]["fifo_out"]
    m, r = stages["input path"]["cycles_per_step"], stages["recurrence"]["cycles_per_step"]
    assert report["latency_cycles"] == max(m + 3 * r, 3 * m + r)
    assert report["dsp"] <= int(DEVICES["xczu9eg"].dsp * 0.02)


def test_sequential_schedule_sums_the_stages():
    module = parse(HOISTED)
    PESchedule(device="xczu9eg", dsp_fraction=0.02, dataflow=False).apply(make_context(), module)
    report = estimate(module, device("xczu9eg"), 200.0)
    assert not report["dataflow"]
    assert report["cycles_per_frame"] == sum(s["cycles_per_step"] for s in report["per_layer"])
    assert report["latency_cycles"] == 3 * report["cycles_per_frame"]


def test_dataflow_balances_and_beats_sequential():
    """Balancing the pipeline spends the DSPs on the slowest stage: faster frames than one after another."""
    results = {}
    for dataflow in (True, False):
        module = parse(HOISTED)
        PESchedule(device="xczu9eg", dsp_fraction=0.05, dataflow=dataflow).apply(make_context(), module)
        results[dataflow] = estimate(module, device("xczu9eg"), 200.0)
    assert results[True]["cycles_per_frame"] < results[False]["cycles_per_frame"]
    per_step = sorted(s["cycles_per_step"] for s in results[True]["per_layer"])
    assert per_step[1] <= 2 * per_step[0]  # no stage left far behind the other


def test_no_fifo_into_a_reverse_scan():
    module = parse(HOISTED.replace("rnn.scan %wx", "rnn.scan reverse %wx"))
    PESchedule(device="xczu9eg").apply(make_context(), module)
    report = estimate(module, device("xczu9eg"), 200.0)
    stages = _stages(report)
    assert not stages["input path"]["fifo_out"]
    # Ping-pong buffer: the recurrence waits for all 3 rows.
    assert report["latency_cycles"] == 3 * sum(s["cycles_per_step"] for s in stages.values())


def test_fft_cost_counts_the_straight_line_program():
    from ercc.numerics import fft_plan

    module = parse("""
func.func @f(%x: tensor<16xf32>) -> tensor<16xf32> {
  %s = circ.rfft %x : tensor<16xf32> -> !circ.spectrum<1, 16, f32>
  %y = circ.irfft %s : !circ.spectrum<1, 16, f32> -> tensor<16xf32>
  func.return %y : tensor<16xf32>
}
""")
    rfft, irfft = [op for op in module.walk() if op.name in ("circ.rfft", "circ.irfft")]
    forward, inverse = fft_plan.build(16, False), fft_plan.build(16, True)
    assert op_cost(rfft, unroll=1).muls == forward.multiplies()
    assert op_cost(irfft, unroll=1).dsp == 3 * inverse.multiplies() + 2 * inverse.additions()


def test_no_dataflow_when_two_processes_read_one_value(tmp_path):
    """Both directions of a bidirectional layer read x: a dataflow region needs one reader per
    channel, so the processes stay sequential (and are estimated so)."""
    from models import make_gru_model

    from ercc.compiler.pipeline import CompileOptions, compile_model
    from ercc.dialects.sched import DATAFLOW

    path = tmp_path / "bigru.onnx"
    make_gru_model(path, T=4, I=3, H=4, direction="bidirectional")
    imported, kernel = compile_model(path, CompileOptions(precision="float"))
    top = next(op for op in imported.module.walk() if op.name == "func.func")
    assert DATAFLOW not in top.attributes and "#pragma HLS dataflow" not in kernel.source
    assert not estimate(imported.module, device("xcku060"), 200.0)["dataflow"]
    forward = tmp_path / "gru.onnx"
    make_gru_model(forward, T=4, I=3, H=4)
    imported, kernel = compile_model(forward, CompileOptions(precision="float"))
    assert "#pragma HLS dataflow" in kernel.source
