"""The integer datapath's arithmetic (ercc.numerics.integer_quant): code formats, rescales, activation steps."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from ercc.numerics.fixed import FixedFormat
from ercc.numerics.integer_quant import (
    MULTIPLIER_BITS,
    Term,
    Unsupported,
    activation_steps,
    activation_table,
    code_format,
    power_of_two,
    rescale_plan,
)
from ercc.numerics.quantizer import Quantizer


def test_power_of_two_scales_are_their_ap_fixed_and_others_integers():
    fmt, sigma = code_format(Quantizer(2.0**-7, 0.0, 8, True, False))
    assert (fmt.width, fmt.int_bits, fmt.rnd, fmt.sat, sigma) == (8, 1, "AP_RND_CONV", "AP_SAT", 1.0)
    fmt, sigma = code_format(Quantizer(0.1, 0.0, 8, True, True, "FLOOR"))
    assert (fmt.width, fmt.int_bits, fmt.rnd, fmt.sat) == (8, 8, "AP_TRN", "AP_SAT_SYM")
    assert sigma == float(np.float32(0.1))
    assert power_of_two(0.375) is None and power_of_two(Fraction(1, 8)) == -3 and power_of_two(4) == 2
    with pytest.raises(Unsupported, match="CEIL"):
        code_format(Quantizer(0.1, 0.0, 8, True, False, "CEIL"))


def test_rescale_multipliers_are_exact_for_powers_of_two_and_26_bits_otherwise():
    plan = rescale_plan([Term(127 * 16, 0, Fraction(1, 4)), Term(127, 0, Fraction(3, 7))], 1 / 8, "acc")
    assert plan.multipliers[0] == (1, -1)  # (1/4) / (1/8) = 2: a shift
    m, e = plan.multipliers[1]
    ratio = Fraction(3, 7) / Fraction(1 / 8)
    assert 2 ** (MULTIPLIER_BITS - 1) <= m < 2**MULTIPLIER_BITS
    assert abs(Fraction(m, 2**e) - ratio) / ratio < Fraction(1, 2**MULTIPLIER_BITS)
    assert plan.int_bits + plan.frac <= 62


@pytest.mark.parametrize("kind", ["sigmoid", "tanh"])
def test_steps_equal_the_table(kind):
    """The step function found by bisection gives every input code the table's output code."""
    fmt = FixedFormat(8, 8, True, "AP_RND_CONV", "AP_SAT")
    out = Quantizer(2.0**-8 if kind == "sigmoid" else 2.0**-7, 0.0, 8, kind == "tanh", False)
    table = activation_table(kind, fmt, 0.05, out)
    thresholds, values = activation_steps(kind, fmt, 0.05, out)
    raw = np.arange(fmt.raw_min, fmt.raw_max + 1)
    steps = np.asarray(values)[np.searchsorted(thresholds, raw, side="right")]
    assert np.array_equal(steps, table)
    assert len(thresholds) < 256 and thresholds == sorted(thresholds)


def test_per_channel_terms_get_a_multiplier_per_row():
    sigma = np.array([Fraction(1, 16), Fraction(1, 8) * Fraction(3, 5)], dtype=object)
    plan = rescale_plan([Term(1000, 0, sigma)], 0.1, "acc")
    (m, e), = plan.multipliers
    assert isinstance(m, tuple) and len(m) == 2
    for mi, s in zip(m, sigma):
        ratio = s / Fraction(0.1)
        assert abs(Fraction(mi, 2**e) - ratio) / ratio < Fraction(1, 2**MULTIPLIER_BITS)
    assert min(m) >= 2 ** (MULTIPLIER_BITS - 1)  # the smallest ratio keeps 26 significant bits
