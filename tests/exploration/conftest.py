"""A tiny exported LSTM classifier and separable data for the exploration tests."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))

FEATURES, HIDDEN, CLASSES, FRAMES = 4, 8, 3, 6


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.LSTM(FEATURES, HIDDEN, batch_first=True)
        self.head = torch.nn.Linear(HIDDEN, CLASSES)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


def tiny_data(n: int, seed: int) -> dict[str, np.ndarray]:
    """Class c: noise plus a bump on feature c; separable, so a dense model reaches 100 %."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % CLASSES
    x = rng.normal(0, 0.3, (n, FRAMES, FEATURES)).astype(np.float32)
    x[np.arange(n), :, labels] += 1.5
    return {"x": x, "labels": labels.astype(np.int64)}


@pytest.fixture(scope="session")
def tiny_case(tmp_path_factory):
    """(model.onnx, train.npz): a briefly trained dense model and 90 training sequences."""
    root = tmp_path_factory.mktemp("explore")
    torch.manual_seed(0)
    model = Tiny()
    data = tiny_data(90, 0)
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["labels"])
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    path = root / "tiny.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x[:2],), str(path), dynamo=False, input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": {0: "batch"}})
    np.savez(root / "train.npz", **data)
    return path, root / "train.npz"
