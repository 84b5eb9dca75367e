"""ADMM-train a small LSTM classifier to block-circulant weights (K = 4), then fine-tune and export.

Runs in well under a minute on one CPU thread:
    .venv/bin/python examples/admm_example.py
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import torch
from torch import nn

from ercc.numerics.circulant import project_dense
from ercc.training import ADMM, make_circulant, make_dense, project_model

K = 4


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        return self.head(self.lstm(x)[0][:, -1])


def toy_data(n: int, rng: np.random.Generator):
    """Which of 4 channels carries a burst: needs memory across the sequence."""
    y = rng.integers(0, 4, n)
    x = rng.standard_normal((n, 12, 8)).astype(np.float32) * 0.5
    x[np.arange(n), rng.integers(0, 6, n), y] += 3.0
    return torch.from_numpy(x), torch.from_numpy(y)


def epoch(model, optimizer, x, y, admm=None):
    for idx in torch.randperm(len(y)).split(64):
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        if admm:
            loss = loss + admm.penalty()             # W-step: task loss + ρ/2‖W − Z + U‖²
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if admm:
            admm.step()                              # Z = project(W + U); U += W − Z (every update_every steps)


def accuracy(model, x, y) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean()) * 100


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    (x, y), (xt, yt) = toy_data(2000, rng), toy_data(500, rng)
    model = Classifier()

    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(10):
        epoch(model, optimizer, x, y)
    print(f"dense:            {accuracy(model, xt, yt):.1f}%")
    projected = copy.deepcopy(model)
    project_model(projected, K)
    print(f"projection only:  {accuracy(projected, xt, yt):.1f}%")

    admm = ADMM(model, block_size=K, rho=1e-2, rho_factor=1.5, rho_max=100.0, update_every=8)
    # decay the step size: Adam's constant-size steps otherwise keep W jittering off the constraint set
    decay = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.7)
    for i in range(10):
        epoch(model, optimizer, x, y, admm)
        decay.step()
        print(f"ADMM epoch {i + 1}: residual {admm.primal_residual():.1e}, ρ {admm.rho:.3g}")
        if admm.converged():
            break
    admm.finalize()                                  # hard projection
    print(f"after projection: {accuracy(model, xt, yt):.1f}%")

    make_circulant(model, K)                         # train the p×q×k defining vectors directly
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(4):
        epoch(model, optimizer, x, y)
    make_dense(model)                                # plain nn.LSTM again, weights exactly circulant
    print(f"fine-tuned:       {accuracy(model, xt, yt):.1f}%")

    gates = np.split(model.lstm.weight_hh_l0.detach().numpy(), 4)
    assert all(np.array_equal(project_dense(g, K), g) for g in gates)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x[:1],), "admm_example.onnx", dynamo=False, input_names=["x"],
                          output_names=["logits"], dynamic_axes={"x": {0: "batch"}})
    print("wrote admm_example.onnx (compile it with ercc)")


if __name__ == "__main__":
    main()
