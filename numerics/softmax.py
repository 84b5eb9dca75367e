"""Softmax and log-softmax in fixed point: one design shared by the emitter and the reference.

For a row x of n values in format X = ap_fixed<W, I> (the input's):

1. m = max_k x_k (exact comparisons);
2. d_k = x_k - m, assigned to X (saturates far below the max, where exp is 0);
3. e_k = exp(d_k) by a piecewise-linear table on [-12, 0) (64 segments, breakpoints
   uniform in e^(d/2), i.e. dense near 0 where exp curves most; 0 below, 1 at 0)
   into E = ap_fixed<W, 2>;
4. s = sum_k e_k in S = ap_fixed<W + g, 2 + g>, g = ceil(log2 n): exact, and
   1 <= s <= n because the max contributes exactly 1;
5. softmax: r = 1/s by a table on [1, max(n, 2)] (32 geometric segments) into
   E, and y_k = e_k * r (exact product) assigned to the output format;
   log-softmax: l = ln s by a table on the same breakpoints into
   ap_fixed<W, I_l> (I_l the fewest integer bits for ln n), y_k = d_k - l.

No division, no exp/log unit: two small tables and multipliers. Every table
entry is quantized to a W-bit format with the fewest integer bits for its
largest magnitude (breakpoints: X for exp, S for 1/s and ln s). A table
evaluation is `fix.pwl`'s: y = values[j] + slopes[j] * (v - breaks[j]) exact,
with j the last breakpoint <= v, assigned once. Measured error: docs/fixed-point.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ercc.numerics.fixed import FixedFormat, fitting_format, from_float, requantize

EXP_RANGE, EXP_SEGMENTS, SUM_SEGMENTS = 12.0, 64, 32


@dataclass(frozen=True)
class Table:
    """A piecewise-linear table as raw integers: breaks[N+1], values[N], slopes[N] and their formats."""

    breaks: np.ndarray
    breaks_fmt: FixedFormat
    values: np.ndarray
    values_fmt: FixedFormat
    slopes: np.ndarray
    slopes_fmt: FixedFormat
    below: float
    above: float

    @property
    def segments(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class Design:
    """The formats and tables of one softmax / log-softmax row of length n."""

    x: FixedFormat
    e: FixedFormat
    s: FixedFormat
    f: FixedFormat  # 1/s (softmax) or ln s (log-softmax)
    exp: Table
    fn: Table


def _fit(values: np.ndarray, like: FixedFormat) -> FixedFormat:
    """`like`'s width and modes, the fewest integer bits that hold every value."""
    return fitting_format(float(np.max(np.abs(values))), like.width, like.rnd, like.sat)


def _table(breaks: np.ndarray, fn, breaks_fmt: FixedFormat, like: FixedFormat, below: float, above: float) -> Table:
    f = fn(breaks)
    values, slopes = f[:-1], np.diff(f) / np.diff(breaks)
    vf, sf = _fit(values, like), _fit(slopes, like)
    return Table(
        from_float(breaks, breaks_fmt), breaks_fmt, from_float(values, vf), vf, from_float(slopes, sf), sf, below, above
    )


def design(x: FixedFormat, n: int, log: bool) -> Design:
    """The softmax (log=False) or log-softmax design for rows of n values of format x."""
    w = x.width
    e = FixedFormat(w, 2, True, x.rnd, x.sat)
    g = max(1, math.ceil(math.log2(n)))
    s = FixedFormat(w + g, 2 + g, True, x.rnd, x.sat)
    exp_breaks = 2.0 * np.log(np.linspace(math.exp(-EXP_RANGE / 2), 1.0, EXP_SEGMENTS + 1))
    exp_breaks[-1] = 0.0
    exp = _table(exp_breaks, np.exp, x, e, 0.0, 1.0)
    top = float(max(n, 2))
    sum_breaks = np.geomspace(1.0, top, SUM_SEGMENTS + 1)
    if log:
        f = _fit(np.array([math.log(top)]), x)
        fn = _table(sum_breaks, np.log, s, f, 0.0, math.log(top))
    else:
        f = e
        fn = _table(sum_breaks, lambda v: 1.0 / v, s, e, 1.0, 1.0 / top)
    return Design(x, e, s, f, exp, fn)


def pwl(v: np.ndarray, v_fmt: FixedFormat, t: Table, out: FixedFormat) -> np.ndarray:
    """Raw `out` values of the table at raw v (exact right-hand side, one assignment)."""
    v = np.asarray(v, dtype=np.int64)
    fb, fv, fval, fs = t.breaks_fmt.frac, v_fmt.frac, t.values_fmt.frac, t.slopes_fmt.frac
    fd = max(fv, fb)
    vd, bd = v << (fd - fv), t.breaks << (fd - fb)
    j = np.clip(np.searchsorted(bd, vd, side="right") - 1, 0, t.segments - 1)
    prod = t.slopes[j] * (vd - bd[j])
    f = max(fval, fs + fd)
    total = (t.values[j] << (f - fval)) + (prod << (f - fs - fd))
    y = requantize(total, f, out)
    y = np.where(vd >= bd[-1], from_float(np.float64(t.above), out), y)
    return np.where(vd < bd[0], from_float(np.float64(t.below), out), y)


def run(x: np.ndarray, d: Design, out: FixedFormat, log: bool) -> np.ndarray:
    """Raw outputs for raw inputs x of shape (rows, n) (the reduction axis last)."""
    x = np.asarray(x, dtype=np.int64)
    m = x.max(axis=-1, keepdims=True)
    diff = requantize(x - m, d.x.frac, d.x)
    e = pwl(diff, d.x, d.exp, d.e)
    s = requantize(e.sum(axis=-1, keepdims=True), d.e.frac, d.s)
    f = pwl(s, d.s, d.fn, d.f)
    if log:
        fd = max(d.x.frac, d.f.frac)
        return requantize((diff << (fd - d.x.frac)) - (f << (fd - d.f.frac)), fd, out)
    return requantize(e * f, d.e.frac + d.f.frac, out)
