"""The quantization report (`--precision fixed --report`): formats, ranges, SQNR, output error."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from models import make_lstm_model

from ercc.cli import run
from ercc.compiler.pipeline import CompileOptions
from ercc.compiler.quant_report import quantization_report
from ercc.errors import ErccError


@pytest.fixture(scope="module")
def lstm(tmp_path_factory):
    path = tmp_path_factory.mktemp("qreport") / "lstm.onnx"
    make_lstm_model(path, T=5, I=3, H=4, seed=1)
    return path


def test_report_pairs_every_tensor(lstm):
    report = quantization_report(lstm, CompileOptions(precision="fixed"))
    assert report["inputs"].startswith("8 random")
    kinds = {t["tensor"].split()[1] for t in report["tensors"]}
    assert {"rnn.matvec", "fix.pwl", "rnn.scan", "rnn.add", "rnn.mul"} <= kinds
    for t in report["tensors"]:
        assert t["format"].startswith("ap_fixed<")
        assert t["sqnr_db"] is None or t["sqnr_db"] > 40, t  # 16 bits: quantization noise far below the signal
    assert all(o["max_abs_error"] < 1e-2 and 0 < o["rms_error"] <= o["max_abs_error"] for o in report["outputs"])


def test_narrower_datapath_has_lower_sqnr(lstm):
    def mean_sqnr(bits: int) -> float:
        report = quantization_report(lstm, CompileOptions(precision="fixed", weight_bits=bits, act_bits=bits))
        return float(np.mean([t["sqnr_db"] for t in report["tensors"] if t["sqnr_db"] is not None]))

    assert mean_sqnr(8) < mean_sqnr(16) - 20


def test_report_needs_fixed_point(lstm):
    with pytest.raises(ErccError, match="needs --precision fixed"):
        quantization_report(lstm, CompileOptions(precision="float"))


def test_cli_writes_the_quantization_section(lstm, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run([str(lstm), "-o", str(tmp_path / "k.cpp"), "--precision", "fixed", "--report", str(tmp_path / "r.json")])
    assert code == 0, err.getvalue()
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["quantization"]["tensors"] and report["quantization"]["outputs"]
    assert "SQNR" in out.getvalue()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--precision", "fixed", "--rounding", "ROUND"], "--rounding must be one of"),
        (["--precision", "fixed", "--overflow", "AP_CLAMP"], "--overflow must be one of"),
        (["--precision", "fixed", "--segments", "100"], "--segments must be a power of two"),
        (["--precision", "float", "--calib", "c.npz"], "--calib needs --precision fixed"),
        (["--precision", "fixed", "--weight-bits", "0"], "--weight-bits must be"),
    ],
)
def test_bad_fixed_point_options_exit_2(lstm, tmp_path, args, message):
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = run([str(lstm), "-o", str(tmp_path / "k.cpp"), *args])
    assert code == 2 and message in err.getvalue() and "Traceback" not in err.getvalue()
