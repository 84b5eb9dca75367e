"""Straight-line real FFTs: the one program the emitter prints and the reference executes.

A block's real FFT (`circ.rfft`) and inverse real FFT (`circ.irfft`) are
written out as radix-2 decimation-in-time butterflies, fully unrolled, with
constant twiddles. The program is built symbolically, which gives the
real-FFT savings for free:

* the input of `rfft` is real, so first-stage butterflies are real adds, and
  the imaginary parts of bins 0 and k/2 are structurally zero;
* trivial twiddles (1 and ∓i) become adds, subtracts and swaps, no multiply;
* values only needed for bins above k/2 (the conjugate half) or for the
  imaginary part of `irfft`'s output are dead and removed;
* equal (or negated) linear forms are computed once.

Every computed value is an exact linear combination of earlier values with
coefficients ±1 or ±twiddle, assigned once to its stage's number format
(`quantize` chooses the formats; float kernels compute in float32). The
values of stage L = log2 k are the outputs, assigned to the result type; for
`irfft` the 1/k of the inverse transform is folded into that assignment
(exact in fixed point: a shift of the binary point).

Twiddle magnitudes are cos(2πj/k) for 0 < j < k/4 (a value's sin is the cos
of another j), so one table entry serves every sign and quadrant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from ercc.numerics.fixed import FixedFormat, from_float, requantize
from ercc.numerics.intmath import is_power_of_two

ONE = -1
"""Twiddle index of the exact coefficient 1."""


@dataclass(frozen=True)
class Term:
    """sign · twiddle · value: `tw` indexes `Plan.twiddles` or is ONE."""

    value: int
    sign: int
    tw: int = ONE


@dataclass(frozen=True)
class Computed:
    """A value of butterfly stage `stage` (1-based): the exact sum of its terms, assigned once."""

    stage: int
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Plan:
    """Values 0..inputs-1 are the inputs; `computed[i]` is value `inputs + i`.

    `outputs[j]` is the value written to output j, or None for a structural
    zero. Outputs are computed values of the last stage.
    """

    k: int
    inverse: bool
    inputs: int
    computed: tuple[Computed, ...]
    outputs: tuple[int | None, ...]
    twiddles: tuple[float, ...]

    @property
    def stages(self) -> int:
        return int(math.log2(self.k))

    @property
    def out_shift(self) -> int:
        """The output is the last stage's sum times 2**-out_shift (1/k for the inverse)."""
        return self.stages if self.inverse else 0

    def multiplies(self) -> int:
        """Real multiplications, with a product shared by the values that use it (as HLS does)."""
        return len({(t.value, t.tw) for c in self.computed for t in c.terms if t.tw != ONE})

    def additions(self) -> int:
        """Real additions and subtractions."""
        return sum(len(c.terms) - 1 for c in self.computed)


# A linear form: {(value, tw): signed multiplicity}.
_Form = dict[tuple[int, int], int]


