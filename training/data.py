"""Training data, the seeded stratified hold-out, and the objective (loss + validation metric).

``ArrayData`` holds numpy arrays (one per model input, the batch on
``batch_axis``; targets with the batch first) and yields mini-batches in an
order that is a pure function of (seed, epoch), so runs are deterministic on
CPU. ``holdout`` splits off a validation share, stratified by class for
integer labels. ``Objective`` says how to train (the loss) and how to judge
(accuracy for classification, the loss itself for regression/distillation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from ercc.numerics.intmath import ceil_div

Batch = tuple[tuple[torch.Tensor, ...], torch.Tensor]
Forward = Callable[[nn.Module, tuple[torch.Tensor, ...]], torch.Tensor]


@dataclass(frozen=True)
class ArrayData:
    """Model inputs (batch on ``batch_axis``) and targets (batch first): integer labels or float targets."""

    inputs: tuple[np.ndarray, ...]
    targets: np.ndarray
    batch_size: int = 32
    batch_axis: int = 0
    full_batches: bool = False  # drop the last, incomplete batch (graphs with a fixed batch size)

    def __post_init__(self) -> None:
        counts = {x.shape[self.batch_axis] for x in self.inputs} | {len(self.targets)}
        if len(counts) != 1:
            raise ValueError(f"inputs and targets disagree on the number of samples: {sorted(counts)}")
        if self.batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {self.batch_size}")

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def steps_per_epoch(self) -> int:
        return len(self) // self.batch_size if self.full_batches else ceil_div(len(self), self.batch_size)

    @property
    def classification(self) -> bool:
        return self.targets.dtype.kind in "iu"

    def take(self, index: np.ndarray) -> ArrayData:
        """The samples at ``index`` (same batch size and axis)."""
        return replace(self, inputs=tuple(np.take(x, index, axis=self.batch_axis) for x in self.inputs),
                       targets=self.targets[index])

    def batches(self, seed: int, epoch: int, device: torch.device | str = "cpu") -> Iterator[Batch]:
        """Mini-batches in a seeded order that depends only on (seed, epoch); epoch -1 is in order."""
        n = len(self)
        order = np.arange(n) if epoch < 0 else np.random.default_rng([seed, epoch]).permutation(n)
        for lo in range(0, n - (n % self.batch_size if self.full_batches else 0), self.batch_size):
            idx = order[lo:lo + self.batch_size]
            xs = tuple(torch.from_numpy(np.take(x, idx, axis=self.batch_axis)).to(device) for x in self.inputs)
            yield xs, torch.from_numpy(self.targets[idx]).to(device)


def holdout(data: ArrayData, fraction: float = 0.15, seed: int = 0) -> tuple[ArrayData, ArrayData]:
    """(train, validation): a seeded share of the samples, stratified by class for integer labels.

    Every class keeps at least one training sample and gives round(fraction ·
    its count) to validation; a split that leaves either side empty is a
    ``ValueError`` (too little data to hold anything out).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"validation fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng([seed, 7919])
    if data.classification and data.targets.ndim == 1:
        groups = [np.flatnonzero(data.targets == c) for c in np.unique(data.targets)]
    else:
        groups = [np.arange(len(data))]
    val = []
    for group in groups:
        take = min(int(round(fraction * len(group))), len(group) - 1)
        val.extend(rng.permutation(group)[:take].tolist())
    val_index = np.array(sorted(val), dtype=np.int64)
    train_index = np.setdiff1d(np.arange(len(data)), val_index)
    if len(val_index) == 0 or len(train_index) == 0:
        raise ValueError(f"{len(data)} samples are too few to hold out a validation share of {fraction:g}"
                         " (pass a separate validation set)")
    return data.take(train_index), data.take(val_index)


@dataclass(frozen=True)
class Objective:
    """How to train and how to judge: ``loss(model, inputs, target)`` and ``metric(model, data)``.

    ``metric_name`` is "accuracy" (higher is better, a fraction) or "loss"
    (lower is better); the ADMM report and ``max_drop`` read it.
    """

    forward: Forward
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    metric_name: str

    @classmethod
    def classification(cls, forward: Forward | None = None, log_probs: bool = False) -> Objective:
        """Cross-entropy on logits (or NLL if the model already outputs log-probabilities); accuracy."""
        fn = nn.functional.nll_loss if log_probs else nn.functional.cross_entropy
        return cls(forward or _call, lambda out, y: fn(out.flatten(0, -2), y.flatten()), "accuracy")

    @classmethod
    def regression(cls, forward: Forward | None = None) -> Objective:
        """Mean squared error, judged by itself (regression and distillation)."""
        return cls(forward or _call, nn.functional.mse_loss, "loss")

    @property
    def higher_is_better(self) -> bool:
        return self.metric_name == "accuracy"

    def loss(self, model: nn.Module, inputs: tuple[torch.Tensor, ...], target: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(self.forward(model, inputs), target)

    def metric(self, model: nn.Module, data: ArrayData, device: torch.device | str = "cpu") -> float:
        """Accuracy (fraction correct) or mean loss over ``data``, in eval mode."""
        return self.evaluate(model, data, device)[0]

    @torch.no_grad()
    def evaluate(self, model: nn.Module, data: ArrayData, device: torch.device | str = "cpu") -> tuple[float, float]:
        """(metric, mean loss) over ``data`` in eval mode; for regression both are the loss.

        The loss is the smooth signal early stopping needs: on a few hundred
        validation samples accuracy moves in steps of one sample and stays
        flat for many periods while the model is still improving.
        """
        was_training = model.training
        model.eval()
        correct, total, count = 0.0, 0.0, 0
        for xs, y in data.batches(0, -1, device):
            out = self.forward(model, xs)
            total += float(self.loss_fn(out, y)) * len(y)
            count += len(y)
            if self.higher_is_better:
                correct += float((out.argmax(-1) == y).sum()) / max(y[0].numel(), 1)
        model.train(was_training)
        loss = total / max(count, 1)
        return (correct / max(count, 1) if self.higher_is_better else loss), loss


def _call(model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> torch.Tensor:
    return model(*inputs)
