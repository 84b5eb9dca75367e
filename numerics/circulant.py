"""Block-circulant matrices: the one definition shared by the compiler and training.

A k×k circulant block is defined by a vector ``w`` of length k with
``C[i, j] = w[(i - j) mod k]``, so that ``C @ x`` is the circular convolution
``irfft(rfft(w) * rfft(x))``. A rows×cols matrix with block size k is split
into p×q blocks (p = ceil(rows/k), q = ceil(cols/k)); rows and columns past the
matrix's own size are zero padding that exists only inside the kernel.
"""

from __future__ import annotations

import numpy as np

from ercc.numerics.intmath import ceil_div


def block_grid(rows: int, cols: int, k: int) -> tuple[int, int]:
    """Number of block rows and block columns (p, q) of a rows×cols matrix."""
    return ceil_div(rows, k), ceil_div(cols, k)


def entry_index(rows: int, cols: int, k: int) -> np.ndarray:
    """index[i, j]: which entry of the flattened (p, q, k) defining vectors sits at W[i, j].

    W[i, j] = v[i // k, j // k, (i - j) mod k]. This map is the definition:
    ``expand`` gathers through it and ``project`` averages over it (numpy here,
    torch in ``ercc.training.circulant``).
    """
    if k < 1:
        raise ValueError(f"block size must be >= 1, got {k}")
    _, q = block_grid(rows, cols, k)
    i, j = np.arange(rows)[:, None], np.arange(cols)[None, :]
    return ((i // k) * q + j // k) * k + (i - j) % k


def project(matrix: np.ndarray, k: int) -> np.ndarray:
    """Frobenius-nearest block-circulant matrix, as defining vectors (p, q, k).

    Each block's wrapped diagonal is replaced by the mean of its entries that
    exist in the unpadded matrix; a diagonal with no such entry is zero.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"expected a matrix, got shape {matrix.shape}")
    if k < 1:
        raise ValueError(f"block size must be >= 1, got {k}")
    rows, cols = matrix.shape
    p, q = block_grid(rows, cols, k)
    index = entry_index(rows, cols, k).ravel()
    sums = np.bincount(index, weights=matrix.ravel(), minlength=p * q * k)
    counts = np.bincount(index, minlength=p * q * k)
    vectors = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return vectors.reshape(p, q, k)


def expand(vectors: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """The dense rows×cols matrix defined by block-circulant vectors (p, q, k)."""
    p, q, k = vectors.shape
    if (p, q) != block_grid(rows, cols, k):
        raise ValueError(f"vectors {vectors.shape} do not define a {rows}x{cols} matrix with block size {k}")
    return vectors.reshape(-1)[entry_index(rows, cols, k)]


def project_dense(matrix: np.ndarray, k: int) -> np.ndarray:
    """The projection of ``matrix`` as a dense matrix of the same shape and dtype."""
    matrix = np.asarray(matrix)
    rows, cols = matrix.shape
    return expand(project(matrix, k), rows, cols).astype(matrix.dtype)


def spectrum(vectors: np.ndarray) -> np.ndarray:
    """Frequency-domain weights: the real FFT of each defining vector, (p, q, k//2+1)."""
    return np.fft.rfft(vectors, axis=-1)


def fft_matvec(vectors: np.ndarray, x: np.ndarray, rows: int) -> np.ndarray:
    """y = W x through the FFT path: rfft of input blocks, frequency-domain MAC, irfft."""
    p, q, k = vectors.shape
    xp = np.zeros(q * k, dtype=np.float64)
    xp[: x.shape[0]] = x
    xf = np.fft.rfft(xp.reshape(q, k), axis=-1)
    yf = np.einsum("pqm,qm->pm", spectrum(vectors), xf)
    return np.fft.irfft(yf, n=k, axis=-1).reshape(p * k)[:rows]


def project_gates(matrix: np.ndarray, gates: int, k: int) -> np.ndarray:
    """Project a stacked gate matrix [gates*H, n] gate by gate, as the compiler does.

    Recurrent layers stack their gates' matrices (ONNX LSTM: i, o, f, c); each
    gate's H×n slice is its own block-circulant matrix.
    """
    matrix = np.asarray(matrix)
    slices = np.split(matrix, gates, axis=0)
    return np.concatenate([project_dense(s, k) for s in slices], axis=0)
