"""`ercc admm` end to end: ONNX in, exactly block-circulant ONNX out, runnable in onnxruntime."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from admm_helpers import Classifier, export

from ercc.errors import ErccError
from ercc.numerics.circulant import project_dense
from ercc.training.cli import admm_command, main, parse_args, run

K = 4


def _data(path, with_labels=True, **overrides):
    """48 sequences, 3 classes from the signs of two features' means; None in overrides drops a key."""
    x = np.random.default_rng(0).standard_normal((48, 6, 5)).astype(np.float32)
    arrays = {"x": x}
    if with_labels:
        arrays["labels"] = (x[:, :, 0].mean(1) > 0).astype(np.int64) + (x[:, :, 1].mean(1) > 0)
    arrays.update(overrides)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def _run(model, data, out, *extra):
    return admm_command([str(model), "--data", str(data), "--block-size", str(K), "-o", str(out),
                         "--epochs", "2", "--finetune-epochs", "1", "--seed", "3", *extra])


def _arrays(path):
    return {t.name: onnx.numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}


def _recurrent_inputs(path):
    model = onnx.load(path)
    return [(n.input[1], n.input[2]) for n in model.graph.node if n.op_type == "LSTM"]


@pytest.fixture(scope="module")
def trained(lstm_onnx, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    out = tmp / "out.onnx"
    assert _run(lstm_onnx, _data(tmp / "train.npz"), out) == 0
    return out


def test_output_is_exactly_block_circulant_per_gate_and_direction(trained, lstm_onnx):
    arrays = _arrays(trained)
    names = [n for pair in _recurrent_inputs(trained) for n in pair]
    assert len(names) == 4
    for name in names:
        for direction in arrays[name]:
            for gate in np.split(direction, 4):
                assert np.abs(project_dense(gate.astype(np.float64), K) - gate).max() <= 1e-6
    before = _arrays(lstm_onnx)
    assert not np.allclose(before["head.weight"], arrays["head.weight"])  # the head was trained too


def test_output_runs_in_onnxruntime_with_same_graph(trained, lstm_onnx):
    model = onnx.load(trained)
    assert model.ir_version <= 13
    assert [n.op_type for n in model.graph.node] == [n.op_type for n in onnx.load(lstm_onnx).graph.node]
    x = np.random.default_rng(5).standard_normal((3, 9, 5)).astype(np.float32)
    (y,) = ort.InferenceSession(str(trained)).run(None, {"x": x})
    assert y.shape == (3, 3) and np.isfinite(y).all()


def test_distillation_without_labels_is_deterministic(lstm_onnx, tmp_path):
    data = _data(tmp_path / "d.npz", with_labels=False)
    outs = [tmp_path / "a.onnx", tmp_path / "b.onnx"]
    for out in outs:
        assert _run(lstm_onnx, data, out) == 0
    a, b = (_arrays(o) for o in outs)
    assert all(np.array_equal(a[n], b[n]) for n in a)


def test_float_targets_train_by_mse(lstm_onnx, tmp_path):
    targets = np.random.default_rng(1).standard_normal((48, 3)).astype(np.float32)
    data = _data(tmp_path / "d.npz", labels=targets)
    args = parse_args([str(lstm_onnx), "--data", str(data), "--block-size", "4",
                       "-o", str(tmp_path / "o.onnx"), "--epochs", "1", "--finetune-epochs", "1"])
    summary = run(args)
    report = summary["report"]
    assert summary["mode"] == "labels" and report.metric_name == "loss" and 0 < report.admm.metric < 10


@pytest.mark.parametrize("overrides,match", [
    ({"x": None}, "no array 'x'"),
    ({"x": np.zeros((48, 6, 7), np.float32)}, "shape"),
    ({"x": np.full((48, 6, 5), np.nan, np.float32)}, "NaN"),
    ({"labels": np.full(48, 3)}, "do not fit"),
    ({"labels": np.zeros(47, np.int64)}, "number of samples"),
    ({"labels": np.zeros((48, 2), np.float32)}, "do not fit"),
])
def test_bad_data_raises_one_line_errcc_error(lstm_onnx, tmp_path, overrides, match):
    data = _data(tmp_path / "bad.npz", **overrides)
    with pytest.raises(ErccError, match=match) as info:
        _run(lstm_onnx, data, tmp_path / "o.onnx")
    assert "\n" not in str(info.value) and str(data) in str(info.value)


def test_static_batch_graph_trains_in_its_own_batch_size(tmp_path):
    torch.manual_seed(0)
    model = export(Classifier(torch.nn.GRU), tmp_path / "static.onnx", dynamic=False)  # shape fixed at (2, 7, 5)
    x = np.random.default_rng(0).standard_normal((48, 7, 5)).astype(np.float32)
    assert _run(model, _data(tmp_path / "d.npz", x=x), tmp_path / "o.onnx", "--epochs", "1") == 0
    x = np.zeros((2, 7, 5), np.float32)
    assert ort.InferenceSession(str(tmp_path / "o.onnx")).run(None, {"x": x})[0].shape == (2, 3)
    odd = _data(tmp_path / "odd.npz", x=np.zeros((47, 7, 5), np.float32), labels=np.zeros(47, np.int64))
    with pytest.raises(ErccError, match="multiple"):
        _run(model, odd, tmp_path / "o.onnx")


def test_unsupported_op_and_bad_block_size(lstm_onnx, tmp_path):
    model = onnx.load(lstm_onnx)
    next(n for n in model.graph.node if n.op_type == "ReduceMean").op_type = "ReduceMax"
    onnx.save(model, tmp_path / "bad.onnx")
    data = _data(tmp_path / "d.npz")
    with pytest.raises(ErccError, match="ReduceMax"):
        _run(tmp_path / "bad.onnx", data, tmp_path / "o.onnx")
    with pytest.raises(ErccError, match="block-size"):
        admm_command([str(lstm_onnx), "--data", str(data), "--block-size", "0", "-o", str(tmp_path / "o.onnx")])


def test_main_exits_with_user_error_code(lstm_onnx, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["ercc-admm", str(lstm_onnx), "--data", str(tmp_path / "missing.npz"),
                                     "--block-size", "4", "-o", str(tmp_path / "o.onnx")])
    assert main() == 2
    assert capsys.readouterr().err.count("\n") == 1
