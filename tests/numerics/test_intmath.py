"""The one definition of ceil-division, power-of-two and the fewest integer bits of a range."""

import math

import pytest

from ercc.numerics.fixed import FixedFormat, fitting_format
from ercc.numerics.intmath import ceil_div, is_power_of_two


def test_ceil_div():
    for a in range(-9, 40):
        for b in (1, 2, 3, 7, 8):
            assert ceil_div(a, b) == math.ceil(a / b), (a, b)


def test_is_power_of_two():
    assert [n for n in range(-4, 70) if is_power_of_two(n)] == [1, 2, 4, 8, 16, 32, 64]


@pytest.mark.parametrize("m, int_bits", [(0.0, 0), (0.3, 0), (0.5, 1), (0.99, 1), (1.0, 2), (1.5, 2), (3.97, 3), (3.999, 4),
                                         (100.0, 8), (1e9, 8)])
def test_fitting_format_is_the_fewest_integer_bits_that_hold_m(m, int_bits):
    """8 bits: int_bits i holds [-2^(i-1), 2^(i-1) - 2^(i-8)], and up to half an lsb above (it rounds down)."""
    assert fitting_format(m, 8, "AP_RND", "AP_SAT") == FixedFormat(8, int_bits, True, "AP_RND", "AP_SAT")
