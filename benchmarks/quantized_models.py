"""Quantization-aware models compiled with their own quantizers: the figures of docs/quantized-models.md.

    nice -n 10 python benchmarks/quantized_models.py        (~10 min on the shared 2-core machine)

Brevitas QuantLSTM classifiers (tests/brevitas_models.py: trained briefly on FSDD, exported to QONNX):
C simulation (integer datapath, the default) vs Brevitas's own forward, in LSBs of the output quantizer,
test accuracy of both, reference executor vs C simulation, and the cost model's estimates of the integer
datapath beside the float32 emulation (`--quant-datapath float`) of the same model.
Then the weight-only and onnxruntime forms against their oracles.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

import brevitas_models  # noqa: E402
import test_quantized_weight_only as wo  # noqa: E402

import ercc  # noqa: E402
from ercc.compiler.inputs import per_sequence, stack_outputs  # noqa: E402
from ercc.interpreters.reference import ReferenceExecutor  # noqa: E402

VARIANTS = [(8, True, 1, "float"), (4, True, 1, "float"), (8, False, 1, "float"), (8, False, 2, "float"),
            (8, True, 2, "float"), (4, False, 2, "float"), (4, True, 2, "float"),
            (8, True, 1, "fixed_point"), (8, False, 2, "fixed_point"),
            (8, True, 1, "float", {"gate_acc": 16, "cell_state": 16}), (8, True, 1, "per_channel"),
            (8, True, 1, "float", None, True), (8, False, 2, "float", None, True)]


QUANTIZER_NAMES = {"float": "", "fixed_point": ", power-of-two scales", "per_channel": ", per-channel weight scales"}


def brevitas_row(root: Path, bits: int, batch_first: bool, layers: int, quantizers: str,
                 widths: dict[str, int] | None = None, bidirectional: bool = False) -> str:
    tag = "".join(f"_{q}{b}" for q, b in sorted((widths or {}).items())) + ("_bi" if bidirectional else "")
    case = brevitas_models.build(root / f"q{bits}_{batch_first}_{layers}_{quantizers}{tag}.onnx", bits=bits,
                                 batch_first=batch_first, layers=layers, quantizers=quantizers, widths=widths,
                                 bidirectional=bidirectional)
    compiled = ercc.compile(str(case.path), record_ir=False)  # no precision option: its own quantizers
    emulated = ercc.compile(str(case.path), record_ir=False, quant_datapath="float")
    scans = [op for op in compiled.imported.module.walk() if op.name == "rnn.scan"]
    integer = sum("ercc.datapath" not in s.attributes for s in scans)
    name = compiled.imported.inputs[0].name
    logits, last = compiled.predict({name: case.x_test}).values()
    scale = list(compiled.imported.quantized.layers.values())[-1]["output"].scale
    lsb = np.abs(last - case.last) / scale
    n = 32
    x = case.x_test[:n] if batch_first else case.x_test[:, :n]
    specs = compiled.imported.inputs
    ref = ReferenceExecutor(compiled.imported.module).run_batch([per_sequence(s, x, n) for s in specs])
    ref = [stack_outputs(s, r) for s, r in zip(compiled.imported.outputs, ref)]
    csim = list(compiled.predict({name: x}).values())
    mismatches = sum(int((r != c).sum()) for r, c in zip(ref, csim))
    acc_b = (case.logits.argmax(1) == case.labels).mean()
    acc_e = (logits.argmax(1) == case.labels).mean()
    layout = "batch first" if batch_first else "seq first"
    e, f = compiled.estimate, emulated.estimate
    return (
        f"| {bits} bit{QUANTIZER_NAMES[quantizers]}"
        f"{', 16-bit accumulators and cell state' if widths else ''}{', bidirectional' if bidirectional else ''},"
        f" {layout},"
        f" {layers} layer{'s' if layers > 1 else ''} | {integer} of {len(scans)} |"
        f" {lsb.max():.0f} LSB ({int((lsb > 0).sum())} of {lsb.size} values differ) | {acc_b:.3f} / {acc_e:.3f}"
        f" | {mismatches} mismatches | {e['dsp']} / {f['dsp']} | {e['lut']:,} / {f['lut']:,}"
        f" | {e['throughput_fps']:,.0f} / {f['throughput_fps']:,.0f} | {e['weight_bytes']:,} / {f['weight_bytes']:,} |"
    )


def weight_only_rows(root: Path) -> list[str]:
    import onnxruntime
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    rows = []
    rng = np.random.default_rng(0)
    for form in ("qcdq", "qonnx"):
        for batch_first in (False, True):
            for per_channel in (False, True):
                path = root / f"{form}_{batch_first}_{per_channel}.onnx"
                patched = root / f"{form}_{batch_first}_{per_channel}_patched.onnx"
                module = wo._brevitas_weight_only(path, form, batch_first, per_channel)
                wo._patch_squeeze(path, patched)
                compiled = ercc.compile(str(patched), record_ir=False)  # no precision option: its own quantizers
                x = rng.standard_normal((8, wo.T, wo.I) if batch_first else (wo.T, 8, wo.I)).astype(np.float32)
                name = compiled.imported.inputs[0].name
                y = next(iter(compiled.predict({name: x}).values()))
                with torch.no_grad():
                    err_b = np.abs(y - module(torch.from_numpy(x))[0].numpy()).max()
                err_o = "—"
                if form == "qcdq" and not batch_first:
                    s = onnxruntime.InferenceSession(str(patched), providers=["CPUExecutionProvider"])
                    ort_y = np.concatenate([s.run(None, {name: x[:, b : b + 1]})[0] for b in range(8)], axis=1)
                    err_o = f"{np.abs(y - ort_y).max():.1e}"
                rows.append(
                    f"| {form}, {'batch' if batch_first else 'seq'} first, per {'channel' if per_channel else 'tensor'}"
                    f" | vs Brevitas {err_b:.1e} | vs onnxruntime {err_o} |"
                )
    for per_channel in (False, True):
        fp, q = root / "lstm.onnx", root / f"lstm_dq_{per_channel}.onnx"
        wo._float_lstm(fp)
        quantize_dynamic(str(fp), str(q), weight_type=QuantType.QInt8, per_channel=per_channel)
        compiled = ercc.compile(str(q), record_ir=False)  # no precision option: its own quantizers
        x = rng.standard_normal((wo.T, 8, wo.I)).astype(np.float32)
        got = compiled.predict({"X": x})
        ort_y, ort_h = onnxruntime.InferenceSession(str(q), providers=["CPUExecutionProvider"]).run(None, {"X": x})
        err = max(np.abs(got["Y"] - ort_y).max(), np.abs(got["Y_h"] - ort_h).max())
        rows.append(f"| DynamicQuantizeLSTM, per {'channel' if per_channel else 'tensor'} | vs onnxruntime {err:.1e} | |")
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print("| variant | layers on integer codes | max |csim - Brevitas| of the QuantLSTM output"
              " | test accuracy Brevitas / ercc | reference vs csim | DSP integer / float32 (estimate)"
              " | LUT integer / float32 (estimate) | frames/s integer / float32 (estimate) | weight bytes integer / float32 |")
        print("|---|---|---|---|---|---|---|---|---|")
        for variant in VARIANTS:
            print(brevitas_row(root, *variant), flush=True)
        print()
        print("| form | error | error |")
        print("|---|---|---|")
        for row in weight_only_rows(root):
            print(row, flush=True)


if __name__ == "__main__":
    main()
