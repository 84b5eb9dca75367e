"""The integer datapath of a quantization-aware model: code formats, rescales, activation tables.

`integer-quantizers` (passes/integer_quantizers.py) turns a Brevitas cell's
float32 fake quantization into integer arithmetic with this module:

* a quantizer's codes live in a fixed-point format (`code_format`): with a
  power-of-two scale 2^k the codes *are* the `ap_fixed<b, b + k>` values (the
  format's value is the real value, σ = 1); with a general scale s they are
  integers `ap_fixed<b, b>` and the real value is σ · code with σ = s;
* a sum of terms quantized again (a gate accumulator, a cell-state product)
  is a rescale (`rescale_plan`): each term times a multiplier m · 2^-e that
  approximates σ_term / σ_out to `MULTIPLIER_BITS` bits (exactly, when the
  ratio is a power of two), summed exactly, and assigned to the output's
  format with the quantizer's rounding and saturation;
* σ or tanh between two quantizers is a table of the output codes of every
  input code (`activation_table`), computed in float32 as Brevitas does.

Everything here is exact rational arithmetic on the model's float32 scales.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ercc.numerics.fixed import FixedFormat, format_problem
from ercc.numerics.quantizer import Quantizer, grid_codes

# QONNX rounding modes with an ap_fixed quantization mode of the same result (CEIL has none).
ROUNDING_TO_AP = {"ROUND": "AP_RND_CONV", "FLOOR": "AP_TRN", "ROUND_TO_ZERO": "AP_TRN_ZERO"}
MULTIPLIER_BITS = 26  # |m| < 2^26: with its sign, the 27-bit port of a DSP48E2
MAX_BITS = 62  # every exact intermediate fits the reference's int64 (and is a plain ap_fixed)


class Unsupported(Exception):
    """Why a cell keeps its float32 datapath (one line)."""


def power_of_two(x: Fraction | float) -> int | None:
    """k with x == 2^k exactly, else None."""
    f = Fraction(x)
    if f <= 0:
        return None
    n, d = f.numerator, f.denominator
    if n & (n - 1) == 0 and d == 1:
        return n.bit_length() - 1
    if n == 1 and d & (d - 1) == 0:
        return -(d.bit_length() - 1)
    return None


def code_format(q: Quantizer) -> tuple[FixedFormat, float]:
    """(the format of q's codes, σ: the real value per unit of the format's value)."""
    if q.rounding not in ROUNDING_TO_AP:
        raise Unsupported(f"rounding mode {q.rounding} has no ap_fixed quantization mode")
    if q.zero_point or q.offset:
        raise Unsupported("a quantizer with a zero point")
    if q.narrow and not q.signed:
        raise Unsupported("an unsigned narrow-range quantizer (no ap_fixed overflow mode clamps to 2^b - 2)")
    rnd, sat = ROUNDING_TO_AP[q.rounding], "AP_SAT_SYM" if q.narrow else "AP_SAT"
    if q.channel_scales is not None:  # integers; σ per row (channel_sigma)
        return FixedFormat(q.bits, q.bits, q.signed, rnd, sat), 1.0
    k = power_of_two(float(np.float32(q.scale)))
    if k is not None and format_problem(q.bits, q.bits + k, rnd, sat) is None:
        return FixedFormat(q.bits, q.bits + k, q.signed, rnd, sat), 1.0
    return FixedFormat(q.bits, q.bits, q.signed, rnd, sat), float(np.float32(q.scale))


def scales(q: Quantizer, shape) -> np.ndarray:
    """q's float32 scale broadcasting against a tensor of `shape` (per output row: channel_scales)."""
    if q.channel_scales is None:
        return np.float32(q.scale)
    return np.asarray(q.channel_scales, dtype=np.float32).reshape(-1, *([1] * (len(shape) - 1)))


def codes(x, q: Quantizer) -> np.ndarray:
    """clamp(round(x / scale), lo, hi) in float32, as int64 (the codes `fix.quant` yields)."""
    x = np.asarray(x, dtype=np.float32)
    return grid_codes(x, scales(q, x.shape), 0.0, q.lo, q.hi, q.rounding).astype(np.int64)


def channel_sigma(q: Quantizer) -> np.ndarray:
    """σ per output row of a per-channel weight quantizer (exact Fractions of its float32 scales)."""
    return np.array([Fraction(float(np.float32(v))) for v in q.channel_scales], dtype=object)


def signed_bits(bound: int) -> int:
    """Bits of a signed integer holding every value in [-bound, bound]."""
    return max(int(bound), 1).bit_length() + 1


def exact_format(bound: int, frac: int, signed: bool = True) -> FixedFormat:
    """The narrowest format holding raw values in [-bound, bound] with `frac` fraction bits exactly
    (integer bits kept within [0, width], as the open-source ap_fixed headers need)."""
    if frac < 0:
        bound, frac = bound << -frac, 0
    width = max(signed_bits(bound) if signed else max(int(bound), 1).bit_length(), frac + 1)
    if width > MAX_BITS:
        raise Unsupported(f"an exact intermediate needs {width} bits (more than {MAX_BITS})")
    return FixedFormat(width, width - frac, signed)


