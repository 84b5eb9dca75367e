"""`--interface array | axis | m_axi`: each project's testbench drives the kernel through its ports and
matches the golden vectors (ercc's C simulation, what `predict()` returns) bit for bit in fixed point;
`ercc simulate` agrees; bad combinations are one-line errors.

Every model × block size × interface is a slow test; two representative ones run by default.
"""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
from models import make_gru_model, make_lstm_model, make_rnn_model

import ercc
from ercc.backends.hls.rules import violations
from ercc.cli import run
from ercc.compiler.pipeline import CompileOptions
from ercc.compiler.simulate import simulate_arrays

MODELS = {
    "lstm": lambda path: make_lstm_model(path, T=4, I=8, H=8, initial_state=True, seed=3),
    "gru-bidirectional": lambda path: make_gru_model(path, T=4, I=8, H=8, direction="bidirectional", seed=4),
    "rnn": lambda path: make_rnn_model(path, T=4, I=8, H=8, seed=5),
}
# The default suite: a stream and a Vitis kernel (tests/test_product.py builds an array project).
DEFAULT = {("gru-bidirectional", 8, "axis"), ("lstm", 1, "m_axi")}
CASES = [
    pytest.param(m, k, i, id=f"{m}-K{k}-{i}", marks=() if (m, k, i) in DEFAULT else pytest.mark.slow)
    for m in MODELS for k in (1, 8) for i in ("array", "axis", "m_axi")
]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("interface_models")

    def get(name: str):
        path = root / f"{name}.onnx"
        if not path.exists():
            MODELS[name](path)
        return path

    return get


@pytest.mark.parametrize("model,block_size,interface", CASES)
def test_project_csim_is_exact_through_the_interface(model_path, tmp_path, model, block_size, interface):
    batch = 1 if interface == "array" else 3  # 4 golden sequences: calls of 3 and 1 through the count port
    compiled = ercc.compile(model_path(model), block_size=block_size, interface=interface, batch=batch,
                            record_ir=False)
    assert compiled.options.precision == "fixed" and "ap_fixed<" in compiled.source  # the default
    assert violations(compiled.source) == []
    prj = compiled.write(tmp_path / "prj", project=True)
    tb = (prj / "tb.cpp").read_text()
    assert "kAtol = 0.0, kRtol = 0.0" in tb  # fixed point: bit for bit
    tcl = (prj / "run_hls.tcl").read_text()
    if interface == "m_axi":
        assert "-flow_target vitis" in tcl and "export_design -format xo -output ercc_kernel.xo" in tcl
    else:
        assert "-flow_target vivado" in tcl and "export_design -format ip_catalog" in tcl
    assert f"## Integrating `ercc_kernel` (`--interface {interface}`)" in (prj / "README.md").read_text()
    result = subprocess.run(["make", "-C", str(prj), "csim"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    (line,) = [ln for ln in result.stdout.splitlines() if "outputs match" in ln]
    checked = int(re.match(r"(\d+) of (\d+)", line).group(2))
    assert line.startswith(f"{checked} of {checked} outputs match (max abs error 0)")
    assert checked == 4 * sum(p.size for p in compiled.kernel.outputs)
    # The testbench fails on one wrong golden bit pattern (it cannot pass by accident).
    golden = (prj / "golden_out.dat").read_text().splitlines()
    golden[-1] = repr(float(np.nextafter(np.float32(golden[-1]), np.float32(np.inf))))
    (prj / "golden_out.dat").write_text("\n".join(golden) + "\n")
    result = subprocess.run(["make", "-C", str(prj), "csim"], capture_output=True, text=True, timeout=600)
    assert result.returncode != 0 and "mismatch" in result.stderr


@pytest.mark.parametrize(
    "interface", ["axis", pytest.param("m_axi", marks=pytest.mark.slow), pytest.param("array", marks=pytest.mark.slow)]
)
def test_predict_and_simulate_are_bit_identical_for_the_interface(model_path, interface):
    path = model_path("gru-bidirectional")
    batch = 1 if interface == "array" else 3  # as in the project test: its C-simulation library is cached
    x = np.random.default_rng(0).uniform(-2, 2, (4, 3, 8)).astype(np.float32)
    got = ercc.compile(path, block_size=8, interface=interface, batch=batch, record_ir=False).predict({"X": x})
    options = CompileOptions(block_size=8, interface=interface, batch=batch)
    want = simulate_arrays(path, {"X": x}, options)
    reference = simulate_arrays(path, {"X": x}, options, engine="reference")
    for name in want:
        assert got[name].tobytes() == want[name].tobytes() == reference[name].tobytes(), name


@pytest.mark.parametrize(
    "args,message",
    [
        (["--interface", "pcie"], "argument --interface: invalid choice: 'pcie'"),
        (["--batch", "4"], "--batch 4 needs --interface axis or m_axi: the array interface carries one sequence"),
        (["--interface", "axis", "--batch", "0"], "--batch must be an integer >= 1, got 0"),
        (["--precision", "float", "--weight-bits", "8"], "--weight-bits: only meaningful with --precision fixed"),
    ],
)
def test_bad_interface_options_are_one_line_errors(model_path, tmp_path, capsys, args, message):
    out = tmp_path / "k.cpp"
    assert run([str(model_path("rnn")), "-o", str(out), "--quiet", *args]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("ercc: error: ") and message in line
    assert not out.exists()


def test_the_config_file_and_the_report_carry_the_interface(model_path, tmp_path, capsys):
    config = tmp_path / "ercc.yaml"
    config.write_text("interface: m_axi\nbatch: 8\n")
    report = tmp_path / "r.json"
    assert run([str(model_path("rnn")), "-o", str(tmp_path / "k.cpp"), "--config", str(config),
                "--report", str(report), "--quiet"]) == 0
    assert 'extern "C" void ercc_kernel(' in (tmp_path / "k.cpp").read_text()
    import json

    section = json.loads(report.read_text())["interface"]
    assert section["interface"] == "m_axi" and section["batch"] == 8
    assert section["adds"]["lut"] > 0 and section["load_cycles_per_sequence"] > 0
    assert "interface m_axi, batch 8" in capsys.readouterr().out
    config.write_text("interface: pcie\n")
    assert run([str(model_path("rnn")), "-o", str(tmp_path / "k.cpp"), "--config", str(config)]) == 2
    assert "--interface: invalid choice 'pcie'" in capsys.readouterr().err


def test_a_port_bound_loop_needs_its_tripcount():
    counted = "void f(int n) {\n  l: for (int s = 0; s < n; s++) {\n    #pragma HLS loop_tripcount min=1 max=4\n  }\n}\n"
    assert violations(counted) == []
    assert violations(counted.replace("    #pragma HLS loop_tripcount min=1 max=4\n", "")) == [
        "loop l has no static bound: 'for (int s = 0; s < n; s++)'"
    ]
