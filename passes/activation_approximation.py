"""`activation-approximation{segments=N}`: the smooth activations as piecewise-linear tables.

Every `rnn.activation` of a smooth function becomes a `fix.pwl` over N
segments (linear interpolation between the function's values at the
breakpoints; the asymptote outside the range):

| function | range, breakpoints | below | above |
|---|---|---|---|
| sigmoid | [-8, 8), uniform | 0 | 1 |
| tanh | [-4, 4), uniform | -1 | 1 |
| scaled_tanh a·tanh(b·x) | [-4/abs(b), 4/abs(b)), uniform | -a·sign(b) | a·sign(b) |
| elu (x < 0: a·(e^x - 1)) | [-8, 0), uniform | -a | identity (y = x) |
| softplus | [-8, 8), uniform | 0 | identity |
| softsign x/(1+abs(x)) | [-64, 64), uniform in 1 - 1/sqrt(1 + abs(x)) (dense near 0, where it curves) | -64/65 | 64/65 |

The breakpoints, values and slopes are `arith.constant` tables at the top of
the function, so the `quantize` pass (run after this one) gives them a weight
format like any other constant, and the emitter and the reference executor
(`ercc.interpreters`) evaluate the same fixed-point expression. Run it
before `quantize`; on float IR it gives a float32 piecewise-linear kernel.
The exactly piecewise-linear activations (relu, leaky_relu, thresholded_relu,
affine, hard_sigmoid) are left alone: the emitter computes them with their
alpha/beta as fixed-point constants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, Float32Type, ModuleOp, TensorType, f32
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from ercc.dialects import rnn
from ercc.dialects.fix import PWLOp
from ercc.dialects.rnn import ActivationKind
from ercc.numerics.intmath import is_power_of_two

SOFTSIGN_RANGE = 64.0
SMOOTH = (
    ActivationKind.SIGMOID,
    ActivationKind.TANH,
    ActivationKind.SCALED_TANH,
    ActivationKind.ELU,
    ActivationKind.SOFTPLUS,
    ActivationKind.SOFTSIGN,
)


@dataclass(frozen=True)
class Table:
    """A piecewise-linear approximation in float64; `above` None means identity above."""

    breaks: np.ndarray
    values: np.ndarray
    slopes: np.ndarray
    below: float
    above: float | None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        b = self.breaks
        s = np.clip(np.searchsorted(b, x, side="right") - 1, 0, len(self.values) - 1)
        y = self.values[s] + self.slopes[s] * (x - b[s])
        y = np.where(x >= b[-1], x if self.above is None else self.above, y)
        return np.where(x < b[0], self.below, y)


def function(kind: ActivationKind, alpha: float = 0.0, beta: float = 0.0) -> Callable[[np.ndarray], np.ndarray]:
    """The exact activation in float64 (the ONNX formulas of interpreters/rnn.py)."""
    return {
        ActivationKind.SIGMOID: lambda x: 1.0 / (1.0 + np.exp(-x)),
        ActivationKind.TANH: np.tanh,
        ActivationKind.SCALED_TANH: lambda x: alpha * np.tanh(beta * x),
        ActivationKind.ELU: lambda x: np.where(x >= 0, x, alpha * np.expm1(np.minimum(x, 0))),
        ActivationKind.SOFTPLUS: lambda x: np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))),
        ActivationKind.SOFTSIGN: lambda x: x / (1.0 + np.abs(x)),
    }[kind]


def pwl_table(kind: ActivationKind, segments: int, alpha: float = 0.0, beta: float = 0.0) -> Table:
    """The table of one smooth activation (see the module docstring)."""
    fn = function(kind, alpha, beta)
    below: float
    above: float | None
    if kind == ActivationKind.SOFTSIGN:
        # Spacing ∝ |f''|^-1/2 ∝ (1 + |x|)^3/2: uniform in w = 1 - 1/sqrt(1 + |x|).
        w = np.linspace(-1.0, 1.0, segments + 1) * (1.0 - 1.0 / np.sqrt(1.0 + SOFTSIGN_RANGE))
        breaks = np.sign(w) * (1.0 / (1.0 - np.abs(w)) ** 2 - 1.0)
        breaks[[0, -1]] = -SOFTSIGN_RANGE, SOFTSIGN_RANGE
        below, above = fn(breaks[[0, -1]]).tolist()
    else:
        lo, hi, below, above = {
            ActivationKind.SIGMOID: (-8.0, 8.0, 0.0, 1.0),
            ActivationKind.TANH: (-4.0, 4.0, -1.0, 1.0),
            ActivationKind.ELU: (-8.0, 0.0, -alpha, None),
            ActivationKind.SOFTPLUS: (-8.0, 8.0, 0.0, None),
        }.get(kind) or _scaled_tanh_range(alpha, beta)
        breaks = np.linspace(lo, hi, segments + 1)
    f = fn(breaks)
    return Table(breaks, f[:-1], np.diff(f) / np.diff(breaks), below, above)


def _scaled_tanh_range(alpha: float, beta: float) -> tuple[float, float, float, float]:
    if beta == 0:
        return -1.0, 1.0, 0.0, 0.0
    r, lim = 4.0 / abs(beta), alpha * float(np.sign(beta))
    return -r, r, -lim, lim


def max_error(kind: ActivationKind, segments: int, alpha: float = 0.0, beta: float = 0.0, points: int = 200001) -> float:
    """max |pwl(x) - f(x)| over a dense grid of twice the table's range (float64, before quantization)."""
    t = pwl_table(kind, segments, alpha, beta)
    lo, hi = t.breaks[0], t.breaks[-1]
    lo, hi = (lo, -lo) if hi == 0 else (lo, hi)
    x = np.linspace(2 * lo, 2 * hi, points)
    return float(np.max(np.abs(t(x) - function(kind, alpha, beta)(x))))


