"""The `ercc` command: exit codes, one-line errors, no half-written outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from models import IR_VERSION, make_lstm_model
from onnx import TensorProto, helper, numpy_helper

EXAMPLE = Path(__file__).parents[1] / "examples" / "lstm_classifier.onnx"


def ercc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ercc", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def assert_user_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ercc: error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def _model(nodes, inits, inputs, outputs) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    return helper.make_model(graph, ir_version=IR_VERSION, opset_imports=[helper.make_opsetid("", 17)])


def test_compiles_the_example(tmp_path):
    out = tmp_path / "kernel.cpp"
    result = ercc(EXAMPLE, "-o", out, "--block-size", "8", "--seq-len", "32")
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "void ercc_kernel(" in text and "#pragma HLS" in text


def test_missing_file(tmp_path):
    out = tmp_path / "k.cpp"
    assert_user_error(ercc(tmp_path / "nope.onnx", "-o", out), "nope.onnx", "no such file")
    assert not out.exists()


def test_not_onnx(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00\x01this is not a protobuf\xff" * 10)
    out = tmp_path / "k.cpp"
    assert_user_error(ercc(bad, "-o", out), "bad.onnx", "not an ONNX model")
    assert not out.exists()


def test_no_recurrent_layer(tmp_path):
    path = tmp_path / "dense.onnx"
    w = numpy_helper.from_array(np.ones((4, 3), np.float32), "w")
    model = _model(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        [w],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
    )
    onnx.save(model, path)
    assert_user_error(ercc(path, "-o", tmp_path / "k.cpp"), "dense.onnx", "no recurrent layer")


def test_unsupported_op(tmp_path):
    path = tmp_path / "lstm_cos.onnx"
    model = make_lstm_model(T=4, I=3, H=4)
    model.graph.node.append(helper.make_node("Cos", ["Y_h"], ["Z"], name="weird_cos"))
    model.graph.output.append(helper.make_tensor_value_info("Z", TensorProto.FLOAT, [1, 1, 4]))
    onnx.save(model, path)
    out = tmp_path / "k.cpp"
    assert_user_error(ercc(path, "-o", out), "lstm_cos.onnx", "weird_cos", "Cos")
    assert not out.exists()


@pytest.mark.parametrize("k", ["3", "0", "-4", "6"])
def test_block_size_not_power_of_two(tmp_path, k):
    out = tmp_path / "k.cpp"
    assert_user_error(ercc(EXAMPLE, "-o", out, "--block-size", k), "--block-size", "power of two")
    assert not out.exists()


def test_bad_usage_is_one_line():
    assert_user_error(ercc(EXAMPLE, "--block-size", "four"), "--block-size")


def test_simulate_reports_missing_input_key(tmp_path):
    inputs = tmp_path / "in.npz"
    np.savez(inputs, wrong=np.zeros((1, 32, 13), np.float32))
    out = tmp_path / "out.npz"
    assert_user_error(ercc("simulate", EXAMPLE, "--inputs", inputs, "-o", out), "'x'")
    assert not out.exists()


def test_simulate_writes_onnxruntime_shapes(tmp_path):
    inputs = tmp_path / "in.npz"
    x = np.random.default_rng(0).standard_normal((2, 32, 13)).astype(np.float32)
    np.savez(inputs, x=x)
    out = tmp_path / "out.npz"
    result = ercc("simulate", EXAMPLE, "--inputs", inputs, "-o", out, "--precision", "float")
    assert result.returncode == 0, result.stderr
    import onnxruntime as ort

    want = ort.InferenceSession(str(EXAMPLE)).run(None, {"x": x})[0]
    got = np.load(out)["logits"]
    assert got.shape == want.shape and np.abs(got - want).max() <= 1e-4


def test_same_input_same_output(tmp_path):
    a, b = tmp_path / "a" / "k.cpp", tmp_path / "b" / "k.cpp"  # same name: the kernel includes k_weights.h
    for out in (a, b):
        out.parent.mkdir()
        assert ercc(EXAMPLE, "-o", out, "--block-size", "4", "--seq-len", "32").returncode == 0
    assert a.read_bytes() == b.read_bytes()
    assert (a.parent / "k_weights.h").read_bytes() == (b.parent / "k_weights.h").read_bytes()


def test_report_is_a_labelled_estimate(tmp_path):
    report = tmp_path / "report.json"
    result = ercc(EXAMPLE, "-o", tmp_path / "k.cpp", "--seq-len", "32", "--block-size", "8",
                  "--device", "xczu9eg", "--clock-mhz", "250", "--report", report)
    assert result.returncode == 0, result.stderr
    assert "ESTIMATE" in result.stdout
    import json

    data = json.loads(report.read_text())
    for key in ("device", "clock_mhz", "cycles_per_frame", "latency_cycles", "throughput_fps", "dsp", "bram18k",
                "lut", "weight_bytes", "per_layer"):
        assert key in data
    assert data["device"] == "xczu9eg" and data["clock_mhz"] == 250 and data["estimate"] is True
    assert data["dsp"] <= data["dsp_available"]
    assert data["weights"]["block_size"] == 8


def test_unknown_device(tmp_path):
    assert_user_error(ercc(EXAMPLE, "-o", tmp_path / "k.cpp", "--device", "xc9000"), "xc9000", "xcku060")


def test_closed_stdout_is_not_a_traceback(tmp_path):
    """`ercc ... --report r.json | head -1`: the reader of the table is gone; ercc stops without a word."""
    model = tmp_path / "m.onnx"
    make_lstm_model(model)
    cmd = [sys.executable, "-m", "ercc", str(model), "-o", str(tmp_path / "k.cpp"), "--report", str(tmp_path / "r.json")]
    reader = subprocess.Popen(["true"], stdin=subprocess.PIPE)  # a reader that is gone before ercc writes
    reader.wait()
    run = subprocess.run(cmd, stdout=reader.stdin, stderr=subprocess.PIPE, text=True)
    reader.stdin.close()
    assert run.stderr == "", run.stderr
