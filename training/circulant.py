"""Block-circulant projection and expansion in torch, matching ``ercc.numerics.circulant``.

The numpy module is the one definition; these functions compute the same thing
on (batched, differentiable) torch tensors so that the ADMM Z-step and the
circulant fine-tuning stay on the training device and in the autograd graph.
A recurrent weight stacks several gates along its rows: each gate's slice is
its own block-circulant matrix, as in the compiler.
"""

from __future__ import annotations

import torch
from torch import nn

from ercc.numerics.circulant import block_grid


def _diagonal_index(k: int, device: torch.device | None = None) -> torch.Tensor:
    """index[i, j] = (i - j) mod k: which defining-vector entry sits at (i, j)."""
    r = torch.arange(k, device=device)
    return (r[:, None] - r[None, :]) % k


def _as_blocks(matrix: torch.Tensor, k: int) -> torch.Tensor:
    """Zero-pad the last two dims to whole blocks and view them as (..., p, q, k, k)."""
    rows, cols = matrix.shape[-2:]
    p, q = block_grid(rows, cols, k)
    padded = nn.functional.pad(matrix, (0, q * k - cols, 0, p * k - rows))
    lead = matrix.shape[:-2]
    return padded.reshape(*lead, p, k, q, k).transpose(-3, -2)


def project(matrix: torch.Tensor, k: int) -> torch.Tensor:
    """Defining vectors (..., p, q, k) of the Frobenius-nearest block-circulant matrix.

    Wrapped-diagonal mean over the entries that exist in the unpadded matrix,
    exactly as ``ercc.numerics.circulant.project`` (batched over leading dims).
    """
    if k < 1:
        raise ValueError(f"block size must be >= 1, got {k}")
    onehot = nn.functional.one_hot(_diagonal_index(k, matrix.device), k).to(matrix.dtype)
    sums = torch.einsum("...pqij,ijd->...pqd", _as_blocks(matrix, k), onehot)
    ones = torch.ones(matrix.shape[-2:], dtype=matrix.dtype, device=matrix.device)
    counts = torch.einsum("pqij,ijd->pqd", _as_blocks(ones, k), onehot)
    return torch.where(counts > 0, sums / counts.clamp(min=1), torch.zeros_like(sums))


def expand(vectors: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """Dense (..., rows, cols) matrix from defining vectors (..., p, q, k), by gather."""
    p, q, k = vectors.shape[-3:]
    blocks = vectors[..., _diagonal_index(k, vectors.device)]  # (..., p, q, k, k)
    dense = blocks.transpose(-3, -2).reshape(*vectors.shape[:-3], p * k, q * k)
    return dense[..., :rows, :cols]


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
