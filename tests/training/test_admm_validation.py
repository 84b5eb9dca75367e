"""`ercc admm` validation: the report table, --val, --max-drop (exit 3), --config layers per matrix, bad input (exit 2)."""

import re

import numpy as np
import onnx
import pytest

from ercc.numerics.circulant import project_dense
from ercc.training.cli import EXIT_MAX_DROP, admm_command, main

FAST = ["--epochs", "1", "--finetune-epochs", "1", "--seed", "1"]


def _npz(path, n=48, steps=6, features=5, with_labels=True, **overrides):
    x = np.random.default_rng(n).standard_normal((n, steps, features)).astype(np.float32)
    arrays = {"x": x}
    if with_labels:
        arrays["labels"] = (x[:, :, 0].mean(1) > 0).astype(np.int64) + (x[:, :, 1].mean(1) > 0)
    arrays.update(overrides)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return str(path)


def _argv(model, data, out, *extra):
    return [str(model), "--data", data, "-o", str(out), *FAST, *extra]


def test_report_table_and_separate_validation_set(lstm_onnx, tmp_path, capsys):
    out = tmp_path / "o.onnx"
    argv = _argv(lstm_onnx, _npz(tmp_path / "t.npz"), out, "--block-size", "4", "--val", _npz(tmp_path / "v.npz", n=20))
    assert admm_command(argv) == 0 and out.exists()
    err = capsys.readouterr().err
    for row in ("validation accuracy", "dense", "projection only", "ADMM", "seconds"):
        assert row in err
    assert "ercc admm: labels, dense" in err


def test_config_layers_give_w_and_r_their_own_block_size(lstm_onnx, tmp_path):
    model = onnx.load(lstm_onnx)
    first, second = (n for n in model.graph.node if n.op_type == "LSTM")
    config = tmp_path / "admm.yaml"
    config.write_text(f"block-size: 2\nlayers:\n  '{first.name}': {{block-size-w: 1, block-size-r: 4}}\n")
    out = tmp_path / "o.onnx"
    assert admm_command(_argv(lstm_onnx, _npz(tmp_path / "t.npz"), out, "--config", str(config))) == 0
    arrays = {t.name: onnx.numpy_helper.to_array(t) for t in onnx.load(out).graph.initializer}
    w_first = np.split(arrays[first.input[1]][0], 4)[0]  # K = 1: trained, unconstrained
    assert np.abs(project_dense(w_first.astype(np.float64), 2) - w_first).max() > 1e-3
    for name, k in ((first.input[2], 4), (second.input[1], 2), (second.input[2], 2)):
        for gate in np.split(arrays[name][0], 4):
            assert np.abs(project_dense(gate.astype(np.float64), k) - gate).max() <= 1e-6
        if k == 4:
            assert np.abs(project_dense(gate.astype(np.float64), 8) - gate).max() > 1e-3


def test_max_drop_not_met_exits_3_with_the_figures(lstm_onnx, tmp_path, capsys):
    """Distillation: the dense model's own loss is 0, so no block-circulant model meets --max-drop 0."""
    out = tmp_path / "o.onnx"
    code = admm_command(_argv(lstm_onnx, _npz(tmp_path / "t.npz", with_labels=False), out, "--block-size", "4",
                              "--max-drop", "0", "--quiet"))
    assert code == EXIT_MAX_DROP and out.exists()
    err = capsys.readouterr().err
    assert "validation loss" not in err and "ercc admm: distillation, dense" in err  # --quiet: no table
    last = err.strip().splitlines()[-1]
    assert last.startswith("ercc admm: --max-drop 0 not met after 3 rounds: the ADMM model is +")


@pytest.mark.parametrize("extra,make,match", [
    (["--max-drop", "-0.5"], {}, "--max-drop must be >= 0"),
    (["--val", "OTHER_KEYS"], {"extra": np.zeros(20)}, "the validation set has arrays extra, labels, x; --data has labels, x"),
    (["--val", "OTHER_SHAPE"], {}, "array 'x' has shape \\(20, 9, 5\\) in the validation set, \\(48, 6, 5\\) in --data"),
    (["--val", "BAD_LABELS"], {}, "labels 'labels' .*range 7..7.* do not fit the model output"),
    (["BAD_TRAIN_LABELS"], {}, "labels 'labels' .*range -1..2.* do not fit the model output"),
    (["--torch-device", "cuda"], {}, "--torch-device cuda: torch sees no CUDA device"),
    (["--block-size", "3"], {}, "--block-size must be a power of two"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(lstm_onnx, tmp_path, monkeypatch, capsys, extra, make, match):
    if torch_cuda() and "cuda" in extra:
        pytest.skip("a GPU is present")
    val = {"OTHER_KEYS": lambda p: _npz(p, n=20, **make), "OTHER_SHAPE": lambda p: _npz(p, n=20, steps=9),
           "BAD_LABELS": lambda p: _npz(p, n=20, labels=np.full(20, 7))}
    labels = np.arange(48) % 3 - (extra == ["BAD_TRAIN_LABELS"])  # -1..1 and a 2: -1 is out of range
    labels[-1] = 2
    extra = [val[e](tmp_path / "v.npz") if e in val else e for e in extra if e != "BAD_TRAIN_LABELS"]
    out = tmp_path / "o.onnx"
    argv = [str(lstm_onnx), "--data", _npz(tmp_path / "t.npz", labels=labels), "-o", str(out), *FAST]
    argv += extra if "--block-size" in extra else ["--block-size", "4", *extra]
    monkeypatch.setattr("sys.argv", ["ercc-admm", *argv])
    assert main() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ercc admm: error: ")
    assert re.search(match, err) and not out.exists()
    assert {p.name for p in tmp_path.iterdir()} <= {"t.npz", "v.npz"}  # nothing written


def test_a_split_too_small_to_hold_out_exits_2(lstm_onnx, tmp_path, monkeypatch, capsys):
    out = tmp_path / "o.onnx"
    data = _npz(tmp_path / "t.npz", n=3, labels=np.arange(3))
    monkeypatch.setattr("sys.argv", ["ercc-admm", *_argv(lstm_onnx, data, out, "--block-size", "4")])
    assert main() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "3 samples are too few to hold out a validation share of 0.15" in err
    assert str(data) in err and not out.exists()


def torch_cuda() -> bool:
    import torch

    return torch.cuda.is_available()
