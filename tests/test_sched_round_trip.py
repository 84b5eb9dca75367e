"""The scheduled IR holds every decision: `ercc --emit scheduled` read back by `ercc-opt -t hls-cpp`
gives the kernel `ercc` writes, byte for byte (nothing is re-derived behind the IR's back)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from models import make_gru_model

BIN = Path(sys.executable).parent


def _round_trip(path: Path, tmp_path: Path, *args: str) -> None:
    ercc = [str(BIN / "ercc"), str(path), *args]
    scheduled = subprocess.run([*ercc, "--emit", "scheduled"], capture_output=True, text=True, check=True).stdout
    (tmp_path / "scheduled.mlir").write_text(scheduled)
    subprocess.run([*ercc, "-o", str(tmp_path / "k.cpp"), "--quiet"], check=True)
    again = subprocess.run([str(BIN / "ercc-opt"), str(tmp_path / "scheduled.mlir"), "-t", "hls-cpp"],
                           capture_output=True, text=True, check=True).stdout
    source, header = (tmp_path / "k.cpp").read_text(), (tmp_path / "k_weights.h").read_text()
    include = '#include "k_weights.h"  // the constant tables\n'
    assert include in source
    assert again == source.replace(include, header, 1)


GRUS = {  # the bidirectional GRU models of tests/test_interfaces.py and tests/test_gru_rnn.py
    "gru-bidirectional": lambda p: make_gru_model(p, T=4, I=8, H=8, direction="bidirectional", seed=4),
    "gru-clip-lbr": lambda p: make_gru_model(p, T=5, I=3, H=4, direction="bidirectional", clip=0.7,
                                             linear_before_reset=1,
                                             activations=["HardSigmoid", "Tanh", "Sigmoid", "Softsign"]),
}


@pytest.mark.parametrize("name", sorted(GRUS))
def test_bidirectional_gru_round_trips(name, tmp_path):
    path = tmp_path / f"{name}.onnx"
    GRUS[name](path)
    _round_trip(path, tmp_path, "--block-size", "4")


@pytest.mark.slow
def test_big_lstm_round_trips(tmp_path):
    """The ESE / C-LSTM speech LSTM (2 × 1024 cells on 153 inputs) at K = 8."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from lstm1024_schedule import build_model

    path = tmp_path / "lstm1024.onnx"
    build_model(path)
    _round_trip(path, tmp_path, "--block-size", "8")
