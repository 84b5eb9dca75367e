"""``ercc.training.fit``: the convergence-driven schedule, validation, the report, per-matrix block sizes."""

import numpy as np
import pytest
import torch
from torch import nn

from ercc.numerics import circulant as ref
from ercc.training import ArrayData, EarlyStopping, Objective, Schedule, fit, holdout, recurrent_targets


class _Net(nn.Module):
    def __init__(self, hidden=8):
        super().__init__()
        self.rnn = nn.LSTM(4, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 3)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


def _task(n=160, seed=0):
    """Three classes told apart by the sign pattern of the mean of two features: learnable in a few hundred steps."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 6, 4)).astype(np.float32)
    m = x[:, :, :2].mean(1)
    y = np.where(m[:, 0] > 0.2, 0, np.where(m[:, 1] > 0, 1, 2)).astype(np.int64)
    return ArrayData((x,), y)


def _dense(data, steps=60):
    torch.manual_seed(0)
    model, objective = _Net(), Objective.classification()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(steps // data.steps_per_epoch):
        for xs, y in data.batches(0, epoch):
            loss = objective.loss(model, xs, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


# Z-updates every 10 steps: Adam at lr 3e-3 must be able to move W between them, or the dual outruns it.
SMALL = Schedule(period_min=10, period_max=10, admm_min_periods=3, admm_max_periods=30,
                 finetune_min_periods=2, finetune_max_periods=6, patience=2)


def _exact(model, k_w, k_r):
    for t in recurrent_targets(model, {"rnn": {"w": k_w, "r": k_r}}):
        for gate in np.split(t.weight().detach().numpy(), t.gates):
            assert np.array_equal(ref.project_dense(gate, t.k), gate)
    return True


def test_holdout_is_seeded_stratified_and_refuses_too_little_data():
    data = _task()
    train, val = holdout(data, 0.25, seed=3)
    again = holdout(data, 0.25, seed=3)[1]
    assert np.array_equal(val.targets, again.targets) and np.array_equal(val.inputs[0], again.inputs[0])
    assert len(train) + len(val) == len(data)
    for c in range(3):
        share = (val.targets == c).sum() / (data.targets == c).sum()
        assert abs(share - 0.25) < 0.05
    assert not np.array_equal(holdout(data, 0.25, seed=4)[1].inputs[0], val.inputs[0])
    with pytest.raises(ValueError, match="too few"):
        holdout(ArrayData((np.zeros((3, 2, 4), np.float32),), np.arange(3)), 0.15)


def test_schedule_counts_steps_from_the_data_size():
    s = Schedule()
    small, large = s.plan(9), s.plan(938)  # 270 and 30,000 sequences in batches of 32
    assert small.period == s.period_min and large.period == s.period_max
    assert small.admm_min_steps == s.admm_min_periods * s.period_min
    assert large.admm_max_steps == s.admm_max_periods * s.period_max
    capped = Schedule(max_epochs=3, finetune_max_epochs=1).plan(9)
    assert capped.admm_max_steps == 27 and capped.finetune_max_steps == 9 and capped.admm_min_steps == 27
    harder = s.escalate(1)
    assert harder.rho_max == 10 * s.rho_max and harder.tol == s.tol / 2 and harder.patience == 2 * s.patience
    with pytest.raises(ValueError):
        Schedule(tol=0)


def test_fit_reports_stages_and_leaves_exactly_circulant_weights_per_matrix():
    data = _task()
    train, val = holdout(data, 0.25, seed=0)
    model = _dense(train)
    report = fit(model, train, val, Objective.classification(), {"rnn": {"w": 2, "r": 4}}, SMALL,
                 seed=0, device="cpu")
    assert _exact(model, 2, 4)
    assert report.metric_name == "accuracy" and report.met and report.device == "cpu"
    assert [s.name for s in (report.dense, report.projection, report.admm)] == ["dense", "projection only", "ADMM"]
    assert report.admm.metric == pytest.approx(Objective.classification().metric(model, val))
    assert report.admm.metric >= report.projection.metric
    assert len(report.rounds) == 1 and report.admm.steps == report.rounds[0].admm_steps + report.rounds[0].finetune_steps
    assert SMALL.plan(train.steps_per_epoch).admm_min_steps <= report.rounds[0].admm_steps <= 300
    assert report.residual < 0.2 < report.rounds[0].rho  # ADMM moved W most of the way before the projection
    # deterministic on CPU for a seed
    again = _dense(train)
    assert fit(again, train, val, Objective.classification(), {"rnn": {"w": 2, "r": 4}}, SMALL,
               seed=0, device="cpu").admm.metric == report.admm.metric
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))


def test_max_drop_runs_extra_rounds_and_says_when_it_is_not_met():
    data = _task()
    train, val = holdout(data, 0.25, seed=0)
    model = _dense(train)
    tiny = Schedule(period_min=2, period_max=2, admm_min_periods=1, admm_max_periods=1,
                    finetune_min_periods=1, finetune_max_periods=1, patience=1, max_rounds=2)
    report = fit(model, train, val, Objective.classification(), 4, tiny, max_drop=0.0, seed=0, device="cpu")
    assert len(report.rounds) == 2 or report.met
    assert report.met == (report.drop <= 0.0)
    if not report.met:
        assert "NOT met" in report.table().title and "round(s)" in report.summary()
    with pytest.raises(ValueError, match="max_drop"):
        fit(model, train, val, Objective.classification(), 4, tiny, max_drop=-0.1)


def test_block_size_mapping_per_matrix_and_errors():
    model = nn.LSTM(4, 8)
    ks = {t.name: t.k for t in recurrent_targets(model, {"": {"w": 2, "r": 4}})}
    assert ks == {"weight_ih_l0": 2, "weight_hh_l0": 4}
    only_r = [t.name for t in recurrent_targets(model, {"weight_hh_l0": 4})]
    assert only_r == ["weight_hh_l0"]
    with pytest.raises(ValueError, match="unknown matrix 'x'"):
        recurrent_targets(model, {"": {"x": 2}})
    with pytest.raises(ValueError, match="names no recurrent weight"):
        recurrent_targets(model, {"rnn2": 2})


def test_early_stopping_counts_loss_progress_and_keeps_the_best_by_metric_then_loss():
    stop = EarlyStopping(0.90, 0.50, higher_is_better=True, patience=3, plateau=2)
    stop.update(0.90, 0.40)  # accuracy flat, loss better: progress, and the best (tie broken by loss)
    assert stop.is_best and stop.stale == 0 and not stop.stop
    stop.update(0.92, 0.45)  # accuracy better, loss worse: progress, best by metric
    assert stop.is_best and stop.best == 0.92 and stop.stale == 0
    stop.update(0.91, 0.41)  # neither beats its best: stale
    assert not stop.is_best and stop.stale == 1 and not stop.decay
    stop.update(0.92, 0.42)  # ties the best accuracy with a better loss than then: the best weights, not progress
    assert stop.is_best and stop.stale == 2 and stop.decay  # plateau: halve the learning rate
    stop.update(0.90, 0.43)
    assert stop.stop and not stop.decay and stop.best == 0.92
    lower = EarlyStopping(1.0, 1.0, higher_is_better=False, patience=1, plateau=1)
    lower.update(0.5, 0.5)
    assert lower.is_best and lower.best == 0.5
    lower.update(0.6, 0.6)
    assert lower.stop and lower.best == 0.5


def test_evaluate_gives_the_accuracy_and_the_mean_loss():
    data = _task(n=40)
    model, objective = _dense(data, steps=0), Objective.classification()
    accuracy, loss = objective.evaluate(model, data)
    with torch.no_grad():
        out = model(torch.from_numpy(data.inputs[0]))
    target = torch.from_numpy(data.targets)
    assert accuracy == pytest.approx(float((out.argmax(-1) == target).float().mean()))
    assert loss == pytest.approx(float(nn.functional.cross_entropy(out, target)), rel=1e-5)
    regression = Objective.regression()
    assert regression.evaluate(model, ArrayData(data.inputs, out.numpy()))[0] == pytest.approx(0.0, abs=1e-10)
