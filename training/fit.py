"""``fit``: dense model in, exactly block-circulant model out, judged on validation data.

The run: validate the dense model and its plain projection (the two
baselines), then rounds of ADMM (until the primal residual reaches ``tol``,
see ``schedule``), hard projection and early-stopped circulant fine-tuning.
Without ``max_drop`` one round runs; with it, extra rounds (escalated
schedules, each restarting from the dense weights) run until the drop is met
or ``max_rounds`` are spent, and the best round's weights are kept. On return
the model has plain dense parameters holding exactly block-circulant W and R.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator

import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from torch import nn

from ercc.training.admm import ADMM
from ercc.training.data import ArrayData, Batch, Objective
from ercc.training.report import AdmmReport, Round, Stage
from ercc.training.schedule import EarlyStopping, Schedule
from ercc.training.wrap import BlockSize, make_circulant, make_dense, project_model


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """"auto": CUDA when torch sees a GPU, else CPU; "cuda" without a GPU is a ValueError."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("torch sees no CUDA device (use 'cpu' or 'auto')")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got '{device}'")
    return device


def make_progress(console=None) -> Progress:
    """A rich progress bar with the running loss and the phase's status (residual or validation)."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("loss {task.fields[loss]:.4f}"), TextColumn("{task.fields[status]}"),
                    TimeElapsedColumn(), console=console)


def _stream(data: ArrayData, seed: int, device: torch.device) -> Iterator[Batch]:
    """Mini-batches forever, epoch after epoch, in the seeded order."""
    epoch = 0
    while True:
        yield from data.batches(seed, epoch, device)
        epoch += 1


class _Trainer:
    """The shared step: loss (+ ADMM penalty), backward, gradient clipping, optimizer step."""

    def __init__(self, model, objective, train, schedule, seed, device, progress):
        self.model, self.objective, self.schedule = model, objective, schedule
        self.batches = _stream(train, seed, device)
        self.progress = progress

    def step(self, optimizer: torch.optim.Optimizer, admm: ADMM | None = None) -> float:
        inputs, target = next(self.batches)
        loss = self.objective.loss(self.model, inputs, target)
        full = loss + admm.penalty() if admm else loss
        optimizer.zero_grad()
        full.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), self.schedule.clip_norm)
        optimizer.step()
        return float(loss.detach())

    def task(self, label: str, total: int):
        return self.progress.add_task(label, total=total, loss=float("nan"), status="") if self.progress else None

    def update(self, task, **fields) -> None:
        if task is not None:
            self.progress.update(task, advance=1, **fields)


def _admm_phase(trainer: _Trainer, block_size: BlockSize, schedule: Schedule, plan, label: str) -> tuple[int, float, float]:
    """ADMM until the residual reaches tol (between the step floor and ceiling); hard projection. (steps, residual, ρ)"""
    model = trainer.model
    model.train()
    admm = ADMM(model, block_size, rho=schedule.rho, rho_factor=schedule.rho_factor, rho_max=schedule.rho_max,
                update_every=plan.period, tol=schedule.tol)
    optimizer = torch.optim.Adam(model.parameters(), lr=schedule.lr)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, plan.admm_max_steps,
                                                        eta_min=schedule.lr * schedule.lr_final)
    task = trainer.task(label, plan.admm_max_steps)
    residual, status, steps = float("nan"), "", 0
    while steps < plan.admm_max_steps:
        loss = trainer.step(optimizer, admm)
        cosine.step()
        steps += 1
        if admm.step():
            residual = admm.primal_residual()
            status = f"residual {residual:.2e} ρ {admm.rho:.3g}"
        trainer.update(task, loss=loss, status=status)
        if steps >= plan.admm_min_steps and residual <= schedule.tol:
            break
    if admm.updates == 0:  # a ceiling below one period: how far the projection moves W instead
        residual = admm.projection_distance()
    admm.finalize()
    return steps, residual, admm.rho


def _finetune_phase(trainer: _Trainer, objective: Objective, val: ArrayData, block_size: BlockSize,
                    schedule: Schedule, plan, device, label: str) -> tuple[int, float]:
    """Circulant fine-tuning, validated every period, early-stopped (``EarlyStopping``); the best weights restored.

    Returns (steps, the kept weights' validation metric).
    """
    model = trainer.model
    make_circulant(model, block_size)
    stopping = EarlyStopping(*objective.evaluate(model, val, device), objective.higher_is_better,
                             schedule.patience, schedule.plateau)
    best_state = copy.deepcopy(model.state_dict())
    optimizer = torch.optim.Adam(model.parameters(), lr=schedule.finetune_lr)
    task = trainer.task(label, plan.finetune_max_steps)
    model.train()
    steps, status = 0, f"val {stopping.best:.4g}"
    while steps < plan.finetune_max_steps:
        loss = trainer.step(optimizer)
        steps += 1
        if steps % plan.period == 0 or steps == plan.finetune_max_steps:
            metric, val_loss = objective.evaluate(model, val, device)
            stopping.update(metric, val_loss)
            if stopping.is_best:
                best_state = copy.deepcopy(model.state_dict())
            if stopping.decay:
                for group in optimizer.param_groups:
                    group["lr"] *= 0.5
            status = f"val {metric:.4g} (best {stopping.best:.4g})"
            if steps >= plan.finetune_min_steps and stopping.stop:
                trainer.update(task, loss=loss, status=status)
                break
        trainer.update(task, loss=loss, status=status)
    model.load_state_dict(best_state)
    make_dense(model)
    return steps, stopping.best


def fit(
    model: nn.Module,
    train: ArrayData,
    val: ArrayData,
    objective: Objective,
    block_size: BlockSize,
    schedule: Schedule | None = None,
    *,
    max_drop: float | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: Progress | None = None,
) -> AdmmReport:
    """ADMM-train ``model`` (already trained densely) so its recurrent weights are block-circulant.

    ``block_size`` as for ``ADMM`` (an int, or per weight/module, with
    ``{"w": K, "r": K}`` per matrix). ``val`` judges every stage and stops
    fine-tuning (``holdout`` makes one from the training data). Returns the
    report; the model is left on ``device`` in eval mode with the best round's weights.
    """
    schedule = schedule or Schedule()
    if max_drop is not None and not max_drop >= 0:
        raise ValueError(f"max_drop must be >= 0, got {max_drop}")
    device = resolve_device(device)
    torch.manual_seed(seed)
    model.to(device)
    start = time.perf_counter()
    dense = Stage("dense", objective.metric(model, val, device), time.perf_counter() - start)
    start = time.perf_counter()
    projected = copy.deepcopy(model)
    project_model(projected, block_size)
    projection = Stage("projection only", objective.metric(projected, val, device), time.perf_counter() - start)
    del projected
    dense_state = copy.deepcopy(model.state_dict())
    trainer = _Trainer(model, objective, train, schedule, seed, device, progress)
    better = (lambda a, b: a > b) if objective.higher_is_better else (lambda a, b: a < b)
    rounds: list[Round] = []
    best_state, best_round = None, None
    start = time.perf_counter()
    total_steps = 0
    rounds_allowed = 1 if max_drop is None else schedule.max_rounds
    for r in range(rounds_allowed):
        sched = schedule.escalate(r)
        plan = sched.plan(train.steps_per_epoch)
        if r:
            model.load_state_dict(dense_state)
        suffix = f" (round {r + 1})" if r else ""
        admm_steps, residual, rho = _admm_phase(trainer, block_size, sched, plan, "admm" + suffix)
        ft_steps, metric = _finetune_phase(trainer, objective, val, block_size, sched, plan, device,
                                           "fine-tune" + suffix)
        total_steps += admm_steps + ft_steps
        rounds.append(Round(admm_steps, residual, ft_steps, metric, rho))
        if best_round is None or better(metric, best_round.metric):
            best_round, best_state = rounds[-1], copy.deepcopy(model.state_dict())
        report = AdmmReport(objective.metric_name, dense, projection, Stage("ADMM", best_round.metric, 0.0),
                            max_drop=max_drop)
        if report.met:
            break
    model.load_state_dict(best_state)
    model.eval()
    admm_stage = Stage("ADMM", best_round.metric, time.perf_counter() - start, total_steps)
    return AdmmReport(objective.metric_name, dense, projection, admm_stage, rounds=tuple(rounds),
                      kept=rounds.index(best_round), max_drop=max_drop, device=str(device))