def _f32_const(values: np.ndarray) -> arith.ConstantOp:
    data = np.asarray(values, dtype=np.float32)
    return arith.ConstantOp(DenseIntOrFPElementsAttr.from_list(TensorType(f32, data.shape), data.tolist()))


@dataclass(frozen=True)
class ActivationApproximation(ModulePass):
    """Smooth activations → `fix.pwl` with `segments` segments (a power of two, 2..1024)."""

    name = "activation-approximation"

    segments: int = 32

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        n = self.segments
        if not 2 <= n <= 1024 or not is_power_of_two(n):
            raise PassFailedException(f"activation-approximation: segments must be a power of two in [2, 1024], got {n}")
        rewriter = Rewriter()
        for f in [o for o in op.walk() if isinstance(o, func.FuncOp)]:
            tables: dict[tuple, tuple] = {}
            for act in [o for o in f.walk() if isinstance(o, rnn.ActivationOp)]:
                kind = act.fn.activation
                if kind not in SMOOTH:
                    continue
                if not isinstance(act.input.type, TensorType) or not isinstance(
                    act.input.type.get_element_type(), Float32Type
                ):
                    raise PassFailedException("activation-approximation must run before quantize (f32 tensors only)")
                alpha, beta = act.fn.alpha.value.data, act.fn.beta.value.data
                key = (kind, alpha, beta)
                if key not in tables:
                    t = pwl_table(kind, n, alpha, beta)
                    consts = [_f32_const(t.breaks), _f32_const(t.values), _f32_const(t.slopes)]
                    for c, hint in zip(consts, ("breaks", "values", "slopes")):
                        c.result.name_hint = f"{kind.value}_{hint}"
                    rewriter.insert_op(consts, InsertPoint.at_start(f.body.block))
                    tables[key] = ([c.result for c in consts], t.below, t.above)
                (b, v, s), below, above = tables[key]
                new = PWLOp(act.input, b, v, s, below, above)
                for name, attr in act.attributes.items():
                    new.attributes[name] = attr
                rewriter.replace_op(act, new)
