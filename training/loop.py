"""The epoch-counted training loop of `benchmarks/admm_fsdd.py`: ADMM, hard projection, circulant fine-tuning.

`ercc admm` and ``ercc.training.fit`` use the convergence-driven schedule of
``ercc.training.schedule`` instead; this loop stays for the FSDD benchmark,
whose recorded tables (docs/admm_results*.md) were made with it.

Batches come from a callable ``batches(epoch)`` so that the data order is a
pure function of the epoch number (deterministic runs); the loss is
``loss_fn(model, inputs, target)`` so the same loop serves classification,
regression and distillation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch
from rich.progress import Progress
from torch import nn

from ercc.training.admm import ADMM
from ercc.training.wrap import BlockSize, make_circulant, make_dense

Batch = tuple[tuple[torch.Tensor, ...], torch.Tensor]
Batches = Callable[[int], Iterable[Batch]]
LossFn = Callable[[nn.Module, tuple[torch.Tensor, ...], torch.Tensor], torch.Tensor]


@dataclass
class AdmmConfig:
    """Hyper-parameters of one ADMM run (ρ schedule, stopping, fine-tuning)."""

    block_size: BlockSize
    epochs: int = 10
    finetune_epochs: int = 5
    lr: float = 1e-3
    lr_decay: float = 1.0
    finetune_lr: float | None = None
    rho: float = 1e-3
    rho_factor: float = 1.5
    rho_max: float = 1.0
    updates_per_epoch: int = 1
    tol: float = 1e-2


@dataclass
class AdmmResult:
    """What happened: ADMM epochs actually run, residual after each, loss, wall time."""

    admm_epochs: int = 0
    residuals: list[float] = field(default_factory=list)
    final_loss: float = float("nan")
    seconds: float = 0.0


def train_epochs(
    model: nn.Module, batches: Batches, loss_fn: LossFn, optimizer: torch.optim.Optimizer,
    epochs: range, *, admm: ADMM | None = None, progress: Progress | None = None, label: str = "train",
    steps_per_epoch: int | None = None, status: str = "",
) -> Iterable[float]:
    """Train over ``epochs``, yielding each epoch's mean loss (the caller may stop early).

    With ``admm`` the ADMM penalty is added to the loss, ``admm.step()`` runs
    after every optimizer step and the progress bar shows the primal residual
    (otherwise ``status``).
    """
    total_steps = steps_per_epoch * len(epochs) if steps_per_epoch else None
    task = progress.add_task(label, total=total_steps, loss=float("nan"), status=status) if progress else None
    for epoch in epochs:
        model.train()
        total, count = 0.0, 0
        for inputs, target in batches(epoch):
            loss = loss_fn(model, inputs, target)
            full = loss + admm.penalty() if admm else loss
            optimizer.zero_grad()
            full.backward()
            optimizer.step()
            if admm:
                admm.step()
            total, count = total + loss.item(), count + 1
            if task is not None:
                if admm:
                    status = f"residual {admm.primal_residual():.2e}"
                progress.update(task, advance=1, loss=total / count, status=status,
                                description=f"{label} epoch {epoch + 1}/{epochs.stop}")
        yield total / max(count, 1)


def admm_train(
    model: nn.Module, batches: Batches, loss_fn: LossFn, config: AdmmConfig,
    *, steps_per_epoch: int, progress: Progress | None = None,
) -> AdmmResult:
    """ADMM until the primal residual is below ``tol`` (or ``epochs`` run out), project, fine-tune.

    On return the model is dense again (plain parameters) with every
    constrained weight exactly block-circulant.
    """
    start = time.perf_counter()
    result = AdmmResult()
    update_every = max(1, steps_per_epoch // config.updates_per_epoch)
    admm = ADMM(model, config.block_size, rho=config.rho, rho_factor=config.rho_factor,
                rho_max=config.rho_max, update_every=update_every, tol=config.tol)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    # Adam's steps do not shrink with the gradient, so W jitters around Z - U at a
    # distance set by the step size; decaying it lets the primal residual keep falling.
    decay = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=config.lr_decay)
    for result.final_loss in train_epochs(model, batches, loss_fn, optimizer, range(config.epochs),
                                          admm=admm, progress=progress, label="admm",
                                          steps_per_epoch=steps_per_epoch):
        decay.step()
        result.admm_epochs += 1
        result.residuals.append(admm.primal_residual())
        if admm.converged():
            break
    admm.finalize()
    make_circulant(model, config.block_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.finetune_lr or config.lr)
    for result.final_loss in train_epochs(model, batches, loss_fn, optimizer, range(config.finetune_epochs),
                                          progress=progress, label="fine-tune",
                                          steps_per_epoch=steps_per_epoch, status="exactly circulant"):
        pass
    make_dense(model)
    result.seconds = time.perf_counter() - start
    return result
