"""Design-space exploration (`ercc explore`, `ercc.explore(...)`): block sizes, bits and PEs under an accuracy limit.

Needs the `explore` extra (optuna, ray, matplotlib, pyyaml) and the `train`
extra (torch). docs/explore.md describes the method and the outputs.
"""

from ercc.exploration.results import ExploreResult
from ercc.exploration.run import explore

__all__ = ["ExploreResult", "explore"]
