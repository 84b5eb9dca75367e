"""The ADMM schedule: convergence-driven, with floors and ceilings in optimizer steps derived from the data size.

Epoch counts do not transfer between data sets (270 sequences give 9
optimizer steps an epoch, 30,000 give 938), so every length here is counted
in optimizer steps, as multiples of one *period*: about one epoch, clamped to
[``period_min``, ``period_max``] steps. One Z-update (and one ρ increase) per
period during ADMM, one validation per period during fine-tuning:

* ADMM runs until the relative primal residual ‖W − Z‖/‖W‖ is at most
  ``tol``, but at least ``admm_min_periods`` and at most ``admm_max_periods``
  periods (``max_epochs`` caps it further); the learning rate follows a
  cosine from ``lr`` to ``lr · lr_final`` over the ceiling, so Adam's jitter
  around Z − U shrinks and the residual keeps falling.
* Fine-tuning (circulant parameterization) validates every period, halves
  the learning rate after ``plateau`` periods without progress, stops after
  ``patience`` such periods (no earlier than ``finetune_min_periods``, no
  later than ``finetune_max_periods`` or ``finetune_max_epochs``) and
  restores the best weights (``EarlyStopping``: progress is the validation
  metric *or* loss improving). It is a training run of its own, not a touch-up:
  the hard projection after ADMM moves the weights by the final residual and
  the model must re-learn in the smaller parameter space, so it starts at the
  ADMM learning rate and its ceiling is long. (Measured on digits-gru at K = 8:
  stopped by accuracy alone after 13 periods at lr 1e-3 it ended at 94 %
  training accuracy, 3 points under dense; run on, 99.8 %.)
* Every step clips the gradient norm to ``clip_norm``.

``escalate(r)`` is the schedule of the r-th extra round when a ``max_drop``
is not met: a ten times larger ρ ceiling, half the tolerance, twice the
fine-tuning patience and ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


class EarlyStopping:
    """The fine-tuning stop rule, fed one validation (metric, loss) per period.

    A period is progress when the metric beats its best or the loss beats
    its best (the loss is the finer signal: accuracy on a few hundred samples
    moves in steps of one sample and can sit still for many periods while the
    model keeps learning). ``decay`` turns true after ``plateau`` periods
    without progress (then counts again), ``stop`` after ``patience``.
    ``is_best`` says whether the last figures are the best so far: by metric,
    ties broken by the loss.
    """

    def __init__(self, metric: float, loss: float, higher_is_better: bool, patience: int, plateau: int):
        self.sign = 1.0 if higher_is_better else -1.0
        self.patience, self.plateau = patience, plateau
        self.best_metric, self.best_loss = metric, loss
        self.best_key = (self.sign * metric, -loss)
        self.stale = self.since_decay = 0
        self.is_best = self.decay = False

    @property
    def best(self) -> float:
        """The metric of the best figures seen (the weights to keep)."""
        return self.sign * self.best_key[0]

    @property
    def stop(self) -> bool:
        return self.stale >= self.patience

    def update(self, metric: float, loss: float) -> None:
        """Record one validation; sets ``is_best`` and ``decay`` for this period."""
        key = (self.sign * metric, -loss)
        progress = self.sign * metric > self.sign * self.best_metric or loss < self.best_loss
        if self.sign * metric > self.sign * self.best_metric:
            self.best_metric = metric
        self.best_loss = min(loss, self.best_loss)
        self.is_best = key > self.best_key
        if self.is_best:
            self.best_key = key
        self.stale, self.since_decay = (0, 0) if progress else (self.stale + 1, self.since_decay + 1)
        self.decay = self.since_decay >= self.plateau
        if self.decay:
            self.since_decay = 0


@dataclass(frozen=True)
class Plan:
    """A schedule resolved for one data size: every length in optimizer steps."""

    period: int
    admm_min_steps: int
    admm_max_steps: int
    finetune_min_steps: int
    finetune_max_steps: int


@dataclass(frozen=True)
class Schedule:
    """Hyper-parameters of ADMM training whose defaults need no tuning per data set (see the module doc)."""

    tol: float = 1e-2
    lr: float = 3e-3
    lr_final: float = 0.05
    finetune_lr: float = 3e-3
    clip_norm: float = 5.0
    rho: float = 1e-2
    rho_factor: float = 1.25
    rho_max: float = 100.0
    period_min: int = 20
    period_max: int = 150
    admm_min_periods: int = 10
    admm_max_periods: int = 60
    finetune_min_periods: int = 5
    finetune_max_periods: int = 100
    patience: int = 10
    plateau: int = 4
    max_epochs: int | None = None
    finetune_max_epochs: int | None = None
    max_rounds: int = 3

    def __post_init__(self) -> None:
        positive = {"tol": self.tol, "lr": self.lr, "finetune_lr": self.finetune_lr, "rho": self.rho,
                    "clip_norm": self.clip_norm}
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"{name} must be > 0, got {value}")
        if self.rho_factor < 1 or self.rho_max < self.rho or not 0 < self.lr_final <= 1:
            raise ValueError("need rho_factor >= 1, rho_max >= rho and 0 < lr_final <= 1")
        counts = {"period_min": self.period_min, "admm_min_periods": self.admm_min_periods,
                  "finetune_min_periods": self.finetune_min_periods, "patience": self.patience,
                  "plateau": self.plateau, "max_rounds": self.max_rounds}
        for name, value in counts.items():
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if self.period_max < self.period_min or self.admm_max_periods < self.admm_min_periods \
                or self.finetune_max_periods < self.finetune_min_periods:
            raise ValueError("every ceiling must be at least its floor")
        for name, value in (("max_epochs", self.max_epochs), ("finetune_max_epochs", self.finetune_max_epochs)):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")

    def plan(self, steps_per_epoch: int) -> Plan:
        """Step counts for data giving ``steps_per_epoch`` mini-batches; epoch caps lower the ceilings."""
        period = min(max(steps_per_epoch, self.period_min), self.period_max)
        admm_max = self.admm_max_periods * period
        finetune_max = self.finetune_max_periods * period
        if self.max_epochs is not None:
            admm_max = min(admm_max, self.max_epochs * steps_per_epoch)
        if self.finetune_max_epochs is not None:
            finetune_max = min(finetune_max, self.finetune_max_epochs * steps_per_epoch)
        return Plan(period, min(self.admm_min_periods * period, admm_max), admm_max,
                    min(self.finetune_min_periods * period, finetune_max), finetune_max)

    def escalate(self, round_index: int) -> Schedule:
        """The schedule of extra round ``round_index`` (1, 2, ...): larger ρ, tighter tol, longer fine-tuning."""
        if round_index == 0:
            return self
        f = 2 ** round_index
        return replace(self, rho_max=self.rho_max * 10 ** round_index, tol=self.tol / f,
                       patience=self.patience * f, finetune_max_periods=self.finetune_max_periods * f)
