"""ADMM training of block-circulant recurrent networks (the ``train`` extra).

This package is the only place in ercc that imports torch; the compiler core
never imports it.
"""

from ercc.training.admm import ADMM
from ercc.training.wrap import make_circulant, make_dense, project_model, recurrent_targets

__all__ = ["ADMM", "make_circulant", "make_dense", "project_model", "recurrent_targets"]
