"""The quantization report of a fixed-point kernel (`--precision fixed --report r.json`).

The model is compiled once more with the module recorded before
`activation-approximation` (the float kernel), after it (float, with the same
piecewise-linear activations) and after `quantize`. The reference executor
runs the last two on the same sequences (the `--calib` data, else 8 N(0, 1)
sequences, seed 0) and records every value; `quantize` keeps the op structure,
so values pair by op position. Per tensor: its format, the observed range
max |float value| and the SQNR of the fixed values against the float ones
(quantization alone: both use the same tables). The output error compares the
fixed kernel with the float kernel (quantization and PWL approximation).
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue

from ercc.compiler.inputs import load_sequences
from ercc.compiler.pipeline import CompileOptions, compile_model
from ercc.errors import ErccError
from ercc.interpreters.reference import Observer, ReferenceExecutor
from ercc.numerics.fixed import to_float
from ercc.numerics.values import Fixed

_CONSTANTS = ("arith.constant", "fix.const", "circ.const", "circ.freq_const")


def _keys(module: ModuleOp) -> dict[SSAValue, tuple[int, str, int, str]]:
    """Position-stable keys of every computed value: (op index, 'result'/'arg', index, op name)."""
    keys = {}
    for i, op in enumerate(module.walk()):
        if op.name in _CONSTANTS:
            continue
        for r in op.results:
            keys[r] = (i, "result", r.index, op.name)
        for region in op.regions:
            for block in region.blocks:
                for a in block.args:
                    keys[a] = (i, "arg", a.index, op.name)
    return keys


def _record(module: ModuleOp, xs: list[np.ndarray]):
    """Every value of every sequence (flattened, concatenated), its format, and the outputs."""
    keys = _keys(module)
    values: dict[tuple, list[np.ndarray]] = defaultdict(list)
    formats: dict[tuple, str] = {}

    def observe(v: SSAValue, value) -> None:
        key = keys.get(v)
        if key is None:
            return
        if isinstance(value, Fixed):
            formats[key] = value.fmt.cpp()
            values[key].append(to_float(value.raw, value.fmt).ravel())
        elif isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
            values[key].append(np.asarray(value, dtype=np.float64).ravel())

    outs = ReferenceExecutor(module, listeners=[Observer(observe)]).run_batch(xs)
    return {k: np.concatenate(v) for k, v in values.items()}, formats, outs


def _sqnr(ref: np.ndarray, got: np.ndarray) -> float | None:
    """10 log10(signal / noise) in dB; None when exact."""
    noise = float(np.sum((got - ref) ** 2))
    signal = float(np.sum(ref**2))
    if noise == 0:
        return None
    return 10 * math.log10(signal / noise) if signal > 0 else -math.inf


def _inputs(imported, options: CompileOptions) -> tuple[list[np.ndarray], str]:
    if options.calib is not None:
        return load_sequences(options.calib, imported.inputs, "calibration"), f"--calib {options.calib}"
    if any(getattr(s, "dtype", "float32") != "float32" for s in imported.inputs):
        raise ErccError("the quantization report of a model with integer inputs (sequence_lens) needs --calib")
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((8, *s.shape)).astype(np.float32) for s in imported.inputs]
    return xs, "8 random N(0, 1) sequences (seed 0)"


def quantization_report(model: str | os.PathLike, options: CompileOptions) -> dict[str, Any]:
    """The report as a JSON-ready dict: {"inputs", "tensors": [...], "outputs": [...]}."""
    if options.precision != "fixed":
        raise ErccError("the quantization report needs --precision fixed")
    stages: dict[str, ModuleOp] = {}
    last: list[ModuleOp] = []

    def keep(pass_, module: ModuleOp) -> None:
        if pass_ is not None and pass_.name == "activation-approximation":
            stages["float"] = last[0]
            stages["pwl"] = module.clone()
        elif pass_ is not None and pass_.name == "quantize":
            stages["fixed"] = module.clone()
        last[:] = [module.clone()]

    imported, _ = compile_model(model, options, after_each=keep)
    xs, source = _inputs(imported, options)
    pwl_values, _, _ = _record(stages["pwl"], xs)
    fixed_values, formats, fixed_out = _record(stages["fixed"], xs)
    float_out = ReferenceExecutor(stages["float"]).run_batch(xs)
    tensors = []
    for key in sorted(formats):
        index, kind, number, op_name = key
        ref, got = pwl_values.get(key), fixed_values[key]
        if ref is None or ref.shape != got.shape:
            continue
        sqnr = _sqnr(ref, got)
        tensors.append({
            "tensor": f"#{index} {op_name} {kind} {number}",
            "format": formats[key],
            "range": float(np.max(np.abs(ref))) if ref.size else 0.0,
            "sqnr_db": None if sqnr is None else round(sqnr, 2),
        })
    names = [p.name for p in imported.outputs]
    outputs = []
    for name, f, q in zip(names, float_out, fixed_out):
        err = np.asarray(q, np.float64) - np.asarray(f, np.float64)
        outputs.append({"output": name, "max_abs_error": float(np.max(np.abs(err))), "rms_error": float(np.sqrt(np.mean(err**2)))})
    return {"inputs": source, "tensors": tensors, "outputs": outputs}


def format_quantization_table(report: dict[str, Any]) -> str:
    """The report as a plain-text table."""
    rows = [f"quantization (on {report['inputs']}; SQNR of fixed vs float with the same activation tables)"]
    width = max([len(t["tensor"]) for t in report["tensors"]] + [6])
    fwidth = max([len(t["format"]) for t in report["tensors"]] + [6])
    rows.append(f"{'tensor':<{width}}  {'format':<{fwidth}}  {'range':>10}  {'SQNR dB':>8}")
    for t in report["tensors"]:
        sqnr = "exact" if t["sqnr_db"] is None else f"{t['sqnr_db']:.1f}"
        rows.append(f"{t['tensor']:<{width}}  {t['format']:<{fwidth}}  {t['range']:>10.4g}  {sqnr:>8}")
    for o in report["outputs"]:
        rows.append(f"output {o['output']}: max |fixed - float| {o['max_abs_error']:.3g}, RMS {o['rms_error']:.3g}")
    return "\n".join(rows)
