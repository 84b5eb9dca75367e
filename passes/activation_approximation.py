"""`activation-approximation{segments=N}`: sigmoid and tanh as piecewise-linear tables.

Every `rnn.activation <sigmoid>` / `<tanh>` becomes a `fix.pwl` over N uniform
segments (linear interpolation between the function's values at the
breakpoints; the asymptote outside the range):

| function | range | outside |
|---|---|---|
| sigmoid | [-8, 8) | 0 below, 1 above |
| tanh | [-4, 4) | -1 below, 1 above |

The breakpoints, values and slopes are `arith.constant` tables at the top of
the function, so the `quantize` pass (run after this one) gives them a weight
format like any other constant, and the emitter and the reference executor
(`ercc.numerics.reference`) evaluate the same fixed-point expression. Run it
before `quantize`; on float IR it gives a float32 piecewise-linear kernel.
The other activations are already piecewise linear (relu, hard_sigmoid, ...)
or are left alone.
"""

from __future__ import annotations

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

# kind -> (function, lo, hi, below, above)
_TABLES = {
    ActivationKind.SIGMOID: (lambda x: 1.0 / (1.0 + np.exp(-x)), -8.0, 8.0, 0.0, 1.0),
    ActivationKind.TANH: (np.tanh, -4.0, 4.0, -1.0, 1.0),
}


def pwl_tables(kind: ActivationKind, segments: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """(breaks[N+1], values[N], slopes[N], below, above) in float64."""
    fn, lo, hi, below, above = _TABLES[kind]
    breaks = np.linspace(lo, hi, segments + 1)
    f = fn(breaks)
    slopes = np.diff(f) / np.diff(breaks)
    return breaks, f[:-1], slopes, below, above


def pwl_eval(x: np.ndarray, breaks, values, slopes, below: float, above: float) -> np.ndarray:
    """The piecewise-linear function in float64 (for error measurements)."""
    x = np.asarray(x, dtype=np.float64)
    s = np.clip(np.searchsorted(breaks, x, side="right") - 1, 0, len(values) - 1)
    y = values[s] + slopes[s] * (x - breaks[s])
    return np.where(x < breaks[0], below, np.where(x >= breaks[-1], above, y))


def max_error(kind: ActivationKind, segments: int, points: int = 200001) -> float:
    """max |pwl(x) - f(x)| over a dense grid of [2 lo, 2 hi] (float64, before quantization)."""
    fn, lo, hi, *_ = _TABLES[kind]
    x = np.linspace(2 * lo, 2 * hi, points)
    return float(np.max(np.abs(pwl_eval(x, *pwl_tables(kind, segments)) - fn(x))))


def _f32_const(values: np.ndarray) -> arith.ConstantOp:
    data = np.asarray(values, dtype=np.float32)
    return arith.ConstantOp(DenseIntOrFPElementsAttr.from_list(TensorType(f32, data.shape), data.tolist()))


@dataclass(frozen=True)
class ActivationApproximation(ModulePass):
    """sigmoid / tanh → `fix.pwl` with `segments` uniform segments (a power of two, 2..1024)."""

    name = "activation-approximation"

    segments: int = 32

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        n = self.segments
        if n < 2 or n > 1024 or n & (n - 1):
            raise PassFailedException(f"activation-approximation: segments must be a power of two in [2, 1024], got {n}")
        rewriter = Rewriter()
        for f in [o for o in op.walk() if isinstance(o, func.FuncOp)]:
            tables: dict[ActivationKind, tuple] = {}
            for act in [o for o in f.walk() if isinstance(o, rnn.ActivationOp)]:
                kind = act.fn.activation
                if kind not in _TABLES:
                    continue
                if not isinstance(act.input.type, TensorType) or not isinstance(
                    act.input.type.get_element_type(), Float32Type
                ):
                    raise PassFailedException("activation-approximation must run before quantize (f32 tensors only)")
                if kind not in tables:
                    breaks, values, slopes, below, above = pwl_tables(kind, n)
                    consts = [_f32_const(breaks), _f32_const(values), _f32_const(slopes)]
                    for c, hint in zip(consts, ("breaks", "values", "slopes")):
                        c.result.name_hint = f"{kind.value}_{hint}"
                    rewriter.insert_op(consts, InsertPoint.at_start(f.body.block))
                    tables[kind] = ([c.result for c in consts], below, above)
                (b, v, s), below, above = tables[kind]
                new = PWLOp(act.input, b, v, s, below, above)
                for key, attr in act.attributes.items():
                    new.attributes[key] = attr
                rewriter.replace_op(act, new)
