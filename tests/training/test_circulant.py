"""The torch circulant code must agree exactly with the one numpy definition."""

import numpy as np
import pytest
import torch

from ercc.numerics import circulant as ref
from ercc.training import circulant, make_circulant, make_dense

SHAPES = [(8, 8, 4), (7, 5, 3), (5, 13, 4), (6, 6, 16), (9, 4, 1), (12, 20, 8)]


@pytest.mark.parametrize("rows,cols,k", SHAPES)
def test_project_matches_numpy(rows, cols, k):
    m = np.random.default_rng(rows * cols + k).standard_normal((rows, cols))
    got = circulant.project(torch.from_numpy(m), k).numpy()
    np.testing.assert_allclose(got, ref.project(m, k), rtol=0, atol=1e-12)


def loop_projection(m: np.ndarray, k: int) -> np.ndarray:
    """The definition written out by hand: each block's wrapped diagonal -> mean of its existing entries."""
    p, q = ref.block_grid(*m.shape, k)
    v = np.zeros((p, q, k))
    for bi in range(p):
        for bj in range(q):
            for d in range(k):
                cells = [m[bi * k + i, bj * k + j] for i in range(k) for j in range(k)
                         if (i - j) % k == d and bi * k + i < m.shape[0] and bj * k + j < m.shape[1]]
                v[bi, bj, d] = np.mean(cells) if cells else 0.0
    return v


@pytest.mark.parametrize("rows,cols,k", SHAPES)
def test_shared_index_map_is_the_wrapped_diagonal_mean(rows, cols, k):
    """numpy (bincount) and torch (index_add) both go through entry_index; check it against the loops."""
    m = np.random.default_rng(rows + cols * k).standard_normal((rows, cols))
    np.testing.assert_allclose(ref.project(m, k), loop_projection(m, k), rtol=0, atol=1e-12)
    v = loop_projection(m, k)
    for i in range(rows):
        for j in range(cols):
            assert ref.expand(v, rows, cols)[i, j] == v[i // k, j // k, (i - j) % k]


def test_expand_rejects_vectors_of_the_wrong_grid():
    with pytest.raises(ValueError, match="do not define"):
        circulant.expand(torch.zeros(2, 3, 4), 8, 8)
    with pytest.raises(ValueError, match="do not define"):
        ref.expand(np.zeros((2, 3, 4)), 8, 8)


@pytest.mark.parametrize("rows,cols,k", SHAPES)
def test_expand_matches_numpy(rows, cols, k):
    p, q = ref.block_grid(rows, cols, k)
    v = np.random.default_rng(k).standard_normal((p, q, k))
    assert np.array_equal(circulant.expand(torch.from_numpy(v), rows, cols).numpy(), ref.expand(v, rows, cols))


def test_project_gates_projects_each_gate_and_direction_separately():
    w = np.random.default_rng(0).standard_normal((2, 4 * 6, 5))  # (directions, gates*hidden, in)
    got = circulant.project_gates(torch.from_numpy(w), gates=4, k=4).numpy()
    want = np.stack([np.concatenate([ref.project_dense(g, 4) for g in np.split(d, 4)]) for d in w])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    # a whole-matrix projection would differ: the gates are not one block-circulant matrix
    assert not np.allclose(got[0], ref.project_dense(w[0], 4))


@pytest.mark.parametrize("cell", [torch.nn.LSTM, torch.nn.GRU, torch.nn.RNN])
def test_circulant_parametrization_forward_equals_dense_expansion(cell):
    torch.manual_seed(0)
    model = cell(6, 8, num_layers=2, bidirectional=True)
    x = torch.randn(5, 3, 6)
    make_circulant(model, 4)
    vectors = {n: p.detach().numpy() for n, p in model.named_parameters() if n.endswith(".original")}
    assert vectors and all(v.shape[-1] == 4 for v in vectors.values())
    y = model(x)[0]
    dense = cell(6, 8, num_layers=2, bidirectional=True)
    with torch.no_grad():
        for name, p in dense.named_parameters():
            if name.startswith("weight"):
                v = vectors[f"parametrizations.{name}.original"]
                rows = p.shape[0] // v.shape[0]
                p.copy_(torch.from_numpy(np.concatenate([ref.expand(g, rows, p.shape[1]) for g in v])))
            else:
                p.copy_(getattr(model, name))
    torch.testing.assert_close(y, dense(x)[0], rtol=1e-6, atol=1e-6)


def test_fine_tuning_keeps_weights_exactly_circulant():
    torch.manual_seed(0)
    model = torch.nn.LSTM(5, 8)
    make_circulant(model, 4)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    model(torch.randn(4, 2, 5))[0].pow(2).sum().backward()
    opt.step()
    make_dense(model)
    assert not any(".original" in n for n, _ in model.named_parameters())
    for name in ("weight_ih_l0", "weight_hh_l0"):
        w = getattr(model, name).detach().numpy()
        for gate in np.split(w, 4):
            assert np.array_equal(ref.project_dense(gate, 4), gate)
