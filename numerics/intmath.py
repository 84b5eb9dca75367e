"""Integer helpers that block sizes, block grids and table sizes all need.

One definition each, so "a power of two" means the same thing (k >= 1) in the
options check, the dialect verifiers and the FFT planner.
"""

from __future__ import annotations


def ceil_div(a: int, b: int) -> int:
    """The smallest integer >= a / b (b > 0), e.g. the blocks of size b that cover a elements."""
    return -(-a // b)


def is_power_of_two(n: int) -> bool:
    """n is 1, 2, 4, 8, ... (0 and negative numbers are not)."""
    return n >= 1 and n & (n - 1) == 0
