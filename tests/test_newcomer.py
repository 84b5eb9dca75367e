"""The friction a newcomer met (issue 7's walk-through): -o, warnings, hints, errors that name the cause."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from models import IR_VERSION, make_gru_model
from onnx import TensorProto, helper, numpy_helper
from test_product import ercc_cli

import ercc
from ercc.errors import ErccError


@pytest.fixture(scope="module")
def gru(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("newcomer") / "gru.onnx"
    make_gru_model(path, T=5, I=3, H=4, batch="N", seed=3)
    return path


def user_error(result, *needles: str) -> str:
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("ercc: error: ")
    for needle in needles:
        assert needle in line, line
    return line


def warnings(result) -> list[str]:
    return [ln for ln in result.stderr.splitlines() if ln.startswith("ercc: warning: ")]


def _save(tmp_path: Path, name: str, nodes, inits, inputs, outputs) -> Path:
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    model = helper.make_model(graph, ir_version=IR_VERSION, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize("name", ["bigru_prj", "k.h", "kernel.txt"])
def test_o_is_a_kernel_file_or_a_project_directory(gru, tmp_path, name):
    user_error(ercc_cli(gru, "-o", tmp_path / name), ".cpp/.cc/.cxx", "ending in '/'")
    assert not (tmp_path / name).exists()


def test_a_project_keeps_the_files_ercc_did_not_write(gru, tmp_path):
    prj = tmp_path / "prj"
    (prj / "ercc_kernel_prj" / "solution1").mkdir(parents=True)
    (prj / "notes.txt").write_text("my notes\n")
    (prj / "ercc_kernel_prj" / "solution1" / "csynth.rpt").write_text("results\n")
    (prj / "Makefile").write_text("stale\n")
    result = ercc_cli(gru, "-o", prj)  # an existing directory: a project
    assert result.returncode == 0, result.stderr
    assert (prj / "notes.txt").read_text() == "my notes\n"
    assert (prj / "ercc_kernel_prj" / "solution1" / "csynth.rpt").read_text() == "results\n"
    assert "csim:" in (prj / "Makefile").read_text()
    assert "make csim AP_TYPES=" in (prj / "README.md").read_text()
    assert not [p for p in prj.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_emit_circ_without_a_block_size_is_a_user_error(gru):
    user_error(ercc_cli(gru, "--emit", "circ"), "--emit circ needs --block-size")
    user_error(ercc_cli(gru, "--emit", "circ", "--block-size", "2", "--pass-pipeline", "lower-rnn-layers"), "no such stage")


def test_simulate_with_an_npy_file(gru, tmp_path):
    np.save(tmp_path / "in.npy", np.zeros((1, 5, 3), np.float32))
    result = ercc_cli("simulate", gru, "--inputs", tmp_path / "in.npy", "-o", tmp_path / "out.npz")
    user_error(result, "in.npy", "expected an .npz (numpy.savez) file")


def test_export_onnx_says_what_it_wrote(gru, tmp_path):
    out = tmp_path / "bc.onnx"
    result = ercc_cli("export-onnx", gru, "-o", out, "--block-size", "2")
    assert result.returncode == 0 and result.stdout == f"wrote {out} (block size 2, float weights)\n"
    result = ercc_cli("export-onnx", gru, "-o", out, "--precision", "fixed", "--weight-bits", "8", "--quiet")
    assert result.returncode == 0 and result.stdout == ""
    result = ercc_cli("export-onnx", gru, "-o", out, "--precision", "fixed", "--weight-bits", "8")
    assert result.stdout == f"wrote {out} (block size 1, 8-bit weights)\n"


def test_too_large_block_size_names_the_largest_matrix(gru, tmp_path):
    # W is 4x3, R is 4x4: the message names R's shape
    user_error(ercc_cli(gru, "-o", tmp_path / "k.cpp", "--block-size", "8"), "gate matrix is 4x4")


def test_a_bad_config_value_names_the_config_file(gru, tmp_path):
    config = tmp_path / "ercc.yaml"
    config.write_text("block-size: four\n")
    user_error(ercc_cli(gru, "--emit", "rnn", "--config", config), f"{config}: --block-size: invalid int value 'four'")
    config.write_text("precision: double\n")
    user_error(ercc_cli(gru, "--emit", "rnn", "--config", config), f"{config}: --precision: invalid choice 'double'")
    config.write_text("block-size: 2.5\n")
    user_error(ercc_cli(gru, "--emit", "rnn", "--config", config), f"{config}: --block-size")
    config.write_text("block-size: '2'\n")  # a string that is an int is fine, as on the command line
    assert ercc_cli(gru, "--emit", "circ", "--config", config).returncode == 0


def test_predict_names_the_inputs_dict(gru):
    m = ercc.compile(gru)
    with pytest.raises(ErccError, match="the inputs dict has 'x'"):
        m.predict({"x": np.zeros((1, 5, 3), np.float32)})


def test_plugin_not_found_prints_the_absolute_path(gru, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = ercc_cli(gru, "--emit", "rnn", "--load-pass-plugin", "passes/mine.py")
    user_error(result, f"{tmp_path / 'passes' / 'mine.py'}: pass plugin not found")


def test_fixed_point_options_with_float_are_an_error(gru, tmp_path):
    out = tmp_path / "k.cpp"
    result = ercc_cli(gru, "-o", out, "--precision", "float", "--weight-bits", "8", "--act-bits", "8")
    user_error(result, "--weight-bits, --act-bits: only meaningful with --precision fixed")
    assert not out.exists()
    result = ercc_cli(gru, "-o", out, "--weight-bits", "8", "--part", "xczu9eg-ffvb1156-2-e")  # fixed: the default
    assert result.returncode == 0, result.stderr
    assert warnings(result) == [
        "ercc: warning: --part xczu9eg-ffvb1156-2-e only applies to a Vitis HLS project (-o DIR/); ignored",
    ]
    with pytest.raises(ErccError, match="--rounding: only meaningful with --precision fixed"):
        ercc.compile(gru, precision="float", rounding="AP_TRN")


def test_no_precision_option_writes_an_ap_fixed_kernel(gru, tmp_path):
    assert ercc_cli(gru, "-o", tmp_path / "k.cpp").returncode == 0
    source = (tmp_path / "k.cpp").read_text()
    assert "#include <ap_fixed.h>" in source and "ap_fixed<16,6," in source
    assert "ap_fixed" not in ercc.compile(gru, precision="float", record_ir=False).source


def test_part_selects_its_device_or_warns(gru, tmp_path):
    report = tmp_path / "r.json"
    result = ercc_cli(gru, "-o", f"{tmp_path}/a/", "--part", "xczu9eg-ffvb1156-2-e", "--report", report)
    assert result.returncode == 0 and warnings(result) == []
    assert json.loads(report.read_text())["device"] == "xczu9eg"
    assert "set_part {xczu9eg-ffvb1156-2-e}" in (tmp_path / "a" / "run_hls.tcl").read_text()
    result = ercc_cli(gru, "-o", f"{tmp_path}/b/", "--part", "xczu9eg-ffvb1156-2-e", "--device", "xcku060", "--report", report)
    assert [w.split(";")[0] for w in warnings(result)] == [
        "ercc: warning: --part xczu9eg-ffvb1156-2-e is a xczu9eg part but --device is xcku060"
    ]
    assert json.loads(report.read_text())["device"] == "xcku060"
    result = ercc_cli(gru, "-o", f"{tmp_path}/c/", "--part", "xc7z020-clg400-1")
    assert "none of ercc's device presets" in warnings(result)[0]


def test_an_integer_graph_input_hints_at_embeddings(tmp_path):
    path = _save(
        tmp_path, "tokens.onnx",
        [helper.make_node("Cast", ["x"], ["xf"], to=TensorProto.FLOAT)],
        [],
        [helper.make_tensor_value_info("x", TensorProto.INT64, [1, 5, 3])],
        [helper.make_tensor_value_info("xf", TensorProto.FLOAT, [1, 5, 3])],
    )
    model = make_gru_model(T=5, I=3, H=4)
    model.graph.input[0].type.tensor_type.elem_type = TensorProto.INT64
    onnx.save(model, path)
    user_error(ercc_cli(path, "-o", tmp_path / "k.cpp"), "not a float32 tensor", "keep nn.Embedding outside")


def test_an_unrolled_cell_loop_hints_at_nn_lstm(tmp_path):
    w = numpy_helper.from_array(np.ones((3, 16), np.float32), "w")
    path = _save(
        tmp_path, "cells.onnx",
        [helper.make_node("MatMul", ["x", "w"], ["g"]), helper.make_node("Sigmoid", ["g"], ["y"])],
        [w],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])],
    )
    user_error(ercc_cli(path, "-o", tmp_path / "k.cpp"), "no recurrent layer", "nn.LSTMCell", "use nn.LSTM/GRU/RNN")


def test_an_unsupported_op_is_reported_before_the_axis_errors_it_causes(tmp_path):
    """Conv1d → LSTM with a dynamic batch: the Conv is the cause, not the batch axis."""
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.standard_normal((4, 4, 1)).astype(np.float32), "cw"),
        numpy_helper.from_array(rng.standard_normal((1, 16, 4)).astype(np.float32), "W"),
        numpy_helper.from_array(rng.standard_normal((1, 16, 4)).astype(np.float32), "R"),
    ]
    path = _save(
        tmp_path, "conv_lstm.onnx",
        [
            helper.make_node("Conv", ["x", "cw"], ["c"], name="conv"),
            helper.make_node("Transpose", ["c"], ["ct"], perm=[2, 0, 1]),
            helper.make_node("LSTM", ["ct", "W", "R"], ["Y", "Y_h"], hidden_size=4, name="lstm"),
        ],
        inits,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, 8])],
        [helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [1, "N", 4])],
    )
    user_error(ercc_cli(path, "-o", tmp_path / "k.cpp"), "node 'conv' (Conv)", "operator 'Conv' is not supported",
               "docs/support.md")


def test_ercc_opt_help_says_what_each_pass_does(capsys, monkeypatch):
    from ercc.compiler.opt import main
    from ercc.universe import ERCC_UNIVERSE

    monkeypatch.setattr("sys.argv", ["ercc-opt", "--help"])
    with pytest.raises(SystemExit):
        main()
    out = capsys.readouterr().out
    for name in ERCC_UNIVERSE.all_passes:
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(name + " "))
        assert len(line.split(None, 1)[1]) > 20, line