def _twiddle(m: int, k: int, inverse: bool) -> tuple[tuple[int, int], tuple[int, int]]:
    """exp(∓2πi m/k) as (sign, tw) pairs for (cos, sin); tw ONE for ±1, None-like sign 0 for 0."""
    q = k // 4
    s = 1 if inverse else -1  # sin(∓2πm/k) for m in [0, k/2)
    if m == 0:
        return (1, ONE), (0, ONE)
    if 4 * m == k:
        return (0, ONE), (s, ONE)
    # cos(2πm/k) = +cos(2πm/k) for m < k/4 and -cos(2π(k/2-m)/k) above; |sin| = cos(2π|k/4-m|/k).
    cos = (1, m) if m < q else (-1, k // 2 - m)
    sin = (s, abs(q - m))
    return cos, sin


def _scaled(form: _Form, sign: int, tw: int) -> _Form:
    """sign·tw·form, where form's coefficients are all ONE (values of the previous stage)."""
    out: _Form = {}
    if sign == 0:
        return out
    for (v, t), c in form.items():
        assert t == ONE
        out[(v, tw)] = c * sign
    return out


def _plus(*forms: _Form) -> _Form:
    out: _Form = {}
    for f in forms:
        for key, c in f.items():
            out[key] = out.get(key, 0) + c
    return {key: c for key, c in out.items() if c}


def _neg(form: _Form) -> _Form:
    return {key: -c for key, c in form.items()}


@cache
def build(k: int, inverse: bool) -> Plan:
    """The straight-line program of a length-k real FFT (`inverse`: real inverse FFT, unscaled sums).

    Forward: inputs x[0..k-1], outputs interleaved (re, im) of bins 0..k/2.
    Inverse: inputs interleaved (re, im) of bins 0..k/2 (the imaginary parts
    of bins 0 and k/2 are ignored, as numpy's irfft does), outputs x[0..k-1].
    """
    if not is_power_of_two(k):
        raise ValueError(f"FFT length must be a power of two, got {k}")
    if k == 1:  # the identity: one copy into the result (the imaginary part is zero)
        copy = (Computed(0, (Term(0, 1),)),)
        return Plan(1, inverse, 2 if inverse else 1, copy, (2,) if inverse else (1, None), ())
    stages = int(math.log2(k))
    half = k // 2
    # Complex inputs as (re form, im form) in natural order.
    if inverse:
        n_in = 2 * (half + 1)
        def inp(i: int) -> _Form:
            return {(i, ONE): 1}
        x = []
        for m in range(k):
            src = m if m <= half else k - m
            re = inp(2 * src)
            im = {} if src in (0, half) else inp(2 * src + 1)
            x.append((re, im if m <= half else _neg(im)))
    else:
        n_in = k
        x = [({(m, ONE): 1}, {}) for m in range(k)]
    bits = stages
    order = [int(format(i, f"0{bits}b")[::-1], 2) for i in range(k)]
    data = [x[i] for i in order]

    computed: list[Computed] = []
    index: dict[tuple, int] = {}  # normalized form (first coefficient positive) -> value

    def materialize(form: _Form, stage: int) -> _Form:
        """The form as a reference to one value of this stage (computed once), or as it is."""
        if not form or (len(form) == 1 and next(iter(form)) [1] == ONE and abs(next(iter(form.values()))) == 1):
            return form
        items = sorted(form.items())
        flip = -1 if items[0][1] < 0 else 1
        key = tuple((vt, c * flip) for vt, c in items)
        if key not in index:
            terms = []
            for (v, t), c in key:
                # |c| = 2 where Hermitian symmetry feeds one input to both butterfly legs.
                terms += [Term(v, 1 if c > 0 else -1, t)] * abs(c)
            computed.append(Computed(stage, _ordered(terms)))
            index[key] = n_in + len(computed) - 1
        return {(index[key], ONE): flip}

    span = 1
    for stage in range(1, stages + 1):
        step = k // (2 * span)
        nxt = list(data)
        for start in range(0, k, 2 * span):
            for pos in range(span):
                i0, i1 = start + pos, start + pos + span
                (ar, ai), (br, bi) = data[i0], data[i1]
                (cs, ct), (ss, st) = _twiddle(pos * step, k, inverse)
                tr = _plus(_scaled(br, cs, ct), _neg(_scaled(bi, ss, st)))
                ti = _plus(_scaled(bi, cs, ct), _scaled(br, ss, st))
                nxt[i0] = (_plus(ar, tr), _plus(ai, ti))
                nxt[i1] = (_plus(ar, _neg(tr)), _plus(ai, _neg(ti)))
        if stage < stages:
            data = [(materialize(r, stage), materialize(i, stage)) for r, i in nxt]
        else:
            data = nxt
        span *= 2

    # Outputs: always fresh last-stage values (no sharing, no sign folding), zeros stay None.
    wanted = [data[m][part] for m in range(half + 1) for part in (0, 1)] if not inverse else [d[0] for d in data]
    outputs: list[int | None] = []
    for form in wanted:
        if not form:
            outputs.append(None)
            continue
        terms = [Term(v, 1 if c > 0 else -1, t) for (v, t), c in sorted(form.items()) for _ in range(abs(c))]
        computed.append(Computed(stages, _ordered(terms)))
        outputs.append(n_in + len(computed) - 1)
    plan = _prune(k, inverse, n_in, computed, outputs)
    return plan


def _ordered(terms: list[Term]) -> tuple[Term, ...]:
    """Positive terms first (the evaluation order of the C++ expression and the reference)."""
    return tuple(sorted(terms, key=lambda t: t.sign < 0))


def _prune(k: int, inverse: bool, n_in: int, computed: list[Computed], outputs: list[int | None]) -> Plan:
    """Drops values no output needs and renumbers; the twiddle table keeps the used entries."""
    live = {o for o in outputs if o is not None}
    for i in range(len(computed) - 1, -1, -1):
        if n_in + i in live:
            live.update(t.value for t in computed[i].terms)
    renumber = {v: v for v in range(n_in)}
    kept: list[Computed] = []
    used_tw = sorted({t.tw for i, c in enumerate(computed) if n_in + i in live for t in c.terms if t.tw != ONE})
    tw_index = {j: n for n, j in enumerate(used_tw)}
    for i, c in enumerate(computed):
        if n_in + i not in live:
            continue
        renumber[n_in + i] = n_in + len(kept)
        terms = tuple(Term(renumber[t.value], t.sign, tw_index.get(t.tw, ONE)) for t in c.terms)
        kept.append(Computed(c.stage, terms))
    twiddles = tuple(math.cos(2 * math.pi * j / k) for j in used_tw)
    return Plan(k, inverse, n_in, tuple(kept), tuple(None if o is None else renumber[o] for o in outputs), twiddles)


def run_float(plan: Plan, inputs: np.ndarray, dtype=np.float64) -> np.ndarray:
    """Executes the plan in floating point on inputs (..., plan.inputs); outputs (..., len(outputs)).

    With dtype float32 this is the float kernel's arithmetic, operation by
    operation (left to right, as the C++ expression is evaluated).
    """
    vals = [inputs[..., i].astype(dtype) for i in range(plan.inputs)]
    tw = [dtype(t) for t in plan.twiddles]
    for c in plan.computed:
        acc = None
        for t in c.terms:
            term = vals[t.value] if t.tw == ONE else tw[t.tw] * vals[t.value]
            term = term if t.sign > 0 else -term
            acc = term if acc is None else acc + term
        vals.append(acc)
    scale = dtype(2.0**-plan.out_shift)
    zero = np.zeros(inputs.shape[:-1], dtype=dtype)
    return np.stack([zero if o is None else vals[o] * scale for o in plan.outputs], axis=-1)


def run_fixed(
    plan: Plan,
    raw: np.ndarray,
    in_fmt: FixedFormat,
    stages: list[FixedFormat],
    twiddle: FixedFormat,
    out_fmt: FixedFormat,
) -> np.ndarray:
    """Executes the plan on raw integers (..., plan.inputs) of `in_fmt`, as the fixed-point kernel does.

    Each value is its exact sum assigned to its stage's format; outputs are
    the last stage's sums times 2**-out_shift assigned to `out_fmt`.
    Returns raw integers of `out_fmt`, (..., len(outputs)).
    """
    tw = [int(r) for r in from_float(np.array(plan.twiddles, dtype=np.float64), twiddle)] if plan.twiddles else []
    vals: list[tuple[np.ndarray, int]] = [(raw[..., i].astype(np.int64), in_fmt.frac) for i in range(plan.inputs)]
    outs: dict[int, np.ndarray] = {}
    for offset, c in enumerate(plan.computed):
        terms = []
        for t in c.terms:
            v, f = vals[t.value]
            terms.append((v * tw[t.tw], f + twiddle.frac) if t.tw != ONE else (v, f))
        frac = max(f for _, f in terms)
        total = sum(t.sign * (v << (frac - f)) for t, (v, f) in zip(c.terms, terms))
        if c.stage < plan.stages:
            fmt = stages[c.stage - 1]
            vals.append((requantize(total, frac, fmt), fmt.frac))
        else:
            outs[plan.inputs + offset] = requantize(total, frac + plan.out_shift, out_fmt)
            vals.append((outs[plan.inputs + offset], out_fmt.frac))
    zero = np.zeros(raw.shape[:-1], dtype=np.int64)
    return np.stack([zero if o is None else outs[o] for o in plan.outputs], axis=-1)
