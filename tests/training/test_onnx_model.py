"""The torch rebuild of an ONNX graph computes what onnxruntime computes."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from admm_helpers import Classifier, export
from onnx import TensorProto, helper

from ercc.errors import ErccError
from ercc.training.onnx_model import OnnxModule, write_back


def _compare(model: onnx.ModelProto, feeds: dict[str, np.ndarray]):
    want = ort.InferenceSession(model.SerializeToString()).run(None, feeds)
    module = OnnxModule(model)
    with torch.no_grad():
        got = module(*[torch.from_numpy(feeds[n]) for n in module.input_names])
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cell,kw", [(torch.nn.LSTM, {"num_layers": 2}), (torch.nn.GRU, {"bidirectional": True}),
                                     (torch.nn.RNN, {})])
def test_exported_torch_models_match_onnxruntime(tmp_path, cell, kw):
    torch.manual_seed(1)
    path = export(Classifier(cell, **kw), tmp_path / "m.onnx")
    x = np.random.default_rng(0).standard_normal((3, 6, 5)).astype(np.float32)
    _compare(onnx.load(path), {"x": x})


def _recurrent_graph(op, direction="forward", **attrs):
    """A bare recurrent node with W/R/B initializers and all outputs exposed."""
    gates, hidden, features, dirs = {"LSTM": 4, "GRU": 3, "RNN": 1}[op], 4, 3, 2 if direction == "bidirectional" else 1
    rng = np.random.default_rng(0)
    inits = [onnx.numpy_helper.from_array(rng.standard_normal(s).astype(np.float32) * 0.5, n) for n, s in
             [("W", (dirs, gates * hidden, features)), ("R", (dirs, gates * hidden, hidden)),
              ("B", (dirs, 2 * gates * hidden))]]
    outs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, ["X", "W", "R", "B"], outs, hidden_size=hidden, direction=direction, **attrs)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [5, 2, features])],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outs], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8)


def _with_lengths_and_peepholes(model: onnx.ModelProto, lengths: bool, peepholes: bool) -> onnx.ModelProto:
    """Add a sequence_lens graph input and/or an LSTM peephole initializer P to ``_recurrent_graph``."""
    node, graph = model.graph.node[0], model.graph
    dirs = onnx.numpy_helper.to_array(graph.initializer[0]).shape[0]
    inputs = list(node.input) + [""] * (8 - len(node.input))
    if lengths:
        inputs[4] = "L"
        graph.input.append(helper.make_tensor_value_info("L", TensorProto.INT32, [2]))
    if peepholes:
        inputs[7] = "P"
        p = np.random.default_rng(2).standard_normal((dirs, 12)).astype(np.float32)
        graph.initializer.append(onnx.numpy_helper.from_array(p, "P"))
    del node.input[:]
    node.input.extend(inputs[:8] if peepholes else inputs[:5])
    return model


@pytest.mark.parametrize("op,direction,attrs,lengths,peepholes", [
    ("LSTM", "bidirectional", {"clip": 0.4}, False, True),
    ("LSTM", "bidirectional", {}, True, True),
    ("LSTM", "reverse", {"clip": 0.7}, True, False),
    ("LSTM", "forward", {"input_forget": 1, "clip": 0.5}, True, True),
    ("GRU", "bidirectional", {"clip": 0.5, "linear_before_reset": 1}, True, False),
    ("GRU", "forward", {"clip": 0.3}, False, False),
    ("RNN", "reverse", {"clip": 0.2}, True, False),
])
def test_clip_peepholes_input_forget_and_sequence_lens_match_onnxruntime(op, direction, attrs, lengths, peepholes):
    model = _with_lengths_and_peepholes(_recurrent_graph(op, direction, **attrs), lengths, peepholes)
    feeds = {"X": np.random.default_rng(3).standard_normal((5, 2, 3)).astype(np.float32) * 2}
    if lengths:
        feeds["L"] = np.array([3, 5], np.int32)
    _compare(model, feeds)
    if peepholes:
        assert "P" in OnnxModule(model).trained_initializers()  # peepholes are trained with the rest


@pytest.mark.parametrize("op,direction,attrs", [
    ("GRU", "forward", {"linear_before_reset": 0}), ("GRU", "reverse", {"linear_before_reset": 1}),
    ("LSTM", "bidirectional", {}), ("RNN", "forward", {"activations": ["Relu"]}),
])
def test_recurrent_semantics_match_onnxruntime(op, direction, attrs):
    x = np.random.default_rng(1).standard_normal((5, 2, 3)).astype(np.float32)
    _compare(_recurrent_graph(op, direction, **attrs), {"X": x})


def test_trainable_parameters_are_recurrent_weights_and_head(lstm_onnx):
    module = OnnxModule(onnx.load(lstm_onnx))
    shapes = sorted(tuple(p.shape) for p in module.parameters())
    assert shapes == sorted([(3, 8), (3,), (1, 32, 5), (1, 32, 8), (1, 64), (1, 32, 8), (1, 32, 8), (1, 64)])
    assert sorted((g, role) for _, g, role in module.weights.circulant_weights()) == [(4, "r")] * 2 + [(4, "w")] * 2


def test_write_back_replaces_only_named_initializers_and_caps_ir_version(lstm_onnx):
    model = onnx.load(lstm_onnx)
    model.ir_version = 14
    out = write_back(model, {"head.weight": np.zeros((3, 8), np.float32)})
    arrays = {t.name: onnx.numpy_helper.to_array(t) for t in out.graph.initializer}
    assert out.ir_version == 13 and not arrays["head.weight"].any()
    assert np.array_equal(arrays["head.bias"], onnx.numpy_helper.to_array(
        next(t for t in model.graph.initializer if t.name == "head.bias")))


@pytest.mark.parametrize("change,match", [
    (lambda n: n.op_type == "ReduceMean" and setattr(n, "op_type", "ReduceMax"), "ReduceMax"),
    (lambda n: n.op_type == "LSTM" and n.attribute.append(helper.make_attribute("clip", -1.0)), "clip"),
])
def test_unsupported_graphs_raise_errcc_error(lstm_onnx, change, match):
    model = onnx.load(lstm_onnx)
    for node in model.graph.node:
        change(node)
    with pytest.raises(ErccError, match=match):
        OnnxModule(model)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")  # torch.export's own deprecation notices
def test_dynamo_export_matches_onnxruntime(tmp_path):
    torch.manual_seed(2)
    model = Classifier(torch.nn.GRU, bidirectional=True)
    dims = {"x": {0: torch.export.Dim("batch"), 1: torch.export.Dim("time")}}
    torch.onnx.export(model, (torch.randn(2, 7, 5),), str(tmp_path / "m.onnx"), dynamo=True,
                      input_names=["x"], dynamic_shapes=dims)
    x = np.random.default_rng(0).standard_normal((3, 6, 5)).astype(np.float32)
    _compare(onnx.load(tmp_path / "m.onnx"), {"x": x})
