"""Recurrent stacks as torch exports them, C-simulated against onnxruntime.

Up to 4 layers, batch_first either way, bidirectional stacks, LSTM and GRU
mixed in one model; legacy exporter for most, dynamo for two. Block size 8
runs against the block-circulant projected model (`_compare`).
"""

from __future__ import annotations

import os

import numpy as np
import onnx
import pytest
from models import IR_VERSION
from test_end_to_end import TOL, _compare

I, T = 6, 7

# id → (layers: list of (kind, hidden, num_layers, bidirectional), batch_first, dynamo)
STACKS: dict[str, tuple[list[tuple[str, int, int, bool]], bool, bool]] = {
    "lstm4-batch-first": ([("LSTM", 16, 4, False)], True, False),
    "lstm3-bidir-seq-first": ([("LSTM", 12, 3, True)], False, False),
    "gru4-bidir-batch-first": ([("GRU", 8, 4, True)], True, False),
    "gru2-seq-first": ([("GRU", 20, 2, False)], False, False),
    "lstm2-bidir-gru2-mixed": ([("LSTM", 8, 2, True), ("GRU", 16, 2, False)], True, False),
    "gru-lstm-gru-mixed-seq-first": ([("GRU", 8, 1, True), ("LSTM", 8, 1, False), ("GRU", 8, 1, False)], False, False),
    "dynamo-lstm2-bidir": ([("LSTM", 8, 2, True)], True, True),
    "dynamo-lstm-gru-mixed": ([("LSTM", 16, 2, False), ("GRU", 8, 1, True)], True, True),
}


def export_stack(
    path: str | os.PathLike, layers, batch_first: bool, dynamo: bool, seed: int = 0, baked_batch: int = 0
) -> None:
    """Export a stack of nn.LSTM/nn.GRU modules with a Linear head on every step.

    `baked_batch` > 0: the legacy exporter without dynamic axes, on a sample of
    that batch size (constant zero initial states of that batch in the graph).
    """
    import torch
    from torch import nn

    class Stack(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            mods, width = [], I
            for kind, hidden, num_layers, bidir in layers:
                cls = nn.LSTM if kind == "LSTM" else nn.GRU
                mods.append(cls(width, hidden, num_layers, batch_first=batch_first, bidirectional=bidir))
                width = hidden * (2 if bidir else 1)
            self.rnns = nn.ModuleList(mods)
            self.head = nn.Linear(width, 3)

        def forward(self, x: torch.Tensor):
            for rnn in self.rnns:
                x, _ = rnn(x)
            return self.head(x)

    torch.manual_seed(seed)
    net = Stack().eval()
    batch = baked_batch or 1
    shape = (batch, T, I) if batch_first else (T, batch, I)
    example = (torch.randn(*shape),)
    path = os.fspath(path)
    if dynamo:
        torch.onnx.export(net, example, path, input_names=["x"], output_names=["y"], opset_version=20,
                          dynamo=True, external_data=False)
    else:
        axes = {0: "batch", 1: "seq"} if batch_first else {0: "seq", 1: "batch"}
        dynamic = None if baked_batch else {"x": axes, "y": axes}
        torch.onnx.export(net, example, path, input_names=["x"], output_names=["y"], opset_version=17,
                          dynamo=False, dynamic_axes=dynamic)
    model = onnx.load(path)
    if model.ir_version > IR_VERSION:
        model.ir_version = IR_VERSION
        onnx.save(model, path)


@pytest.fixture(scope="module")
def stack_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("stacks")
    cache: dict[str, str] = {}

    def get(name: str) -> str:
        if name not in cache:
            layers, batch_first, dynamo = STACKS[name]
            path = root / f"{name}.onnx"
            export_stack(path, layers, batch_first, dynamo)
            cache[name] = path
        return cache[name]

    return get


@pytest.mark.parametrize("block_size", [1, 8])
@pytest.mark.parametrize("name", list(STACKS))
def test_stack_matches_onnxruntime(stack_model, name, block_size):
    layers, batch_first, dynamo = STACKS[name]
    path = stack_model(name)
    batch = 1 if dynamo else 2  # the dynamo export is static (batch 1)
    shape = (batch, T, I) if batch_first else (T, batch, I)
    x = np.random.default_rng(block_size).standard_normal(shape).astype(np.float32)
    err = _compare(path, {"x": x}, block_size)
    print(f"{name} K={block_size}: max abs err {err:.3g}")
    assert err <= TOL


@pytest.mark.parametrize("layers", [[("GRU", 8, 1, True)], [("LSTM", 8, 2, False)]], ids=["bigru", "lstm2"])
def test_export_with_batch_baked_in(tmp_path, layers):
    """A static batch-3 export: its zero initial states have batch 3; ercc uses one row per sequence."""
    path = tmp_path / "baked.onnx"
    export_stack(path, layers, batch_first=True, dynamo=False, baked_batch=3)
    x = np.random.default_rng(0).standard_normal((3, T, I)).astype(np.float32)
    assert _compare(path, {"x": x}, 1) <= TOL
