"""The results of an exploration: every trial, the Pareto set, the chosen config, the table and the plot.

The Pareto set is E-RNN's Phase I read as a multi-objective problem: among the
fully trained configs that meet the accuracy drop (by the noise margin of
`acceptance`) and fit the device, those
that no other such config beats on frames/s, weight bytes and DSPs at once
(accuracy is the constraint, not an objective). The chosen config is the
Pareto config with the most frames/s (then fewer weight bytes, fewer DSPs,
higher accuracy). Every hardware figure is ercc's cost-model ESTIMATE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


def hardware(result: dict) -> tuple[float, float, float]:
    """(frames/s, -weight bytes, -DSP): larger is better in each."""
    e = result["estimate"]
    return (e["throughput_fps"], -e["weight_bytes"], -e["dsp"])


def dominates(a: dict, b: dict) -> bool:
    """`a` is at least as good as `b` on every hardware objective, better on one, with no fewer activation bits.

    The activation bits condition: a score from fake-quantized weights does not see
    activation quantization, so fewer activation bits never count as "as accurate".
    """
    ha, hb = hardware(a), hardware(b)
    return (a["config"]["act_bits"] >= b["config"]["act_bits"]
            and all(x >= y for x, y in zip(ha, hb)) and ha != hb)


def pareto(results: list[dict]) -> list[dict]:
    front = [r for r in results if not any(dominates(o, r) for o in results if o is not r)]
    return sorted(front, key=merit)


def merit(result: dict):
    """Sort key, best first: frames/s, then fewer weight bytes, fewer DSPs, higher score, then the label."""
    fps, bytes_, dsp = hardware(result)
    return (-fps, -bytes_, -dsp, -result["score"], result["label"])


@dataclass
class ExploreResult:
    """What `ercc.explore` returns: `.trials`, `.pareto`, `.best`, `.plot()`, `.table()`."""

    trials: list[dict]
    pareto: list[dict]
    best: dict | None
    dense: dict
    summary: dict = field(default_factory=dict)
    folder: Path | None = None

    def table(self, title: str | None = None):
        """The Pareto set (with dense K = 1 for comparison) as a rich Table."""
        from rich.table import Table

        metric = self.dense["metric"]
        table = Table(title=title or "Pareto set (hardware figures are cost-model ESTIMATES)")
        for name in ("config", f"val {metric}", "val drop ± se", "frames/s (est.)", "latency cycles (est.)", "DSP (est.)",
                     "BRAM18K (est.)", "LUT (est.)", "weight bytes (est.)", ""):
            table.add_column(name, justify="left" if name in ("config", "") else "right")
        rows = [(r, "chosen" if self.best is not None and r["label"] == self.best["label"] else "")
                for r in self.pareto]
        dense = next((t for t in self.trials if t["phase"] == "full" and t["config"]["dense"] and t["value"] is not None
                      and t["config"]["weight_bits"] == 16), None)
        if dense is not None and all(r is not dense for r, _ in rows):
            rows.append((dense, "dense"))
        for r, mark in rows:
            e = r["estimate"]
            drop = f"{r['drop']:.4f} ± {r['drop_se']:.4f}" if "drop" in r else ""
            table.add_row(r["label"], f"{r['value']:.4f}", drop, f"{e['throughput_fps']:,.0f}", f"{e['latency_cycles']:,}",
                          f"{e['dsp']:,}", f"{e['bram18k']:,}", f"{e['lut']:,}", f"{e['weight_bytes']:,}", mark)
        return table

    def plot(self, path: str | Path | None = None):
        """Accuracy (or loss) against frames/s; marker area by weight bytes, colour by DSP; the chosen point ringed.

        Returns the matplotlib Figure; with `path` also writes it (PNG) atomically.
        """
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from ercc.compiler.output import write_atomically

        fig, ax = plt.subplots(figsize=(7.5, 5), dpi=110)
        full = [t for t in self.trials if t["phase"] == "full" and t["value"] is not None]
        screen = [t for t in self.trials if t["phase"] == "screen"]
        largest = max([t["estimate"]["weight_bytes"] for t in self.trials] or [1])

        def size(t):
            return 30 + 400 * t["estimate"]["weight_bytes"] / largest

        if screen:
            ax.scatter([t["estimate"]["throughput_fps"] for t in screen], [t["value"] for t in screen],
                       s=[size(t) for t in screen], facecolors="none", edgecolors="0.6", label="screened")
        if full:
            points = ax.scatter([t["estimate"]["throughput_fps"] for t in full], [t["value"] for t in full],
                                s=[size(t) for t in full], c=[t["estimate"]["dsp"] for t in full], cmap="viridis",
                                edgecolors="k", label="full ADMM")
            fig.colorbar(points, ax=ax, label="DSP (estimate)")
        front = self.pareto
        if front:
            ax.plot([t["estimate"]["throughput_fps"] for t in front], [t["value"] for t in front], "--", c="C1",
                    lw=1, label="Pareto set")
        if self.best is not None:
            ax.scatter([self.best["estimate"]["throughput_fps"]], [self.best["value"]], s=size(self.best) * 2.5,
                       facecolors="none", edgecolors="red", linewidths=2, label=f"chosen: {self.best['label']}")
        limit = self.summary.get("threshold_value")
        if limit is not None:
            ax.axhline(limit, c="red", lw=0.8, ls=":", label="max drop from dense")
        ax.axhline(self.dense["value"], c="0.3", lw=0.8, label="dense (float)")
        ax.set_xscale("log")
        ax.set_xlabel("frames/s (cost-model estimate)")
        ax.set_ylabel(f"validation {self.dense['metric']}")
        ax.set_title("ercc explore: marker area = weight bytes (estimate)")
        # labels on the Pareto set only (the table has the rest), alternately above and below: the bit widths
        # of one block-size assignment share a point, and neighbours on the front sit at nearly the same height
        for i, t in enumerate(front):
            ax.annotate(t["label"].rsplit(" dsp", 1)[0], (t["estimate"]["throughput_fps"], t["value"]), fontsize=6,
                        xytext=(3, 6 if i % 2 == 0 else -11), textcoords="offset points", rotation=20)
        ax.legend(fontsize=7, loc="best", markerscale=0.5)
        fig.tight_layout()
        if path is not None:
            write_atomically(path, lambda tmp: fig.savefig(tmp, format="png"))
        return fig
