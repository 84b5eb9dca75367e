"""The acceptance rule of `ercc explore`: the paired drop and its standard error, cleared by the noise margin."""

import math

import pytest

from ercc.exploration import acceptance


def test_the_paired_drop_counts_only_the_sequences_where_the_two_models_differ():
    dense = [1, 1, 1, 1, 0]
    config = [1, 0, 1, 1, 0]  # one sequence lost
    drop, se = acceptance.paired_drop("accuracy", dense, config)
    assert drop == pytest.approx(0.2)
    assert se == pytest.approx(math.sqrt(0.2) / math.sqrt(5))  # std of [0, 1, 0, 0, 0] (ddof 1) over sqrt(n)
    # the same accuracy reached by trading sequences is a zero drop but not a zero error
    drop, se = acceptance.paired_drop("accuracy", [1, 0, 1, 1], [0, 1, 1, 1])
    assert drop == 0 and se > 0
    assert acceptance.paired_drop("accuracy", dense, dense) == (0.0, 0.0)


def test_a_drop_just_inside_the_limit_needs_the_margin_cleared():
    dense, config = [1] * 100, [1] * 99 + [0]  # 1 point lost, se 0.01
    drop, se = acceptance.paired_drop("accuracy", dense, config)
    assert acceptance.meets(drop, se, 0.01, margin=0)
    assert not acceptance.meets(drop, se, 0.01, margin=1)
    assert acceptance.meets(drop, se, 0.03, margin=1)


def test_a_loss_drop_is_relative_to_dense():
    drop, se = acceptance.paired_drop("loss", [1.0, 1.0, 1.0, 1.0], [1.02, 1.02, 1.02, 1.02])
    assert drop == pytest.approx(0.02) and se == pytest.approx(0.0, abs=1e-12)
    assert acceptance.meets(drop, se, 0.02) and not acceptance.meets(drop, se, 0.019)


def test_per_sequence_values_of_different_shapes_are_refused():
    with pytest.raises(ValueError, match="different or empty shapes"):
        acceptance.paired_drop("accuracy", [1, 0], [1])
