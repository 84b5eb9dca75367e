"""Fixed-point arithmetic in numpy, bit-exact with Xilinx `ap_fixed` / `ap_ufixed`.

A value is a raw integer (numpy int64) together with a `FixedFormat`: the real
number it stands for is `raw * 2**-frac`, with `frac = width - int_bits`.

The model of ap_fixed used here (and checked against g++ with the ap_types
headers in tests/numerics/test_fixed.py):

* arithmetic (`+`, `-`, `*`) is exact: ap_fixed's result type of a binary
  operator is wide enough for the full-precision result;
* precision is lost only on assignment to a destination format, in two steps:
  quantization (drop fractional bits with the destination's rounding mode),
  then overflow handling (wrap or saturate to the destination's width);
* conversion from a double is the same assignment applied to the double's
  exact value.

Raw values and every full-precision intermediate must fit in int64: this module
refuses formats whose intermediates would need more than 62 bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# ap_fixed's names; the first of each tuple is ap_fixed's default.
QUANTIZATION_MODES = ("AP_TRN", "AP_RND", "AP_TRN_ZERO", "AP_RND_ZERO", "AP_RND_INF", "AP_RND_MIN_INF", "AP_RND_CONV")
OVERFLOW_MODES = ("AP_WRAP", "AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM")

MAX_WIDTH = 62  # raw values and full-precision intermediates live in int64


class FixedFormatError(ValueError):
    """A fixed-point format that ercc cannot represent."""


@dataclass(frozen=True)
class FixedFormat:
    """`ap_fixed<width, int_bits, rnd, sat>` (or `ap_ufixed` when unsigned)."""

    width: int
    int_bits: int
    signed: bool = True
    rnd: str = "AP_TRN"
    sat: str = "AP_WRAP"

    def __post_init__(self) -> None:
        problem = format_problem(self.width, self.int_bits, self.rnd, self.sat)
        if problem:
            raise FixedFormatError(problem)

    @property
    def frac(self) -> int:
        return self.width - self.int_bits

    @property
    def raw_min(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def raw_max(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def lsb(self) -> float:
        return 2.0**-self.frac

    @property
    def min(self) -> float:
        return self.raw_min * self.lsb

    @property
    def max(self) -> float:
        return self.raw_max * self.lsb

    def cpp(self) -> str:
        """The C++ type, with trailing default modes omitted."""
        base = "ap_fixed" if self.signed else "ap_ufixed"
        args = [str(self.width), str(self.int_bits)]
        if self.sat != "AP_WRAP":
            args += [self.rnd, self.sat]
        elif self.rnd != "AP_TRN":
            args.append(self.rnd)
        return f"{base}<{','.join(args)}>"

    def __str__(self) -> str:
        return self.cpp()


def format_problem(width: int, int_bits: int, rnd: str, sat: str) -> str | None:
    """Why (width, int_bits, rnd, sat) is not a usable format, or None."""
    if width < 1:
        return f"fixed-point width must be >= 1, got {width}"
    if width > MAX_WIDTH:
        return f"fixed-point width must be <= {MAX_WIDTH}, got {width}"
    if not 0 <= int_bits <= width:
        # ap_fixed accepts more, but its open-source headers assert on e.g. ap_fixed<2,-2>
        return f"fixed-point integer bits must be within [0, width={width}], got {int_bits}"
    if rnd not in QUANTIZATION_MODES:
        return f"unknown quantization mode '{rnd}' (one of {', '.join(QUANTIZATION_MODES)})"
    if sat not in OVERFLOW_MODES:
        return f"unknown overflow mode '{sat}' (one of {', '.join(OVERFLOW_MODES)})"
    return None


# ---------------------------------------------------------------------------- rounding


def fitting_format(magnitude: float, width: int, rnd: str, sat: str) -> FixedFormat:
    """The signed `width`-bit format with the fewest integer bits whose range holds ±magnitude.

    "Holds" allows half an lsb above max (it rounds to max); with no such
    format, all `width` bits are integer bits. Weight tables, softmax's
    constants and activation coefficients are all sized by it.
    """
    for i in range(width + 1):
        fmt = FixedFormat(width, i, True, rnd, sat)
        if -fmt.min >= magnitude and fmt.max >= magnitude - fmt.lsb / 2:
            return fmt
    return FixedFormat(width, width, True, rnd, sat)


def _round_shift(raw: np.ndarray, sh: int, rnd: str) -> np.ndarray:
    """raw / 2**sh rounded to an integer with ap_fixed's quantization mode `rnd` (sh >= 1)."""
    floor = raw >> sh
    rem = raw - (floor << sh)  # in [0, 2**sh)
    half = np.int64(1) << (sh - 1)
    neg = raw < 0
    inexact = rem != 0
    if rnd == "AP_TRN":
        return floor
    if rnd == "AP_TRN_ZERO":
        return floor + (neg & inexact)
    above, tie = rem > half, rem == half
    up = above.copy()
    if rnd == "AP_RND":
        up |= tie
    elif rnd == "AP_RND_ZERO":
        up |= tie & neg
    elif rnd == "AP_RND_INF":
        up |= tie & ~neg
    elif rnd == "AP_RND_MIN_INF":
        pass
    elif rnd == "AP_RND_CONV":
        up |= tie & ((floor & 1) == 1)
    else:  # pragma: no cover - format_problem rejects it
        raise FixedFormatError(f"unknown quantization mode '{rnd}'")
    return floor + up


