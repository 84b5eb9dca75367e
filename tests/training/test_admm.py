"""ADMM drives the recurrent weights onto the block-circulant set while fitting the task."""

import numpy as np
import pytest
import torch

from ercc.numerics import circulant as ref
from ercc.training import ADMM, recurrent_targets


def _toy(seed=0):
    """A GRU regressing a fixed random teacher's outputs: a task dense weights fit better."""
    torch.manual_seed(seed)
    model, teacher = torch.nn.GRU(4, 8), torch.nn.GRU(4, 8)
    x = torch.randn(10, 16, 4)
    with torch.no_grad():
        y = teacher(x)[0]
    return model, x, y


def _train(model, x, y, admm, steps):
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = (model(x)[0] - y).pow(2).mean() + admm.penalty()
        opt.zero_grad()
        loss.backward()
        opt.step()
        admm.step()


def test_admm_drives_primal_residual_down_and_finalize_is_exact():
    model, x, y = _toy()
    admm = ADMM(model, block_size=4, rho=1e-2, rho_factor=1.5, rho_max=10.0, update_every=25, tol=1e-2)
    start = admm.primal_residual()
    assert start > 0.5 and not admm.converged()
    _train(model, x, y, admm, 300)
    assert admm.updates == 12 and admm.rho == pytest.approx(1e-2 * 1.5**12)
    assert admm.primal_residual() < start / 20
    assert admm.projection_distance() < start / 20
    admm.finalize()
    for t in admm.targets:
        for gate in np.split(t.weight().detach().numpy(), 3):
            assert np.array_equal(ref.project_dense(gate, 4), gate)


def test_rho_schedule_is_capped_and_keeps_unscaled_dual():
    model, x, y = _toy()
    admm = ADMM(model, block_size=4, rho=0.1, rho_factor=2.0, rho_max=0.3, update_every=1)
    _train(model, x, y, admm, 1)
    before = [admm.rho * u.clone() for u in admm.U]
    rho = admm.rho
    admm._set_rho(0.3)
    assert [admm.rho * u for u in admm.U][0].allclose(before[0]) and rho == 0.2
    _train(model, x, y, admm, 5)
    assert admm.rho == pytest.approx(0.3)


def test_penalty_is_zero_on_the_constraint_set():
    model, _, _ = _toy()
    admm = ADMM(model, block_size=2)
    admm.finalize()
    fresh = ADMM(model, block_size=2)
    assert fresh.penalty().item() == pytest.approx(0.0, abs=1e-12)
    assert fresh.primal_residual() == pytest.approx(0.0, abs=1e-7)


def test_block_size_mapping_names_weights_and_rejects_typos():
    model = torch.nn.Sequential(torch.nn.LSTM(4, 8, num_layers=2))
    targets = recurrent_targets(model, {"0.weight_hh_l1": 4, "0.weight_ih_l0": 2})
    assert [(t.name, t.k, t.gates) for t in targets] == [("0.weight_ih_l0", 2, 4), ("0.weight_hh_l1", 4, 4)]
    assert len(recurrent_targets(model, {"0": 8})) == 4
    with pytest.raises(ValueError, match="weight_hh_l9"):
        recurrent_targets(model, {"0.weight_hh_l9": 4})
    with pytest.raises(ValueError, match="no recurrent weights"):
        recurrent_targets(torch.nn.Linear(2, 2), 4)
