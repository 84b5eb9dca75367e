"""The product surface: ercc.compile / CompiledModel, Vitis HLS projects, export-onnx, CLI options."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from models import make_gru_model

import ercc
from ercc.compiler.pipeline import CompileOptions

ROOT = Path(__file__).parents[1]
PLUGIN = ROOT / "examples" / "passes" / "hard_sigmoid.py"
K = 2


def ercc_cli(*args) -> subprocess.CompletedProcess:
    """`ercc ARGS` in-process (the CLI's own `run`), as a CompletedProcess; tests/test_cli.py covers the subprocess."""
    from ercc.cli import run

    argv = list(map(str, args))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run(argv)
        except SystemExit as e:  # --help, --version
            code = e.code or 0
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def gru(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("product") / "gru_bi.onnx"
    make_gru_model(path, T=5, I=3, H=4, batch="N", direction="bidirectional", seed=3)
    return path


@pytest.fixture(scope="module")
def compiled(gru):
    return ercc.compile(gru, block_size=K, precision="float")  # onnxruntime's semantics, as export-onnx's default


@pytest.fixture(scope="module")
def batch() -> np.ndarray:
    return np.random.default_rng(7).standard_normal((5, 3, 3)).astype(np.float32)


def test_import_ercc_does_not_import_xdsl():
    code = "import sys, ercc; assert 'xdsl' not in sys.modules; assert callable(ercc.compile)"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_unknown_option_names_the_known_ones(gru):
    with pytest.raises(TypeError, match="block_size, precision"):
        ercc.compile(gru, blocksize=4)


def test_every_compile_option_has_a_cli_flag():
    """Per-layer options (`layers`) live in the --config file only; its help names them."""
    help_text = ercc_cli("--help").stdout
    for field in dataclasses.fields(CompileOptions):
        flag = "--config" if field.name == "layers" else f"--{field.name.replace('_', '-')}"
        assert flag in help_text, field.name
    assert "layers: {ONNX_NODE_NAME: {block_size: 4, weight_bits: 8}}" in " ".join(help_text.split())


def test_stages_and_report(compiled):
    assert [s for s in ("onnx", "rnn", "cells", "circ", "freq", "scheduled", "cpp") if s in compiled.stages] == [
        "onnx", "rnn", "cells", "circ", "freq", "scheduled", "cpp"
    ]
    assert "rnn.gru" in compiled.ir("rnn") and "rnn.scan" in compiled.ir("cells")
    assert "circ.const" in compiled.ir("circ") and "circ.freq_const" in compiled.ir("freq")
    assert "sched." in compiled.ir("scheduled") and compiled.ir("cpp") == compiled.source
    with pytest.raises(KeyError, match="no stage"):
        compiled.ir("nope")
    report = compiled.report
    assert report["block_size"] == K
    # bidirectional GRU: 2 directions x 3 gates x (W 4x3, R 4x4)
    assert len(report["matrices"]) == 12
    r = next(m for m in report["matrices"] if m["shape"] == [4, 4])
    assert (r["dense_weights"], r["circulant_weights"], r["dense_bytes"], r["circulant_bytes"]) == (16, 8, 64, 32)
    assert report["dense_bytes"] == 2 * 3 * (12 + 16) * 4


def test_predict_is_bit_identical_to_ercc_simulate(compiled, gru, batch, tmp_path):
    got = compiled.predict({"X": batch})
    assert got.keys() == {"Y", "Y_h"}
    np.savez(tmp_path / "in.npz", X=batch)
    result = ercc_cli("simulate", gru, "--inputs", tmp_path / "in.npz", "-o", tmp_path / "out.npz", "--block-size", K,
                      "--precision", "float")
    assert result.returncode == 0, result.stderr
    with np.load(tmp_path / "out.npz") as expected:
        for name in ("Y", "Y_h"):
            assert got[name].shape == expected[name].shape
            assert got[name].tobytes() == expected[name].tobytes(), name
    # a bare array is the only input
    assert compiled.predict(batch)["Y"].tobytes() == got["Y"].tobytes()


def test_predict_gives_the_same_bits_on_any_number_of_threads(compiled, batch, monkeypatch):
    """A batch's sequences run on worker threads (one per CPU, ERCC_CSIM_THREADS caps it)."""
    from ercc.backends.hls.sharedlib import csim_threads
    from ercc.errors import ErccError

    wide = np.concatenate([batch] * 3, axis=1)  # more sequences than threads
    outputs = []
    for n in ("1", "2", "7"):
        monkeypatch.setenv("ERCC_CSIM_THREADS", n)
        outputs.append(compiled.predict({"X": wide}))
    for got in outputs[1:]:
        for name in ("Y", "Y_h"):
            assert got[name].tobytes() == outputs[0][name].tobytes(), name
    assert (csim_threads(5), csim_threads(50)) == (5, 7)  # never more threads than sequences
    monkeypatch.setenv("ERCC_CSIM_THREADS", "0")
    with pytest.raises(ErccError, match="ERCC_CSIM_THREADS must be a positive integer, got '0'"):
        compiled.predict({"X": batch})


def test_export_onnx_matches_the_float_c_simulation(compiled, gru, batch, tmp_path):
    import onnxruntime as ort

    out = tmp_path / "gru_bc.onnx"
    result = ercc_cli("export-onnx", gru, "-o", out, "--block-size", K)
    assert result.returncode == 0, result.stderr
    model = onnx.load(out)
    assert model.ir_version <= 13
    onnx.checker.check_model(model)
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    reference = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"X": batch})))
    got = compiled.predict({"X": batch})
    for name in ("Y", "Y_h"):
        np.testing.assert_allclose(got[name], reference[name], atol=1e-5, rtol=0)
    # The API writes the same file from the compiled model's own options.
    assert compiled.export_onnx(tmp_path / "api.onnx").read_bytes() == out.read_bytes()


