"""The straight-line real FFT programs against numpy's FFT, and their fixed-point execution."""

from __future__ import annotations

import numpy as np
import pytest

from ercc.numerics.fft_plan import ONE, build, run_fixed, run_float
from ercc.numerics.fixed import FixedFormat, from_float, to_float

SIZES = [1, 2, 4, 8, 16, 32, 64]


@pytest.mark.parametrize("k", SIZES)
def test_forward_is_numpy_rfft(k):
    x = np.random.default_rng(k).standard_normal((7, k))
    want = np.fft.rfft(x)
    got = run_float(build(k, False), x)
    np.testing.assert_allclose(got, np.stack([want.real, want.imag], -1).reshape(7, -1), atol=1e-12)


@pytest.mark.parametrize("k", SIZES)
def test_inverse_is_numpy_irfft_ignoring_dc_and_nyquist_imaginary_parts(k):
    rng = np.random.default_rng(100 + k)
    spec = rng.standard_normal((7, k // 2 + 1)) + 1j * rng.standard_normal((7, k // 2 + 1))
    got = run_float(build(k, True), np.stack([spec.real, spec.imag], -1).reshape(7, -1))
    np.testing.assert_allclose(got, np.fft.irfft(spec, n=k), atol=1e-12)


def test_real_fft_savings():
    """Real input, trivial twiddles and dead conjugate halves cost nothing: k = 8 needs 2 multiplies."""
    counts = {k: (build(k, False).multiplies(), build(k, True).multiplies()) for k in (2, 4, 8, 16)}
    assert counts == {2: (0, 0), 4: (0, 0), 8: (2, 2), 16: (14, 16)}
    plan = build(8, False)
    assert plan.outputs[1] is None and plan.outputs[-1] is None  # Im X[0] and Im X[k/2] are structurally zero
    # Every term is ±value or ±twiddle·value; the twiddle table holds magnitudes in (0, 1).
    assert all(t.tw == ONE or 0 < plan.twiddles[t.tw] < 1 for c in plan.computed for t in c.terms)


@pytest.mark.parametrize("k", [2, 8, 16])
def test_fixed_execution_tracks_float(k):
    """With wide formats the fixed program is the float one up to rounding: no overflow by construction."""
    levels = int(np.log2(k))
    fin = FixedFormat(16, 4, True, "AP_RND", "AP_SAT")
    stages = [FixedFormat(16 + s, 4 + s, True, "AP_RND", "AP_SAT") for s in range(1, levels)]
    fout = FixedFormat(16 + levels, 4 + levels, True, "AP_RND", "AP_SAT")
    tw = FixedFormat(18, 1, True, "AP_RND", "AP_SAT")
    x = np.random.default_rng(k).uniform(-fin.max, fin.max, (50, k))  # full scale: the worst growth
    raw = from_float(x, fin)
    got = to_float(run_fixed(build(k, False), raw, fin, stages, tw, fout), fout)
    want = run_float(build(k, False), to_float(raw, fin))
    assert np.max(np.abs(got - want)) <= levels * 2 * fout.lsb
