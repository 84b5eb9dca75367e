"""Calibration (`--calib in.npz`): per-tensor ranges observed by ercc's own float reference.

The driver runs it between `activation-approximation` and `quantize`
(`compiler/pipeline.py`): `calibrate(module, inputs)` runs the float module
through `ReferenceExecutor` on the calibration sequences, a `ValueListener`
records max |value| of every f32 tensor, and the ranges become the
`ercc.range` / `ercc.arg_range` attributes `quantize` reads
(`passes/calibrated_ranges.py`). A recurrent state (the scan's initial value,
body argument, yielded value and final result must share one type) gets the
largest range of its group.

`saturation_counts(module, inputs)` runs a quantized module and counts, per
value, the elements at its format's extreme raw values: 0 everywhere means
nothing saturated.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, FloatAttr, ModuleOp, TensorType, f64
from xdsl.ir import SSAValue

from ercc.compiler.inputs import load_sequences
from ercc.dialects import rnn
from ercc.interpreters.reference import Observer, ReferenceExecutor
from ercc.numerics.values import Fixed
from ercc.passes.calibrated_ranges import ARG_RANGE, RANGE


def observe_ranges(module: ModuleOp, inputs: list[np.ndarray]) -> dict[SSAValue, float]:
    """max |value| of every float tensor over N sequences (each input shaped (N, *port shape))."""
    ranges: dict[SSAValue, float] = defaultdict(float)

    def record(key: SSAValue, value) -> None:
        if isinstance(value, np.ndarray) and value.size and np.issubdtype(value.dtype, np.floating):
            ranges[key] = max(ranges[key], float(np.max(np.abs(value))))

    ReferenceExecutor(module, listeners=[Observer(record)]).run_batch(inputs)
    return dict(ranges)


def _state_groups(module: ModuleOp, ranges: dict[SSAValue, float]) -> None:
    """Give every value of a recurrent state group the group's largest range (union-find)."""
    parent: dict[SSAValue, SSAValue] = {}

    def find(v: SSAValue) -> SSAValue:
        while parent.get(v, v) is not v:
            v = parent[v]
        return v

    for scan in module.walk():
        if isinstance(scan, rnn.ScanOp):
            args = scan.body.block.args[1:]
            yielded = scan.body.block.last_op.operands
            for group in zip(scan.init, args, yielded, scan.finals):
                root = find(group[0])
                for v in group[1:]:
                    r = find(v)
                    if r is not root:
                        parent[r] = root
    best: dict[SSAValue, float] = defaultdict(float)
    for v in list(parent) + [find(v) for v in parent]:
        best[find(v)] = max(best[find(v)], ranges.get(v, 0.0))
    for v in list(parent):
        ranges[v] = best[find(v)]
    for v in {find(v) for v in parent}:
        ranges[v] = best[v]


def _floats(values: list[float]) -> ArrayAttr:
    return ArrayAttr([FloatAttr(v, f64) for v in values])


def annotate(module: ModuleOp, ranges: dict[SSAValue, float]) -> None:
    """Write the ranges as `ercc.range` / `ercc.arg_range` attributes (see the module docstring)."""
    _state_groups(module, ranges)
    for op in module.walk():
        if op.results and any(r in ranges for r in op.results):
            op.attributes[RANGE] = _floats([ranges.get(r, 0.0) for r in op.results])
        if op.regions and op.regions[0].blocks:
            args = op.regions[0].blocks[0].args
            if any(a in ranges for a in args):
                op.attributes[ARG_RANGE] = _floats([ranges.get(a, 0.0) for a in args])


def calibrate(module: ModuleOp, inputs: list[np.ndarray]) -> None:
    """Observe the float module on the calibration sequences and annotate it."""
    annotate(module, observe_ranges(module, inputs))


def calibrate_from_file(module: ModuleOp, path: str, imported) -> None:
    """`--calib`: the .npz's arrays keyed by graph input name (like `ercc simulate --inputs`)."""
    calibrate(module, load_sequences(path, imported.inputs, "calibration"))


def saturation_counts(module: ModuleOp, inputs: list[np.ndarray]) -> dict[str, int]:
    """Elements at their format's min or max raw value, per value (named by op and result index)."""
    names = _value_names(module)
    counts: dict[str, int] = defaultdict(int)

    def record(key: SSAValue, value) -> None:
        if isinstance(value, Fixed) and key in names:
            counts[names[key]] += int(np.sum((value.raw == value.fmt.raw_max) | (value.raw == value.fmt.raw_min)))

    ReferenceExecutor(module, listeners=[Observer(record)]).run_batch(inputs)
    return dict(counts)


def _value_names(module: ModuleOp) -> dict[SSAValue, str]:
    """A readable, position-stable name per computed tensor value: `#op-index op.name:result`."""
    names: dict[SSAValue, str] = {}
    for i, op in enumerate(module.walk()):
        if isinstance(op, func.FuncOp):
            for a in op.body.block.args:
                names[a] = f"input {a.index}"
            continue
        if op.name in ("arith.constant", "fix.const", "circ.const", "circ.freq_const"):
            continue
        for r in op.results:
            if isinstance(r.type, TensorType):
                names[r] = f"#{i} {op.name}" + (f":{r.index}" if len(op.results) > 1 else "")
    return names
