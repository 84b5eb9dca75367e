"""Block-circulant projection and expansion in torch, through the index map of ``ercc.numerics.circulant``.

The numpy module is the one definition: ``entry_index`` says which defining-vector
entry sits at each matrix position; expansion gathers through it and projection
averages over it, here on (batched, differentiable) torch tensors so that the ADMM
Z-step and the circulant fine-tuning stay on the training device and in the
autograd graph. A recurrent weight stacks several gates along its rows: each
gate's slice is its own block-circulant matrix, as in the compiler.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import nn

from ercc.numerics.circulant import block_grid, entry_index


@lru_cache(maxsize=64)
def _index(rows: int, cols: int, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The shared entry index (rows, cols) and how many matrix entries map to each vector entry."""
    index = entry_index(rows, cols, k)
    p, q = block_grid(rows, cols, k)
    counts = np.bincount(index.ravel(), minlength=p * q * k)
    return torch.from_numpy(index), torch.from_numpy(counts)


def project(matrix: torch.Tensor, k: int) -> torch.Tensor:
    """Defining vectors (..., p, q, k) of the Frobenius-nearest block-circulant matrix.

    The mean of the matrix entries that map to each vector entry (zero where none
    do), exactly as ``ercc.numerics.circulant.project`` (batched over leading dims).
    """
    if k < 1:
        raise ValueError(f"block size must be >= 1, got {k}")
    *lead, rows, cols = matrix.shape
    p, q = block_grid(rows, cols, k)
    index, counts = _index(rows, cols, k)
    sums = matrix.new_zeros(*lead, p * q * k).index_add(-1, index.to(matrix.device).reshape(-1),
                                                         matrix.reshape(*lead, rows * cols))
    counts = counts.to(device=matrix.device, dtype=matrix.dtype)
    return (sums / counts.clamp(min=1)).reshape(*lead, p, q, k)


def expand(vectors: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """Dense (..., rows, cols) matrix from defining vectors (..., p, q, k), by gather."""
    *lead, p, q, k = vectors.shape
    if (p, q) != block_grid(rows, cols, k):
        raise ValueError(f"vectors {tuple(vectors.shape)} do not define a {rows}x{cols} matrix with block size {k}")
    index, _ = _index(rows, cols, k)
    return vectors.reshape(*lead, p * q * k)[..., index.to(vectors.device)]


def _split_gates(weight: torch.Tensor, gates: int) -> torch.Tensor:
    """(..., G*H, I) -> (..., G, H, I): one matrix per gate."""
    *lead, rows, cols = weight.shape
    if rows % gates:
        raise ValueError(f"{rows} rows do not split into {gates} gates")
    return weight.reshape(*lead, gates, rows // gates, cols)


def project_gates(weight: torch.Tensor, gates: int, k: int) -> torch.Tensor:
    """Per-gate projection of a stacked recurrent weight, as a dense tensor of its shape."""
    per_gate = _split_gates(weight, gates)
    rows, cols = per_gate.shape[-2:]
    return expand(project(per_gate, k), rows, cols).reshape(weight.shape)


class BlockCirculant(nn.Module):
    """Parametrization: trainable defining vectors (..., G, p, q, k) -> stacked dense weight.

    Registered with ``torch.nn.utils.parametrize``; ``right_inverse`` projects
    the current dense weight, so converting a model keeps its nearest
    block-circulant weights and fine-tuning then trains p·q·k values per gate.
    """

    def __init__(self, shape: torch.Size, gates: int, k: int):
        super().__init__()
        self.shape = tuple(shape)
        self.gates = gates
        self.k = k

    def forward(self, vectors: torch.Tensor) -> torch.Tensor:
        rows, cols = self.shape[-2] // self.gates, self.shape[-1]
        return expand(vectors, rows, cols).reshape(self.shape)

    def right_inverse(self, weight: torch.Tensor) -> torch.Tensor:
        return project(_split_gates(weight, self.gates), self.k)
