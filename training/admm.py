"""ADMM for block-circulant recurrent weights (E-RNN, HPCA'19).

The constrained problem min f(W) s.t. every gate matrix of W is block-circulant
is split, in scaled form, into
  W-step: the user's optimizer on f(W) + Σ ρ/2·‖W − Z + U‖²  (``penalty()``),
  Z-step: Z = project(W + U)                                  (``update()``),
  dual:   U ← U + W − Z.
ρ grows geometrically (every ``rho_every`` Z-steps, up to ``rho_max``) so W is
pulled ever harder onto the constraint set; the scaled dual U is rescaled by
ρ_old/ρ_new whenever ρ changes so that the unscaled dual ρ·U is continuous.
"""

from __future__ import annotations

import torch
from torch import nn

from ercc.training.circulant import project_gates
from ercc.training.wrap import BlockSize, recurrent_targets


class ADMM:
    """ADMM state for one model; call ``penalty()`` in the loss and ``step()`` after ``optimizer.step()``.

    Example::

        admm = ADMM(model, block_size=8, rho=1e-3, update_every=len(loader))
        for x, y in loader:
            loss = criterion(model(x), y) + admm.penalty()
            optimizer.zero_grad(); loss.backward(); optimizer.step()
            admm.step()
        admm.finalize()   # hard projection: the weights are now exactly block-circulant
    """

    def __init__(
        self,
        model: nn.Module,
        block_size: BlockSize,
        *,
        rho: float = 1e-3,
        rho_factor: float = 1.5,
        rho_every: int = 1,
        rho_max: float = 1.0,
        update_every: int = 50,
        tol: float = 1e-2,
    ):
        if rho <= 0 or rho_factor < 1 or rho_every < 1 or update_every < 1:
            raise ValueError("need rho > 0, rho_factor >= 1, rho_every >= 1, update_every >= 1")
        self.targets = recurrent_targets(model, block_size)
        self.rho = rho
        self.rho_factor = rho_factor
        self.rho_every = rho_every
        self.rho_max = max(rho_max, rho)
        self.update_every = update_every
        self.tol = tol
        self.steps = 0
        self.updates = 0
        with torch.no_grad():
            self.Z = [self._project(t, t.weight()) for t in self.targets]
            self.U = [torch.zeros_like(z) for z in self.Z]

    @staticmethod
    def _project(target, weight: torch.Tensor) -> torch.Tensor:
        return project_gates(weight.detach(), target.gates, target.k)

    def penalty(self) -> torch.Tensor:
        """Σ ρ/2·‖W − Z + U‖²: add it to the task loss in every W-step."""
        terms = [(t.weight() - z + u).pow(2).sum() for t, z, u in zip(self.targets, self.Z, self.U)]
        return 0.5 * self.rho * torch.stack(terms).sum()

    def step(self) -> bool:
        """Count one optimizer step; run the Z/U update every ``update_every`` steps. True if it ran."""
        self.steps += 1
        if self.steps % self.update_every:
            return False
        self.update()
        return True

    @torch.no_grad()
    def update(self) -> None:
        """One Z-step and dual update, then the ρ schedule."""
        for i, t in enumerate(self.targets):
            w = t.weight().detach()
            self.Z[i] = self._project(t, w + self.U[i])
            self.U[i] += w - self.Z[i]
        self.updates += 1
        if self.updates % self.rho_every == 0:
            self._set_rho(min(self.rho * self.rho_factor, self.rho_max))

    def _set_rho(self, rho: float) -> None:
        """Change ρ, rescaling the scaled dual so ρ·U is unchanged."""
        for u in self.U:
            u.mul_(self.rho / rho)
        self.rho = rho

    @torch.no_grad()
    def primal_residual(self) -> float:
        """‖W − Z‖ / ‖W‖ over all constrained weights: 0 when W is on the constraint set."""
        diff = sum(float((t.weight() - z).pow(2).sum()) for t, z in zip(self.targets, self.Z))
        norm = sum(float(t.weight().pow(2).sum()) for t in self.targets)
        return (diff / max(norm, 1e-30)) ** 0.5

    @torch.no_grad()
    def projection_distance(self) -> float:
        """‖W − project(W)‖ / ‖W‖: how far a hard projection would move the weights now."""
        diff = norm = 0.0
        for t in self.targets:
            w = t.weight()
            diff += float((w - self._project(t, w)).pow(2).sum())
            norm += float(w.pow(2).sum())
        return (diff / max(norm, 1e-30)) ** 0.5

    def converged(self) -> bool:
        """Primal residual below the tolerance: time to project and fine-tune."""
        return self.primal_residual() < self.tol

    @torch.no_grad()
    def finalize(self) -> None:
        """Hard projection: overwrite every constrained weight by its block-circulant projection."""
        for t in self.targets:
            w = t.weight()
            w.copy_(self._project(t, w))
