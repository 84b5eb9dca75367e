"""Models the ONNX tests export (imported by module name: tests have no packages)."""

import warnings

import torch


class Classifier(torch.nn.Module):
    """batch-first recurrent layer(s), mean over time, linear head: what users export."""

    def __init__(self, cell, features=5, hidden=8, classes=3, **kw):
        super().__init__()
        self.rnn = cell(features, hidden, batch_first=True, **kw)
        self.head = torch.nn.Linear(hidden * (2 if kw.get("bidirectional") else 1), classes)

    def forward(self, x):
        return self.head(self.rnn(x)[0].mean(1))


def export(model, path, features=5, dynamic=True):
    """Legacy (dynamo=False) export, with dynamic batch and time axes unless told otherwise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 7, features),), str(path), dynamo=False,
                          input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": {0: "batch", 1: "time"}} if dynamic else None)
    return path
