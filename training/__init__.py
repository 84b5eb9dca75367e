"""ADMM training of block-circulant recurrent networks (the ``train`` extra).

This package is the only place in ercc that imports torch; the compiler core
never imports it.

The stable public API:

* ``fit(model, train, val, objective, block_size, schedule=None, *, max_drop, seed, device, progress)``
  → ``AdmmReport``: convergence-driven ADMM, hard projection, early-stopped
  circulant fine-tuning, judged on validation data (``ercc.training.fit``);
* ``Schedule`` (the defaults, counted in optimizer steps derived from the data
  size), its ``Plan`` and the fine-tuning stop rule ``EarlyStopping``
  (``ercc.training.schedule``);
* ``ArrayData``, ``holdout`` (seeded, stratified) and ``Objective``
  (classification/regression) (``ercc.training.data``);
* ``AdmmReport``, ``Stage``, ``Round`` (``ercc.training.report``);
* the building blocks ``ADMM``, ``make_circulant``, ``make_dense``,
  ``project_model``, ``recurrent_targets``; a block size is an int, or a
  mapping from weight/module names to an int or ``{"w": K_W, "r": K_R}``.
"""

from ercc.training.admm import ADMM
from ercc.training.data import ArrayData, Objective, holdout
from ercc.training.fit import fit, resolve_device
from ercc.training.report import AdmmReport, Round, Stage
from ercc.training.schedule import EarlyStopping, Plan, Schedule
from ercc.training.wrap import make_circulant, make_dense, project_model, recurrent_targets

__all__ = ["ADMM", "AdmmReport", "ArrayData", "EarlyStopping", "Objective", "Plan", "Round", "Schedule", "Stage", "fit", "holdout",
           "make_circulant", "make_dense", "project_model", "recurrent_targets", "resolve_device"]
