"""Test-model generators shared by every test suite.

Helper-built models use onnx.helper with weights as initializers; torch models
are exported with a fixed opset and seed. Everything is deterministic and
saved with ir_version 10 so onnxruntime 1.31 can load it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IR_VERSION = 10
OPSET = 17

_DIRECTIONS = {"forward": 1, "reverse": 1, "bidirectional": 2}


def _save(model: onnx.ModelProto, path: str | os.PathLike | None) -> onnx.ModelProto:
    """Pin the IR version onnxruntime accepts, check, and optionally save."""
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    if path is not None:
        onnx.save(model, os.fspath(path))
    return model


def make_lstm_model(
    path: str | os.PathLike | None = None,
    *,
    T: int | None = 5,
    I: int = 3,
    H: int = 4,
    batch: int | str = 1,
    direction: str = "forward",
    layout: int = 0,
    bias: bool = True,
    initial_state: bool = False,
    peepholes: bool = False,
    seed: int = 0,
    clip: float | None = None,
    activations: list[str] | None = None,
    activation_alpha: list[float] | None = None,
    activation_beta: list[float] | None = None,
    input_forget: bool = False,
    weights_as_inputs: bool = False,
    opset: int = OPSET,
) -> onnx.ModelProto:
    """A single ONNX LSTM node: inputs X (and initial_h/initial_c), outputs Y and Y_h.

    `T=None` makes the sequence dimension symbolic ("seq"); `batch` may be a
    symbolic name too. `weights_as_inputs` turns W, R into graph inputs (an
    error case for the importer).
    """
    rng = np.random.default_rng(seed)
    D = _DIRECTIONS[direction]
    seq = "seq" if T is None else T
    x_shape = [seq, batch, I] if layout == 0 else [batch, seq, I]
    state_shape = [D, batch, H] if layout == 0 else [batch, D, H]
    y_shape = [seq, D, batch, H] if layout == 0 else [batch, seq, D, H]

    def weight(name: str, *shape: int) -> onnx.TensorProto:
        return numpy_helper.from_array((rng.standard_normal(shape) * 0.5).astype(np.float32), name)

    inits = [weight("W", D, 4 * H, I), weight("R", D, 4 * H, H)]
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)]
    if weights_as_inputs:
        inputs += [helper.make_tensor_value_info(t.name, TensorProto.FLOAT, list(t.dims)) for t in inits]
        inits = []
    node_inputs = ["X", "W", "R", "", "", "", "", ""]
    if bias:
        inits.append(weight("B", D, 8 * H))
        node_inputs[3] = "B"
    if initial_state:
        inputs += [
            helper.make_tensor_value_info(n, TensorProto.FLOAT, state_shape)
            for n in ("initial_h", "initial_c")
        ]
        node_inputs[5:7] = ["initial_h", "initial_c"]
    if peepholes:
        inits.append(weight("P", D, 3 * H))
        node_inputs[7] = "P"
    while node_inputs[-1] == "":
        node_inputs.pop()

    attrs: dict[str, object] = {"hidden_size": H, "direction": direction}
    if layout:
        attrs["layout"] = layout
    if clip is not None:
        attrs["clip"] = clip
    if activations is not None:
        attrs["activations"] = activations
    if activation_alpha is not None:
        attrs["activation_alpha"] = activation_alpha
    if activation_beta is not None:
        attrs["activation_beta"] = activation_beta
    if input_forget:
        attrs["input_forget"] = 1
    node = helper.make_node("LSTM", node_inputs, ["Y", "Y_h"], name="lstm_0", **attrs)
    graph = helper.make_graph(
        [node],
        "lstm",
        inputs,
        [
            helper.make_tensor_value_info("Y", TensorProto.FLOAT, y_shape),
            helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, state_shape),
        ],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return _save(model, path)


_GATES = {"GRU": 3, "RNN": 1}


def make_single_state_model(
    op_type: str,
    path: str | os.PathLike | None = None,
    *,
    T: int = 5,
    I: int = 3,
    H: int = 4,
    batch: int = 1,
    direction: str = "forward",
    layout: int = 0,
    bias: bool = True,
    initial_state: bool = False,
    seed: int = 0,
    clip: float | None = None,
    activations: list[str] | None = None,
    activation_alpha: list[float] | None = None,
    activation_beta: list[float] | None = None,
    linear_before_reset: int | None = None,
    opset: int = OPSET,
) -> onnx.ModelProto:
    """A single ONNX GRU or RNN node: inputs X (and initial_h), outputs Y and Y_h."""
    rng = np.random.default_rng(seed)
    D = _DIRECTIONS[direction]
    G = _GATES[op_type]
    x_shape = [T, batch, I] if layout == 0 else [batch, T, I]
    state_shape = [D, batch, H] if layout == 0 else [batch, D, H]
    y_shape = [T, D, batch, H] if layout == 0 else [batch, T, D, H]

    def weight(name: str, *shape: int) -> onnx.TensorProto:
        return numpy_helper.from_array((rng.standard_normal(shape) * 0.5).astype(np.float32), name)

    inits = [weight("W", D, G * H, I), weight("R", D, G * H, H)]
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)]
    node_inputs = ["X", "W", "R", "", "", ""]
    if bias:
        inits.append(weight("B", D, 2 * G * H))
        node_inputs[3] = "B"
    if initial_state:
        inputs.append(helper.make_tensor_value_info("initial_h", TensorProto.FLOAT, state_shape))
        node_inputs[5] = "initial_h"
    while node_inputs[-1] == "":
        node_inputs.pop()
    attrs: dict[str, object] = {"hidden_size": H, "direction": direction}
    if layout:
        attrs["layout"] = layout
    if clip is not None:
        attrs["clip"] = clip
    if activations is not None:
        attrs["activations"] = activations
    if activation_alpha is not None:
        attrs["activation_alpha"] = activation_alpha
    if activation_beta is not None:
        attrs["activation_beta"] = activation_beta
    if linear_before_reset is not None:
        attrs["linear_before_reset"] = linear_before_reset
    node = helper.make_node(op_type, node_inputs, ["Y", "Y_h"], name=f"{op_type.lower()}_0", **attrs)
    graph = helper.make_graph(
        [node],
        op_type.lower(),
        inputs,
        [
            helper.make_tensor_value_info("Y", TensorProto.FLOAT, y_shape),
            helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, state_shape),
        ],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return _save(model, path)


def make_gru_model(path=None, **kwargs) -> onnx.ModelProto:
    return make_single_state_model("GRU", path, **kwargs)


def make_rnn_model(path=None, **kwargs) -> onnx.ModelProto:
    return make_single_state_model("RNN", path, **kwargs)


def export_torch_gru_classifier(
    path: str | os.PathLike,
    *,
    input_size: int = 13,
    hidden_size: int = 16,
    num_classes: int = 10,
    seq_len: int = 20,
    seed: int = 0,
) -> onnx.ModelProto:
    """Export nn.GRU (batch_first) + nn.Linear on the last step with the legacy exporter."""
    import torch
    from torch import nn

    class Classifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(input_size, hidden_size, batch_first=True)
            self.head = nn.Linear(hidden_size, num_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y, _ = self.gru(x)
            return self.head(y[:, -1, :])

    torch.manual_seed(seed)
    net = Classifier().eval()
    path = os.fspath(path)
    torch.onnx.export(
        net, (torch.randn(1, seq_len, input_size),), path, input_names=["x"], output_names=["logits"],
        opset_version=OPSET, dynamo=False,
        dynamic_axes={"x": {0: "batch", 1: "seq"}, "logits": {0: "batch"}},
    )
    model = onnx.load(path)
    if model.ir_version > IR_VERSION:
        model.ir_version = IR_VERSION
        onnx.save(model, path)
    return model


def export_torch_lstm_classifier(
    path: str | os.PathLike,
    *,
    num_layers: int = 1,
    input_size: int = 13,
    hidden_size: int = 16,
    num_classes: int = 10,
    seq_len: int = 20,
    batch_first: bool = True,
    bidirectional: bool = False,
    dynamo: bool = False,
    seed: int = 0,
) -> onnx.ModelProto:
    """Export nn.LSTM + nn.Linear on the last step; input "x", output "logits".

    The legacy exporter marks batch and sequence axes dynamic; the dynamo
    exporter produces a static model for the example's shape (batch 1).
    """
    import torch
    from torch import nn

    class Classifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(
                input_size, hidden_size, num_layers,
                batch_first=batch_first, bidirectional=bidirectional,
            )
            self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y, _ = self.lstm(x)
            last = y[:, -1, :] if batch_first else y[-1]
            return self.head(last)

    torch.manual_seed(seed)
    net = Classifier().eval()
    shape = (1, seq_len, input_size) if batch_first else (seq_len, 1, input_size)
    example = torch.randn(*shape)
    path = os.fspath(path)
    if dynamo:
        torch.onnx.export(
            net, (example,), path, input_names=["x"], output_names=["logits"],
            opset_version=20, dynamo=True, external_data=False,
        )
    else:
        axes = {0: "batch", 1: "seq"} if batch_first else {0: "seq", 1: "batch"}
        torch.onnx.export(
            net, (example,), path, input_names=["x"], output_names=["logits"],
            opset_version=OPSET, dynamo=False,
            dynamic_axes={"x": axes, "logits": {0: "batch"}},
        )
    model = onnx.load(path)
    if model.ir_version > IR_VERSION:
        model.ir_version = IR_VERSION
        onnx.save(model, path)
    return model


def run_onnxruntime(
    model_or_path: onnx.ModelProto | str | os.PathLike, feeds: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Run a model on CPU with onnxruntime; returns every graph output by name."""
    import onnxruntime as ort

    src = (
        model_or_path.SerializeToString()
        if isinstance(model_or_path, onnx.ModelProto)
        else os.fspath(Path(model_or_path))
    )
    session = ort.InferenceSession(src, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds)))
