"""Scheduling the ESE / C-LSTM speech LSTM: 2 layers, 1024 cells, 153 inputs, on xcku060 at 200 MHz.

Builds the model with onnx.helper (random weights: only sizes matter here),
compiles it through the default pipeline (hoisted input paths, dataflow
stages) at K = 8 and 16, and prints ercc's cost-model ESTIMATES: cycles per
frame (one time step through both layers, steady state of the dataflow
pipeline), frames/s, sequence latency, DSP and BRAM use, weight bytes, real
multiplications per frame against the dense model, the DSP-bound limit
(multiplications per frame ÷ the device's DSPs) and its ratio to the
estimate; then the slowest stage of each and the published figures. Compile
times (import, passes and C++ emission) are medians of `--runs` runs.

    python benchmarks/lstm1024_schedule.py [--runs 3] [--precision fixed|float] [--dsp-fraction 0.9]

`--dsp-fraction` is pe-schedule's share of the device's DSPs, LUTs and BRAMs
the kernel may use (default 0.9, the pass's default: headroom for routing).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ercc.backends.hls.emitter import emit_hls
from ercc.compiler.pipeline import CompileOptions, default_passes, import_model, make_context, run_passes
from ercc.hardware.cost_model import estimate
from ercc.hardware.devices import DEVICES
from ercc.passes.pe_schedule import PESchedule

H, I, T, LAYERS = 1024, 153, 16, 2
DEVICE, CLOCK = "xcku060", 200.0


def build_model(path: Path) -> None:
    rng = np.random.default_rng(0)
    inits, nodes, prev, width = [], [], "x", I
    for layer in range(LAYERS):
        for name, shape in ((f"W{layer}", (1, 4 * H, width)), (f"R{layer}", (1, 4 * H, H))):
            inits.append(numpy_helper.from_array((rng.standard_normal(shape) * 0.03).astype(np.float32), name))
        inits.append(numpy_helper.from_array(np.zeros((1, 8 * H), np.float32), f"B{layer}"))
        nodes.append(
            helper.make_node("LSTM", [prev, f"W{layer}", f"R{layer}", f"B{layer}"], [f"Y{layer}"], hidden_size=H)
        )
        nodes.append(helper.make_node("Squeeze", [f"Y{layer}", "axis1"], [f"S{layer}"]))
        prev, width = f"S{layer}", H
    inits.append(numpy_helper.from_array(np.array([1], np.int64), "axis1"))
    graph = helper.make_graph(
        nodes, "lstm1024", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, 1, I])],
        [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [T, 1, H])], inits,
    )
    onnx.save(helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 17)]), path)


def compile_and_estimate(path: Path, k: int, precision: str, dsp_fraction: float = 0.9) -> tuple[dict, float]:
    options = CompileOptions(block_size=k, seq_len=T, precision=precision)
    passes = [dataclasses.replace(p, dsp_fraction=dsp_fraction) if isinstance(p, PESchedule) else p
              for p in default_passes(options)]
    start = time.perf_counter()
    imported = import_model(path, options)
    run_passes(make_context(), imported.module, passes)
    emit_hls(imported.module)
    elapsed = time.perf_counter() - start
    return estimate(imported.module, DEVICES[DEVICE], CLOCK), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--precision", choices=("fixed", "float"), default="fixed")
    parser.add_argument("--dsp-fraction", type=float, default=0.9)
    args = parser.parse_args()
    dense_mults = LAYERS * 4 * H * H + 4 * H * I + (LAYERS - 1) * 4 * H * H
    print(
        f"2-layer LSTM, {H} cells, {I} inputs, {args.precision} datapath, T = {T},"
        f" on {DEVICE} at {CLOCK:.0f} MHz, dsp-fraction {args.dsp_fraction} (ercc cost-model ESTIMATES)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lstm1024.onnx"
        build_model(path)
        header = (
            f"{'K':>3} {'compile s':>9} {'cycles/frame':>12} {'frames/s':>9} {'latency':>10} {'DSP':>10} {'BRAM18K':>11}"
            f" {'weight KiB':>10} {'mults/frame':>11} {'vs dense':>8} {'DSP-bound':>9} {'ratio':>7}"
        )
        print(header)
        slowest = {}
        for k in (8, 16):
            times, report = [], None
            for _ in range(args.runs):
                report, elapsed = compile_and_estimate(path, k, args.precision, args.dsp_fraction)
                times.append(elapsed)
            r = report
            slowest[k] = max(r["per_layer"], key=lambda s: s["cycles_per_frame"])
            print(
                f"{k:>3} {statistics.median(times):>9.1f} {r['cycles_per_frame']:>12,} {r['throughput_fps']:>9.1f}"
                f" {r['latency_cycles']:>10,}"
                f" {r['dsp']:>5}/{r['dsp_available']:<4} {r['bram18k']:>5}/{r['bram18k_available']:<5}"
                f" {r['weight_bytes'] / 1024:>10.0f} {r['mults_per_frame']:>11,}"
                f" {r['mults_per_frame'] / dense_mults:>8.3f} {r['dsp_bound_cycles_per_frame']:>9,}"
                f" {r['dsp_bound_ratio']:>7.4f}"
            )
    for k, stage in slowest.items():
        print(f"K = {k}: slowest stage '{stage['stage']}', {stage['cycles_per_frame']:,} cycles per frame")
    print(f"\ndense model: {dense_mults:,} real multiplications per frame")
    print("published (same part, 200 MHz): ESE 282 GOPS; C-LSTM 18.8x ESE's performance; E-RNN 37.4x ESE's energy efficiency")


if __name__ == "__main__":
    main()
