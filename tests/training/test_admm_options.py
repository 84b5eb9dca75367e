"""`ercc admm` options checked before training, and a run that stops short of its residual target says so."""

import numpy as np
import pytest

from ercc.errors import ErccError
from ercc.training.cli import admm_command, build_parser


def _data(path):
    x = np.random.default_rng(0).standard_normal((16, 6, 5)).astype(np.float32)
    np.savez(path, x=x, labels=(x[:, :, 0].mean(1) > 0).astype(np.int64))
    return path


@pytest.mark.parametrize("k", ["3", "6", "0"])
def test_block_size_must_be_a_power_of_two(lstm_onnx, tmp_path, k, monkeypatch):
    import ercc.training.cli as cli

    monkeypatch.setattr(cli, "fit", lambda *a, **k: pytest.fail("trained with a bad block size"))
    out = tmp_path / "o.onnx"
    with pytest.raises(ErccError, match=f"--block-size must be a power of two .*got {k}$"):
        admm_command([str(lstm_onnx), "--data", str(_data(tmp_path / "d.npz")), "--block-size", k, "-o", str(out)])
    assert not out.exists()


def test_help_names_the_block_size_k():
    assert "--block-size K" in build_parser().format_help()


def test_stopping_at_max_epochs_is_reported(lstm_onnx, tmp_path, capsys):
    argv = [str(lstm_onnx), "--data", str(_data(tmp_path / "d.npz")), "--block-size", "4", "-o", str(tmp_path / "o.onnx"),
            "--epochs", "1", "--finetune-epochs", "1", "--tol", "1e-12"]
    assert admm_command(argv) == 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("ercc admm: stopped at --epochs 1 before the residual reached --tol 1e-12 (")
