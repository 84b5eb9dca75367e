"""The screening rule of `ercc explore`: which screened configs get a full ADMM, and in which order.

Why not a threshold on the screen's accuracy: a short ADMM (80 steps on 512
sequences) loses tens of points at K >= 4 that a full ADMM wins back
(FSDD LSTM, docs/admm_results.md: projection alone 19-34 %, full ADMM within
0.4 points of dense up to K = 16), so any level the screen must reach
discards configs the full ADMM keeps (measured: docs/explore.md). The
screen ranks; it does not predict the level. The rule (docs/explore.md):

1. **Candidates**: configs that fit the device and that no other fitting
   config beats on every hardware objective (frames/s, weight bytes, DSP,
   no fewer activation bits) while screening better by more than the
   screen's noise margin (`MARGIN` × max_drop, in the metric's units).
2. **Full ADMM in lattice order**: block sizes are ordered matrix by
   matrix; a full ADMM assumes accuracy falls as block sizes grow (E-RNN's
   observation). The next training is the undecided block-size assignment
   nearest the median compression of those left (bisection of the
   lattice), best hardware merit first among equals. After each training a
   candidate is decided without training when
   * a trained config meeting the limit beats it on every hardware
     objective (it cannot be Pareto-optimal: exact), or
   * a trained config with block sizes no larger, matrix by matrix, and no
     fewer bits missed the limit clearly, by more than another max_drop (it
     would miss too: the assumption the audit measures). A near miss settles
     nothing: on 288 validation samples one point is about one standard
     error, and the audit found K = 16 meeting the limit where K = 8 had
     missed it by one sample.

Dense configs (every K = 1) need no ADMM: they are scored first, for free.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable

from ercc.exploration.results import hardware, merit

# The screen's noise margin in units of --max-drop: a screen score better by more than MARGIN × max_drop
# (accuracy points, or relative loss) is taken as really better; docs/explore.md has the audit it rests on.
MARGIN = 5.0

SKIP_DOMINATED = "skipped: dominated by a trained config that meets the limit"
SKIP_PREDICTED = "skipped: block sizes at least those of a trained config that clearly misses the limit"


def fits(result: dict) -> bool:
    return not result["estimate"]["over_device"]


def meets(value: float, metric: str, dense: float, max_drop: float) -> bool:
    """Within `max_drop` of dense: accuracy points, or the loss's relative increase."""
    lost = dense - value if metric == "accuracy" else value - dense
    allowed = max_drop if metric == "accuracy" else dense * max_drop
    return lost <= allowed + 1e-12


def margin(metric: str, dense: float, max_drop: float) -> float:
    """The screen noise margin in score units (score: accuracy, or -loss)."""
    return MARGIN * max_drop * (1.0 if metric == "accuracy" else abs(dense))


def _at_least(a: dict, b: dict) -> bool:
    """`a` is at least as good as `b` on every hardware objective, with no fewer activation bits."""
    return a["config"]["act_bits"] >= b["config"]["act_bits"] and all(
        x >= y for x, y in zip(hardware(a), hardware(b)))


def candidates(screened: list[dict], metric: str, dense: float, max_drop: float) -> list[dict]:
    """Rule 1: fitting configs not beaten on hardware by one that screens better beyond the margin."""
    fitting = [r for r in screened if fits(r)]
    m = margin(metric, dense, max_drop)
    return sorted((r for r in fitting if not any(
        o is not r and _at_least(o, r) and o["score"] > r["score"] + m + 1e-12 for o in fitting)), key=merit)


def is_dense(result: dict) -> bool:
    return all(k == 1 for k in result["config"]["block_sizes"].values())


def _no_larger(a: dict, b: dict) -> bool:
    """Every matrix's block size of `a` is at most that of `b`."""
    ka, kb = a["config"]["block_sizes"], b["config"]["block_sizes"]
    return all(ka[n] <= kb[n] for n in ka)


def clearly_misses(value: float, metric: str, dense: float, max_drop: float) -> bool:
    """Misses the limit by more than another `max_drop`: beyond the validation set's noise."""
    return not meets(value, metric, dense, 2 * max_drop)


def skip_reason(c: dict, trained: list[dict], accurate: Callable[[dict], bool],
                clear_miss: Callable[[dict], bool]) -> str | None:
    """Why candidate `c` needs no full ADMM given the trained results (`accurate`: meets the limit,
    `clear_miss`: misses it by more than another max_drop)."""
    from ercc.exploration.results import dominates

    if any(fits(t) and accurate(t) and dominates(t, c) for t in trained):
        return SKIP_DOMINATED
    if not is_dense(c) and any(
            clear_miss(t) and _no_larger(t, c) and t["config"]["weight_bits"] >= c["config"]["weight_bits"]
            and t["config"]["act_bits"] >= c["config"]["act_bits"] for t in trained):
        return SKIP_PREDICTED
    return None


def _level(result: dict) -> float:
    """Compression of a block-size assignment: the sum of log2 K over the matrices."""
    return sum(math.log2(k) for k in result["config"]["block_sizes"].values())


def next_assignments(undecided: list[dict], key: Callable[[dict], str], jobs: int) -> list[str]:
    """Rule 2's order: the `jobs` training keys nearest the median compression, best merit first among equals."""
    groups: dict[str, list[dict]] = {}
    for c in undecided:
        groups.setdefault(key(c), []).append(c)
    if any(is_dense(g[0]) for g in groups.values()):  # dense first: scored without training
        return [k for k, g in groups.items() if is_dense(g[0])]
    median = statistics.median_low(sorted(_level(g[0]) for g in groups.values()))
    order = sorted(groups, key=lambda k: (abs(_level(groups[k][0]) - median), min(merit(c) for c in groups[k])))
    return order[:jobs]
