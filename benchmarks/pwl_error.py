"""Max error of every fixed-point activation, as the kernel computes it, per segment count.

For each activation (ONNX default alpha/beta) and N segments, a one-op kernel
`y = act(x)` goes through `activation-approximation{segments=N}` and the
default 16-bit `quantize` (x and y `ap_fixed<16,6,AP_RND,AP_SAT>`, tables in
16-bit weight formats); the reference executor (bit-exact with csim) runs it on
every representable x, and the error is max |y - f(x)| against the float64
function of that x. The float64 PWL error before quantization is printed too.

    python benchmarks/pwl_error.py        # ~1 minute
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType, f32

from ercc.compiler.pipeline import make_context, run_passes
from ercc.dialects import rnn
from ercc.dialects.rnn import ACTIVATION_DEFAULTS, ActivationKind
from ercc.interpreters.reference import ReferenceExecutor
from ercc.numerics.fixed import FixedFormat, to_float
from ercc.passes.activation_approximation import SMOOTH, ActivationApproximation, function, max_error
from ercc.passes.quantize import Quantize

SEGMENTS = [8, 16, 32, 64, 128, 256]
ACT = FixedFormat(16, 6, True, "AP_RND", "AP_SAT")
_EXACT_PWL = {
    ActivationKind.RELU: lambda x, a, b: np.maximum(x, 0),
    ActivationKind.LEAKY_RELU: lambda x, a, b: np.where(x >= 0, x, a * x),
    ActivationKind.THRESHOLDED_RELU: lambda x, a, b: np.where(x > a, x, 0),
    ActivationKind.AFFINE: lambda x, a, b: a * x + b,
    ActivationKind.HARD_SIGMOID: lambda x, a, b: np.clip(a * x + b, 0, 1),
}


def kernel_error(kind: ActivationKind, segments: int) -> float:
    """max |kernel(x) - f(x)| over every x of the 16-bit activation format."""
    x = to_float(np.arange(ACT.raw_min, ACT.raw_max + 1), ACT)
    t = TensorType(f32, [x.size])
    body = func.FuncOp("act", ((t,), (t,)))
    act = rnn.ActivationOp(rnn.ActivationAttr(kind), body.args[0])
    body.body.block.add_ops([act, func.ReturnOp(act.result)])
    module = ModuleOp([body])
    run_passes(make_context(), module, [ActivationApproximation(segments=segments), Quantize()])
    (y,) = ReferenceExecutor(module).run([x.astype(np.float32)])
    a, b = ACTIVATION_DEFAULTS[kind]
    exact = function(kind, a, b)(x) if kind in SMOOTH else _EXACT_PWL[kind](x, np.float64(np.float32(a)), np.float64(np.float32(b)))
    return float(np.max(np.abs(y.astype(np.float64) - exact)))


def main() -> None:
    print(f"max |kernel(x) - f(x)| over every x of {ACT.cpp()} (ONNX default alpha/beta)\n")
    print("| activation | " + " | ".join(f"N = {n}" for n in SEGMENTS) + " |")
    print("|---" * (len(SEGMENTS) + 1) + "|")
    for kind in SMOOTH:
        print(f"| {kind.value} | " + " | ".join(f"{kernel_error(kind, n):.2e}" for n in SEGMENTS) + " |")
    print("\nexactly piecewise-linear (no table; alpha/beta quantized):\n")
    print("| activation | max error |\n|---|---|")
    for kind in _EXACT_PWL:
        print(f"| {kind.value} | {kernel_error(kind, SEGMENTS[0]):.2e} |")
    print("\nfloat64 PWL before quantization (max over twice the table range):\n")
    print("| activation | " + " | ".join(f"N = {n}" for n in SEGMENTS) + " |")
    print("|---" * (len(SEGMENTS) + 1) + "|")
    for kind in SMOOTH:
        a, b = ACTIVATION_DEFAULTS[kind]
        print(f"| {kind.value} | " + " | ".join(f"{max_error(kind, n, a, b):.2e}" for n in SEGMENTS) + " |")


if __name__ == "__main__":
    main()
