"""What an ADMM run achieved on validation data: dense, projection only and ADMM, with the time each took.

``drop`` is in the metric's own terms: accuracy points as a fraction (0.01 =
one point) for classification, the relative loss increase for regression and
distillation; ``max_drop`` (when given) is compared with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.table import Table


@dataclass(frozen=True)
class Stage:
    """One row of the report: a model's validation figure and how it was obtained."""

    name: str  # "dense", "projection only", "ADMM"
    metric: float
    seconds: float
    steps: int = 0


@dataclass(frozen=True)
class Round:
    """One ADMM + fine-tuning round (extra rounds run only for an unmet ``max_drop``)."""

    admm_steps: int
    residual: float
    finetune_steps: int
    metric: float
    rho: float


@dataclass(frozen=True)
class AdmmReport:
    """The figures of one ``fit``: the three stages, the rounds run, and whether ``max_drop`` was met."""

    metric_name: str  # "accuracy" or "loss"
    dense: Stage
    projection: Stage
    admm: Stage
    rounds: tuple[Round, ...] = field(default_factory=tuple)
    kept: int = 0  # index of the round whose weights the model holds
    max_drop: float | None = None
    device: str = "cpu"

    @property
    def higher_is_better(self) -> bool:
        return self.metric_name == "accuracy"

    def drop_of(self, metric: float) -> float:
        """How much worse ``metric`` is than dense: points (fraction) or relative loss."""
        if self.higher_is_better:
            return self.dense.metric - metric
        return (metric - self.dense.metric) / max(abs(self.dense.metric), 1e-12)

    @property
    def drop(self) -> float:
        return self.drop_of(self.admm.metric)

    @property
    def met(self) -> bool:
        """True without a ``max_drop``; otherwise whether the ADMM model is within it."""
        return self.max_drop is None or self.drop <= self.max_drop + 1e-12

    @property
    def residual(self) -> float:
        """The primal residual at the end of the kept round's ADMM phase."""
        return self.rounds[self.kept].residual if self.rounds else float("nan")

    @property
    def seconds(self) -> float:
        return self.dense.seconds + self.projection.seconds + self.admm.seconds

    def format_metric(self, value: float) -> str:
        return f"{100 * value:.2f} %" if self.higher_is_better else f"{value:.4g}"

    def format_drop(self, value: float) -> str:
        """A drop as the change from dense: "-1.25 points" (accuracy), "+3.0 %" (loss)."""
        return f"{-100 * value:+.2f} points" if self.higher_is_better else f"{100 * value:+.1f} %"

    def table(self) -> Table:
        """The report as a rich table (validation figure, drop from dense, steps, seconds)."""
        title = f"validation {self.metric_name}"
        if self.max_drop is not None:
            verdict = "met" if self.met else "NOT met"
            limit = f"{100 * self.max_drop:.2f} points" if self.higher_is_better else f"{100 * self.max_drop:.1f} %"
            title += f" — max drop {limit} {verdict}"
        table = Table(title=title)
        for column in ("model", self.metric_name, "vs dense", "steps", "seconds"):
            table.add_column(column, justify="left" if column == "model" else "right")
        for stage in (self.dense, self.projection, self.admm):
            drop = "" if stage is self.dense else self.format_drop(self.drop_of(stage.metric))
            table.add_row(stage.name, self.format_metric(stage.metric), drop, str(stage.steps), f"{stage.seconds:.1f}")
        return table

    def summary(self) -> str:
        """One line for logs and error messages."""
        return (f"dense {self.format_metric(self.dense.metric)}, projection only "
                f"{self.format_metric(self.projection.metric)}, ADMM {self.format_metric(self.admm.metric)} "
                f"({self.format_drop(self.drop)}; {len(self.rounds)} round(s), residual {self.residual:.1e}, "
                f"{self.admm.steps} steps, {self.admm.seconds:.1f} s)")
