"""Brevitas QuantLSTM classifiers trained briefly on FSDD and exported to QONNX (tests of issue 18).

Small on purpose: 13 MFCCs × T frames → QuantLSTM(hidden 16) → last step → float Linear(10).
The exported graph has two outputs: the logits and the QuantLSTM's last output (already on
its output quantizer's grid), so a test can check both the classes and the quantized values.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FRAMES = 16  # utterances cut / zero-padded to this many frames
HIDDEN = 16
TRAIN, TEST = 320, 200  # utterances used (the first of the stratified split)


@dataclass
class BrevitasCase:
    """An exported model and what its own PyTorch forward gives on the test utterances."""

    path: Path
    x_test: np.ndarray  # (N, T, 13) batch first, or (T, N, 13) seq first
    labels: np.ndarray
    logits: np.ndarray  # Brevitas' own outputs on x_test
    last: np.ndarray  # (N, H): the QuantLSTM's output at the last step
    batch_first: bool


def fsdd(batch_first: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from ercc.training.fsdd import load_fsdd, pad

    x_train, y_train, x_test, y_test = load_fsdd(seed=0)
    xa, _ = pad(x_train[:TRAIN], FRAMES)
    xb, _ = pad(x_test[:TEST], FRAMES)
    if not batch_first:
        xa, xb = xa.transpose(1, 0, 2).copy(), xb.transpose(1, 0, 2).copy()
    return xa, y_train[:TRAIN], xb, y_test[:TEST]


# Brevitas's power-of-two-scale quantizers (`quantizers="fixed_point"`): every scale 2^k.
FIXED_POINT = {
    "weight_quant": "Int8WeightPerTensorFixedPoint", "io_quant": "Int8ActPerTensorFixedPoint",
    "gate_acc_quant": "Int8ActPerTensorFixedPoint", "sigmoid_quant": "Uint8ActPerTensorFixedPoint",
    "tanh_quant": "Int8ActPerTensorFixedPoint", "cell_state_quant": "Int8ActPerTensorFixedPoint",
}


def build(path: Path, *, bits: int = 8, batch_first: bool = True, layers: int = 1, epochs: int = 2,
          quantizers: str = "float", widths: dict[str, int] | None = None, bidirectional: bool = False) -> BrevitasCase:
    """Train a QuantLSTM classifier for a few epochs (seeded), export it to QONNX, keep its outputs.

    `quantizers`: "float" (Brevitas's defaults: learned float scales), "fixed_point" (FIXED_POINT) or
    "per_channel" (the defaults with a float scale per output row of every weight);
    `widths`: bit widths of single quantizers (e.g. {"cell_state": 16}), over `bits`."""
    import torch
    from brevitas.export import export_qonnx
    from brevitas.nn import QuantLSTM

    logging.getLogger("brevitas").setLevel(logging.ERROR)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    kwargs = {} if bits == 8 else {
        f"{q}_bit_width": bits for q in ("weight", "io", "gate_acc", "sigmoid", "tanh", "cell_state")
    }
    kwargs.update({f"{q}_bit_width": b for q, b in (widths or {}).items()})
    if quantizers in ("fixed_point", "per_channel"):
        import brevitas.quant

        chosen = FIXED_POINT if quantizers == "fixed_point" else {"weight_quant": "Int8WeightPerChannelFloat"}
        kwargs.update({k: getattr(brevitas.quant, v) for k, v in chosen.items()})

    class Classifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = QuantLSTM(13, HIDDEN, num_layers=layers, batch_first=batch_first, bidirectional=bidirectional, **kwargs)
            self.head = torch.nn.Linear(HIDDEN * (2 if bidirectional else 1), 10)

        def forward(self, x):
            y, _ = self.lstm(x)
            last = y[:, -1] if batch_first else y[-1]
            return self.head(last), last

    xa, ya, xb, yb = fsdd(batch_first)
    model = Classifier()
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    xa_t, ya_t = torch.from_numpy(xa), torch.from_numpy(ya)
    axis = 0 if batch_first else 1
    for _ in range(epochs):
        for idx in torch.randperm(len(ya)).split(32):
            opt.zero_grad()
            logits, _ = model(xa_t.index_select(axis, idx))
            torch.nn.functional.cross_entropy(logits, ya_t[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        logits, last = model(torch.from_numpy(xb))
    sample = torch.from_numpy(xb[:1] if batch_first else xb[:, :1])
    export_qonnx(copy.deepcopy(model), sample, str(path), dynamo=False, opset_version=14)
    return BrevitasCase(path, xb, yb, logits.numpy(), last.numpy(), batch_first)