def test_bidirectional_gru_vitis_project_passes_make_csim(gru, compiled, tmp_path):
    prj = tmp_path / "prj"
    result = ercc_cli(gru, "-o", f"{prj}/", "--block-size", K, "--clock-mhz", 250, "--precision", "float")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in prj.iterdir())
    assert names == sorted(
        ["ercc_kernel.cpp", "ercc_kernel_weights.h", "ercc_kernel.h", "tb.cpp", "golden_in.dat", "golden_out.dat",
         "run_hls.tcl", "Makefile", "README.md"]
    )
    tcl = (prj / "run_hls.tcl").read_text()
    for needle in ("open_project", "set_top ercc_kernel", "add_files -tb tb.cpp", "open_solution",
                   "set_part {xcku060-ffva1156-2-e}", "create_clock -period 4.000", "csim_design",
                   "csynth_design", "cosim_design"):
        assert needle in tcl, needle
    assert (prj / "ercc_kernel.cpp").read_text() == compiled.source
    assert (prj / "ercc_kernel_weights.h").read_text() == compiled.weights and "add_files ercc_kernel_weights.h" in tcl
    run = subprocess.run(["make", "-C", str(prj), "csim"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "192 of 192 outputs match" in run.stdout
    # deterministic bytes: the API writes the same project
    again = compiled.write(f"{tmp_path}/again/", clock_mhz=250)
    for name in names:
        assert (again / name).read_bytes() == (prj / name).read_bytes(), name
    # the testbench fails on a wrong golden value
    lines = (prj / "golden_out.dat").read_text().splitlines()
    lines[5] = repr(float(lines[5]) + 0.5)
    (prj / "golden_out.dat").write_text("\n".join(lines) + "\n")
    run = subprocess.run(["make", "-C", str(prj), "csim"], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "mismatch" in run.stderr


def test_emit_print_ir_and_custom_pipeline_with_a_plugin(gru, tmp_path):
    result = ercc_cli(
        gru, "--emit", "scheduled", "--print-ir-after-all", "--load-pass-plugin", PLUGIN,
        "--pass-pipeline", "lower-rnn-layers,hard-sigmoid-gates{alpha=0.25},pe-schedule",
    )
    assert result.returncode == 0, result.stderr
    assert "hard_sigmoid, 0.25, 0.5" in result.stdout and "sched." in result.stdout
    dumps = [ln for ln in result.stderr.splitlines() if ln.startswith("// -----// IR Dump After")]
    assert [d.split("After ")[1].split(" //")[0] for d in dumps] == [
        "import (rnn)", "lower-rnn-layers", "hard-sigmoid-gates", "pe-schedule"
    ]
    bad = ercc_cli(gru, "--emit", "rnn", "--pass-pipeline", "no-such-pass")
    assert bad.returncode == 2 and "Unrecognized passes" in bad.stderr


def test_config_file(gru, tmp_path):
    config = tmp_path / "ercc.json"
    config.write_text(json.dumps({"block-size": 4, "device": "xczu9eg"}))
    result = ercc_cli(gru, "--emit", "circ", "--config", config)
    assert result.returncode == 0, result.stderr
    assert "!circ.bc<4x4, 4, f32>" in result.stdout
    yaml_config = tmp_path / "ercc.yaml"
    yaml_config.write_text("block-size: 4\nblock-sise: 8\n")
    bad = ercc_cli(gru, "--emit", "circ", "--config", yaml_config)
    assert bad.returncode == 2 and "unknown option 'block-sise'" in bad.stderr