def _overflow(q: np.ndarray, fmt: FixedFormat) -> np.ndarray:
    """Integer q (in units of fmt's LSB) brought into fmt's range with its overflow mode."""
    lo, hi = fmt.raw_min, fmt.raw_max
    if fmt.sat == "AP_WRAP":
        m = np.int64(1) << fmt.width
        r = q & (m - 1)
        if fmt.signed:
            r = np.where(r > hi, r - m, r)
        return r
    if fmt.sat == "AP_SAT":
        return np.clip(q, lo, hi)
    if fmt.sat == "AP_SAT_ZERO":
        return np.where((q < lo) | (q > hi), 0, q)
    if fmt.sat == "AP_SAT_SYM":
        if fmt.signed and fmt.width > 1:
            return np.clip(q, -hi, hi)  # ap_fixed maps the most negative value to -max too
        return np.clip(q, lo, hi)
    raise FixedFormatError(f"unknown overflow mode '{fmt.sat}'")  # pragma: no cover


def requantize(raw, src_frac: int, fmt: FixedFormat) -> np.ndarray:
    """Assign exact values `raw * 2**-src_frac` to format `fmt` (ap_fixed's `dst = src`)."""
    raw = np.asarray(raw, dtype=np.int64)
    sh = src_frac - fmt.frac
    if sh > 0:
        if sh >= 63:
            # |raw| < 2**62 <= half an LSB of fmt: no ties, only truncation moves off zero
            q = np.where(raw < 0, -1, 0).astype(np.int64) if fmt.rnd == "AP_TRN" else np.zeros_like(raw)
        else:
            q = _round_shift(raw, sh, fmt.rnd)
    elif sh < 0:
        if -sh >= 62 or np.any(np.abs(raw) >= (np.int64(1) << (62 + sh))):
            raise FixedFormatError(f"shifting by {-sh} bits overflows int64")
        q = raw << -sh
    else:
        q = raw
    return _overflow(q, fmt)


def from_float(x, fmt: FixedFormat) -> np.ndarray:
    """Raw integers of `fmt` for float values (ap_fixed's constructor from double)."""
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise FixedFormatError("cannot convert NaN or infinity to fixed point")
    s = np.ldexp(x, fmt.frac)  # exact
    floor = np.floor(s)
    rem = s - floor  # exact, in [0, 1)
    neg = s < 0
    inexact = rem != 0
    rnd = fmt.rnd
    if rnd == "AP_TRN":
        q = floor
    elif rnd == "AP_TRN_ZERO":
        q = floor + (neg & inexact)
    else:
        above, tie = rem > 0.5, rem == 0.5
        if rnd == "AP_RND":
            up = above | tie
        elif rnd == "AP_RND_ZERO":
            up = above | (tie & neg)
        elif rnd == "AP_RND_INF":
            up = above | (tie & ~neg)
        elif rnd == "AP_RND_MIN_INF":
            up = above
        else:  # AP_RND_CONV
            up = above | (tie & (np.fmod(floor, 2) != 0))
        q = floor + up
    # q is an integer-valued float; bring it into int64 without losing the wrap residue
    if fmt.sat == "AP_WRAP":
        q = np.mod(q, float(2**fmt.width))  # exact for integer-valued floats
        q = q.astype(np.int64)
        return _overflow(q, fmt)
    big = float(2**62)
    q = np.clip(q, -big, big).astype(np.int64)
    return _overflow(q, fmt)


def to_float(raw, fmt: FixedFormat) -> np.ndarray:
    """The values of raw integers of `fmt` as float64 (exact for widths up to 53)."""
    return np.ldexp(np.asarray(raw, dtype=np.int64).astype(np.float64), -fmt.frac)


def quantize(x, fmt: FixedFormat) -> np.ndarray:
    """Float values rounded to `fmt` and returned as floats (a convenience for errors)."""
    return to_float(from_float(x, fmt), fmt)


# ---------------------------------------------------------------------------- arithmetic


def _align(a, fa: int, b, fb: int) -> tuple[np.ndarray, np.ndarray, int]:
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    f = max(fa, fb)
    return a << (f - fa), b << (f - fb), f


def add(a, fa: FixedFormat, b, fb: FixedFormat, dst: FixedFormat) -> np.ndarray:
    """`dst = a + b` in ap_fixed: exact sum, then assignment to dst."""
    _check_exact(fa, fb, "add")
    x, y, f = _align(a, fa.frac, b, fb.frac)
    return requantize(x + y, f, dst)


def sub(a, fa: FixedFormat, b, fb: FixedFormat, dst: FixedFormat) -> np.ndarray:
    """`dst = a - b` in ap_fixed: exact difference, then assignment to dst."""
    _check_exact(fa, fb, "sub")
    x, y, f = _align(a, fa.frac, b, fb.frac)
    return requantize(x - y, f, dst)


def mul(a, fa: FixedFormat, b, fb: FixedFormat, dst: FixedFormat) -> np.ndarray:
    """`dst = a * b` in ap_fixed: exact product, then assignment to dst."""
    if fa.width + fb.width > MAX_WIDTH + 1:
        raise FixedFormatError(f"the product of {fa} and {fb} needs more than 63 bits")
    p = np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)
    return requantize(p, fa.frac + fb.frac, dst)


def _check_exact(fa: FixedFormat, fb: FixedFormat, what: str) -> None:
    lo = min(fa.frac, fb.frac)
    hi = max(fa.frac, fb.frac)
    need = max(fa.width + (hi - fa.frac), fb.width + (hi - fb.frac)) + 1
    if need > MAX_WIDTH + 1 or hi - lo > MAX_WIDTH:
        raise FixedFormatError(f"{what} of {fa} and {fb} needs more than 63 bits")
