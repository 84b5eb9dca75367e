"""`ercc admm` with its default options on models and data it was never tuned on.

The CLI defaults were chosen on the bundled `examples/lstm_classifier.onnx`
(1-layer LSTM, 32 units, last frame, FSDD split by seed 1). This script builds
two different model/data pairs from scratch, exports them to ONNX, runs
`ercc admm --data train.npz --block-size K` (nothing else) and scores the dense,
projection-only and ADMM models with onnxruntime on held-out data:

  gru-fsdd    a bidirectional GRU (48 units), mean over time, on another
              FSDD split (seed 7, 25 % test), 40 frames; cross-entropy path.
  lstm-regr   a 2-layer LSTM (24 units) on a synthetic sequence-regression task
              with two float targets that need memory; MSE path.

Run: .venv/bin/python benchmarks/admm_unseen.py [--block-size 8] [--cases gru-fsdd,lstm-regr]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from ercc.compiler.onnx_projection import project_recurrent_weights
from ercc.training.fsdd import load_fsdd, pad

FRAMES = 40


class MeanPooled(nn.Module):
    """Recurrent layers, mean over time, linear head."""

    def __init__(self, cell, features: int, hidden: int, outputs: int, **kw):
        super().__init__()
        self.rnn = cell(features, hidden, batch_first=True, **kw)
        self.head = nn.Linear(hidden * (2 if kw.get("bidirectional") else 1), outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x)[0].mean(1))


def fsdd_case() -> tuple[nn.Module, tuple, tuple]:
    """Bidirectional GRU on FSDD (another split and length than the bundled example)."""
    x_train, y_train, x_test, y_test = load_fsdd(seed=7, test_fraction=0.25)
    model = MeanPooled(nn.GRU, 13, 48, 10, bidirectional=True)
    return model, (pad(x_train, FRAMES)[0], y_train), (pad(x_test, FRAMES)[0], y_test)


def regression_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x (n, 30, 4) Gaussian; targets: mean of x0[t]·x1[t-1] and the scaled sum of x2 over the first 10 steps."""
    x = rng.standard_normal((n, 30, 4)).astype(np.float32)
    y0 = (x[:, 1:, 0] * x[:, :-1, 1]).mean(1) * np.sqrt(29)
    y1 = x[:, :10, 2].sum(1) / np.sqrt(10)
    return x, np.stack([y0, y1], 1).astype(np.float32)


def regression_case() -> tuple[nn.Module, tuple, tuple]:
    rng = np.random.default_rng(11)
    return MeanPooled(nn.LSTM, 4, 24, 2, num_layers=2), regression_data(3000, rng), regression_data(1000, rng)


CASES = {"gru-fsdd": (fsdd_case, 15), "lstm-regr": (regression_case, 30)}


def train_dense(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int) -> None:
    """Adam, batch 32, lr 3e-3; cross-entropy for integer labels, MSE for float targets."""
    loss_fn = nn.functional.cross_entropy if y.dtype.kind == "i" else nn.functional.mse_loss
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    rng = np.random.default_rng(0)
    for _ in range(epochs):
        for idx in np.array_split(rng.permutation(len(x)), len(x) // 32):
            opt.zero_grad()
            loss_fn(model(xs[idx]), ys[idx]).backward()
            opt.step()


def score(model: onnx.ModelProto, x: np.ndarray, y: np.ndarray) -> str:
    """Accuracy for classes; MSE and R² for float targets (onnxruntime, float)."""
    out = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    if y.dtype.kind == "i":
        return f"{np.mean(out.argmax(1) == y) * 100:.2f} % accuracy"
    mse = float(np.mean((out - y) ** 2))
    return f"MSE {mse:.4f} (R² {1 - mse / float(np.mean((y - y.mean(0)) ** 2)):.3f})"


def run_case(name: str, k: int, work: Path) -> list[str]:
    make, epochs = CASES[name]
    torch.manual_seed(0)
    model, (x_train, y_train), (x_test, y_test) = make()
    start = time.perf_counter()
    train_dense(model, x_train, y_train, epochs)
    dense_s = time.perf_counter() - start
    path = work / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.from_numpy(x_train[:2]),), str(path), dynamo=False, opset_version=17,
                          input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    np.savez(work / f"{name}.npz", x=x_train, labels=y_train)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ercc", "admm", str(path), "--data", str(work / f"{name}.npz"),
                    "--block-size", str(k), "-o", str(work / f"{name}-admm.onnx")], check=True)
    admm_s = time.perf_counter() - start
    dense = onnx.load(path)
    return [f"| {name} | {k} | {score(dense, x_test, y_test)} "
            f"| {score(project_recurrent_weights(dense, k), x_test, y_test)} "
            f"| {score(onnx.load(work / f'{name}-admm.onnx'), x_test, y_test)} | {dense_s:.0f} | {admm_s:.0f} |"]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--block-size", type=int, default=8)
    p.add_argument("--cases", default=",".join(CASES))
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    rows = ["| case | K | dense | projection only | ercc admm (defaults) | dense train s | ercc admm s |",
            "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as work:
        for name in args.cases.split(","):
            rows += run_case(name, args.block_size, Path(work))
            print(rows[-1], flush=True)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
