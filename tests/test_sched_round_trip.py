"""The scheduled IR holds every decision: `ercc --emit scheduled` read back by `ercc-opt -t hls-cpp`
gives the kernel `ercc` writes, byte for byte (nothing is re-derived behind the IR's back)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from models import make_gru_model

from ercc.cli import run
from ercc.compiler.opt import ErccOptMain


def _round_trip(path: Path, tmp_path: Path, capsys, *args: str) -> None:
    assert run([str(path), *args, "--emit", "scheduled"]) == 0
    (tmp_path / "scheduled.mlir").write_text(capsys.readouterr().out)
    assert run([str(path), *args, "-o", str(tmp_path / "k.cpp"), "--quiet"]) == 0
    ErccOptMain(args=[str(tmp_path / "scheduled.mlir"), "-t", "hls-cpp", "-o", str(tmp_path / "again.cpp")]).run()
    source, header = (tmp_path / "k.cpp").read_text(), (tmp_path / "k_weights.h").read_text()
    include = '#include "k_weights.h"  // the constant tables\n'
    assert include in source
    assert (tmp_path / "again.cpp").read_text() == source.replace(include, header, 1)


GRUS = {  # the bidirectional GRU models of tests/test_interfaces.py and tests/test_gru_rnn.py
    "gru-bidirectional": lambda p: make_gru_model(p, T=4, I=8, H=8, direction="bidirectional", seed=4),
    "gru-clip-lbr": lambda p: make_gru_model(p, T=5, I=3, H=4, direction="bidirectional", clip=0.7,
                                             linear_before_reset=1,
                                             activations=["HardSigmoid", "Tanh", "Sigmoid", "Softsign"]),
}


@pytest.mark.parametrize("name", sorted(GRUS))
def test_bidirectional_gru_round_trips(name, tmp_path, capsys):
    path = tmp_path / f"{name}.onnx"
    GRUS[name](path)
    _round_trip(path, tmp_path, capsys, "--block-size", "4")


@pytest.mark.slow
def test_big_lstm_round_trips(tmp_path, capsys):
    """The ESE / C-LSTM speech LSTM (2 × 1024 cells on 153 inputs) at K = 8."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from lstm1024_schedule import build_model

    path = tmp_path / "lstm1024.onnx"
    build_model(path)
    _round_trip(path, tmp_path, capsys, "--block-size", "8")