@dataclass(frozen=True)
class Term:
    """One summand of a rescale: raw integers bounded by `bound`, `frac` fraction bits, σ per unit
    (a Fraction, or an object array of them along the output axis: per-channel weight scales)."""

    bound: int
    frac: int
    sigma: Fraction | np.ndarray


@dataclass(frozen=True)
class Rescale:
    """m_t · 2^-e_t for each term (m_t a tuple along the output axis for a per-channel term);
    the exact sum has `int_bits` integer bits and `frac` fraction bits."""

    multipliers: tuple[tuple[int | tuple[int, ...], int], ...]
    int_bits: int
    frac: int


def _multiplier(r, e: int) -> int | tuple[int, ...]:
    if isinstance(r, np.ndarray):
        return tuple(round(v * Fraction(2) ** e) for v in r)
    return round(r * Fraction(2) ** e)


def rescale_plan(terms: list[Term], out_sigma: float, what: str) -> Rescale:
    """Multipliers for value(out) ≈ Σ_t (σ_t / σ_out) · value(t).

    A power-of-two ratio is exact (m = 1). Other ratios get MULTIPLIER_BITS
    significant bits (per-channel: the smallest ratio of the term does, the
    others more); when the exact sum would exceed MAX_BITS, the terms with
    the most fraction bits lose theirs (they are the smallest).
    """
    ratios = []
    for t in terms:
        r = t.sigma / Fraction(out_sigma)
        if isinstance(r, np.ndarray) and all(v == r.flat[0] for v in r.flat):
            r = r.flat[0]  # one scale after all
        ratios.append(r)
    plan: list[tuple[int | tuple[int, ...], int]] = []
    for r in ratios:
        k = None if isinstance(r, np.ndarray) else power_of_two(r)
        if k is not None:
            plan.append((1, -k))
        else:
            smallest = min(r.flat) if isinstance(r, np.ndarray) else r
            e = MULTIPLIER_BITS - 1 - math.floor(math.log2(smallest))
            plan.append((_multiplier(r, e), e))
    biggest = [max(r.flat) if isinstance(r, np.ndarray) else r for r in ratios]
    reach = sum(r * t.bound / Fraction(2) ** t.frac for r, t in zip(biggest, terms))
    int_bits = signed_bits(math.ceil(reach))
    frac = max(t.frac + e for t, (_, e) in zip(terms, plan))
    if int_bits + frac > MAX_BITS:
        frac = MAX_BITS - int_bits
        plan = [(m, e) if t.frac + e <= frac else (_multiplier(r, frac - t.frac), frac - t.frac)
                for r, t, (m, e) in zip(ratios, terms, plan)]
    for t, (m, _) in zip(terms, plan):
        if signed_bits(t.bound * max(abs(v) for v in np.atleast_1d(np.asarray(m, dtype=object)))) > MAX_BITS:
            raise Unsupported(f"{what}: a product needs more than {MAX_BITS} bits")
    return Rescale(tuple(plan), int_bits, frac)


def activation_codes(kind: str, raw: np.ndarray, in_fmt: FixedFormat, in_sigma: float, out: Quantizer) -> np.ndarray:
    """The output codes of σ or tanh at the raw values `raw` of in_fmt: the input dequantized in
    float32 (value · σ, Brevitas's (q - 0) · s), the activation correctly rounded to float32, then
    quantized by `out`."""
    v = (np.ldexp(np.asarray(raw, np.float64), -in_fmt.frac).astype(np.float32) * np.float32(in_sigma))
    v = v.astype(np.float64)
    if kind == "sigmoid":
        a = 1.0 / (1.0 + np.exp(-v))
    elif kind == "tanh":
        a = np.tanh(v)
    else:
        raise Unsupported(f"activation '{kind}' between quantizers")
    return codes(a.astype(np.float32), out)


def activation_table(kind: str, in_fmt: FixedFormat, in_sigma: float, out: Quantizer) -> np.ndarray:
    """`activation_codes` of every raw value of in_fmt, in raw order from raw_min."""
    raw = np.arange(in_fmt.raw_min, in_fmt.raw_max + 1, dtype=np.int64)
    return activation_codes(kind, raw, in_fmt, in_sigma, out)


def activation_steps(kind: str, in_fmt: FixedFormat, in_sigma: float, out: Quantizer) -> tuple[list[int], list[int]]:
    """σ or tanh between a wide input quantizer and a narrow output one as a step function:
    (thresholds, codes) with code[0] below thresholds[0] and code[j] from thresholds[j - 1] on.

    Both activations are non-decreasing, and so is their quantized output: it changes at most
    2^b_out - 1 times, at input codes found by bisection (no 2^b_in table).
    """
    lo, hi = in_fmt.raw_min, in_fmt.raw_max

    def code(x: int) -> int:
        return int(activation_codes(kind, np.array([x]), in_fmt, in_sigma, out)[0])

    thresholds, values = [], [code(lo)]
    x = lo
    while values[-1] != code(hi):
        a, b = x, hi  # the first raw value after a whose code exceeds values[-1]
        while b - a > 1:
            mid = (a + b) // 2
            a, b = (mid, b) if code(mid) == values[-1] else (a, mid)
        x = b
        thresholds.append(x)
        values.append(code(x))
    return thresholds, values
