"""Block-circulant ops: the direct product and the rfft → freq_mac → irfft chain."""

from __future__ import annotations

import numpy as np
import pytest
from hls_helpers import TOLERANCE, dense, tensor

from ercc.numerics.circulant import block_grid, expand, fft_matvec, spectrum

N = 4
SIZES = [(8, 8, 4), (6, 10, 4), (5, 3, 2), (16, 12, 8), (3, 2, 1), (20, 36, 16)]


def _vectors(rng: np.random.Generator, rows: int, cols: int, k: int) -> np.ndarray:
    p, q = block_grid(rows, cols, k)
    return rng.normal(size=(p, q, k)).astype(np.float32)


@pytest.mark.parametrize("rows,cols,k", SIZES)
def test_fft_chain_matches_fft_matvec(run_ir, rng, rows, cols, k):
    vectors = _vectors(rng, rows, cols, k)
    p, q = vectors.shape[:2]
    freq = spectrum(vectors.astype(np.float64))
    spectra = np.stack([freq.real, freq.imag], axis=-1).astype(np.float32)
    fbc, xs, ys = f"!circ.fbc<{rows}x{cols}, {k}, f32>", f"!circ.spectrum<{q}, {k}, f32>", f"!circ.spectrum<{p}, {k}, f32>"
    text = (
        f"func.func @k(%x: tensor<{cols}xf32>) -> tensor<{rows}xf32> {{\n"
        f"  %w = circ.freq_const {dense(spectra)} : {tensor(spectra.shape)} -> {fbc}\n"
        f"  %xf = circ.rfft %x : tensor<{cols}xf32> -> {xs}\n"
        f"  %yf = circ.freq_mac %w, %xf : {fbc}, {xs} -> {ys}\n"
        f"  %y = circ.irfft %yf : {ys} -> tensor<{rows}xf32>\n"
        f"  func.return %y : tensor<{rows}xf32>\n}}"
    )
    x = rng.normal(size=(N, cols)).astype(np.float32)
    (got,) = run_ir(text, [x])
    want = np.stack([fft_matvec(vectors.astype(np.float64), xi.astype(np.float64), rows) for xi in x])
    scale = np.abs(want).max()
    np.testing.assert_allclose(got, want, atol=TOLERANCE * scale, rtol=TOLERANCE)


@pytest.mark.parametrize("rows,cols,k", SIZES)
def test_direct_matvec_matches_dense(run_ir, rng, rows, cols, k):
    vectors = _vectors(rng, rows, cols, k)
    bc = f"!circ.bc<{rows}x{cols}, {k}, f32>"
    text = (
        f"func.func @k(%x: tensor<{cols}xf32>) -> tensor<{rows}xf32> {{\n"
        f"  %w = circ.const {dense(vectors)} : {tensor(vectors.shape)} -> {bc}\n"
        f"  %y = circ.matvec %w, %x : {bc}, tensor<{cols}xf32> -> tensor<{rows}xf32>\n"
        f"  func.return %y : tensor<{rows}xf32>\n}}"
    )
    x = rng.normal(size=(N, cols)).astype(np.float32)
    (got,) = run_ir(text, [x])
    want = x.astype(np.float64) @ expand(vectors.astype(np.float64), rows, cols).T
    np.testing.assert_allclose(got, want, atol=TOLERANCE * np.abs(want).max(), rtol=TOLERANCE)
