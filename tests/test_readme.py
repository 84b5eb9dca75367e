"""README.md's command lines run as written, under the defaults they describe (fixed point).

Every line of the README's plain code blocks that starts with `ercc` runs through the shell in a
directory holding the files the lines name (model.onnx with input "X", in.npz, ercc.yaml,
train.npz, quant_lstm.onnx), and its python block runs with `x` defined. `make demo` and
`make test` are left out: they create the virtual environment and run this suite. The lines
that build with g++ or train (simulate, the python block's predict, admm) are a test of their own;
both are slow tests (a dozen ercc processes, two g++ builds, an ADMM run).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
HEAVY = re.compile(r"^ercc (simulate|admm) ")  # g++ or training: the slow test
T, I, H = 8, 8, 16


def blocks(kind: str) -> list[str]:
    return [m.group(2) for m in BLOCK.finditer(README.read_text()) if m.group(1) == kind]


def command_lines() -> list[str]:
    """The README's `ercc ...` lines, without their trailing comments."""
    lines = [ln.split("#", 1)[0].strip() for code in blocks("") for ln in code.splitlines()]
    return [ln for ln in lines if ln.startswith("ercc ")]


def _files(tmp: Path) -> None:
    """The files the README's lines name: a torch LSTM classifier (input X), its inputs and labels,
    a config and a quantized model (a QONNX Quant on the LSTM's W)."""
    torch = pytest.importorskip("torch")
    from test_quantized_bad_input import _quant_weight_model

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(I, H, batch_first=True)
            self.head = torch.nn.Linear(H, 3)

        def forward(self, x):
            y, _ = self.lstm(x)
            return self.head(y[:, -1])

    torch.manual_seed(0)
    torch.onnx.export(Classifier().eval(), (torch.randn(1, T, I),), str(tmp / "model.onnx"), input_names=["X"],
                      output_names=["logits"], opset_version=17, dynamo=False,
                      dynamic_axes={"X": {0: "batch"}, "logits": {0: "batch"}})
    model = onnx.load(tmp / "model.onnx")
    model.ir_version = min(model.ir_version, 10)
    onnx.save(model, tmp / "model.onnx")
    rng = np.random.default_rng(0)
    np.savez(tmp / "in.npz", X=rng.uniform(-1, 1, (4, T, I)).astype(np.float32))
    x = rng.standard_normal((60, T, I)).astype(np.float32)
    np.savez(tmp / "train.npz", X=x, labels=(x[:, :, 0].mean(1) > 0).astype(np.int64) + (x[:, :, 1].mean(1) > 0))
    (tmp / "ercc.yaml").write_text("block-size: 4\n")
    onnx.save(_quant_weight_model(), tmp / "quant_lstm.onnx")


@pytest.fixture
def readme_dir(tmp_path, monkeypatch):
    _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(line: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(line, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_readme_names_its_commands():
    lines = command_lines()
    assert len(lines) >= 12 and sum(bool(HEAVY.match(ln)) for ln in lines) == 2
    assert len(blocks("python")) == 1


@pytest.mark.slow  # a dozen ercc processes: about 30 s of CPU
def test_the_readme_commands_run(readme_dir):
    for line in command_lines():
        if HEAVY.match(line):
            continue
        result = _run(line, readme_dir)
        assert result.returncode == 0, f"{line}\n{result.stderr}"
        if "-o kernel.cpp" in line:  # fixed point unless the line says --precision float
            assert ("ap_fixed<" in (readme_dir / "kernel.cpp").read_text()) != ("--precision float" in line), line
    # quant_lstm.onnx (the last line writing prj/): its own int8 weights, not re-quantized to ap_fixed
    assert "ap_fixed<" not in (readme_dir / "prj" / "ercc_kernel.cpp").read_text()


@pytest.mark.slow
def test_the_readme_simulate_admm_and_python_run(readme_dir):
    for line in command_lines():
        if HEAVY.match(line):
            result = _run(line, readme_dir)
            assert result.returncode == 0, f"{line}\n{result.stderr}"
    assert np.load(readme_dir / "out.npz")["logits"].shape == (4, 3)
    assert (readme_dir / "model_bc8.onnx").is_file()
    x = np.load(readme_dir / "in.npz")["X"]
    namespace = {"x": x, "__name__": "readme"}
    exec(compile(blocks("python")[0], str(README), "exec"), namespace)  # noqa: S102 - the README's own code
    assert np.array_equal(namespace["y"]["logits"], np.load(readme_dir / "out.npz")["logits"])  # == simulate
    assert "ap_fixed<" in (readme_dir / "prj" / "ercc_kernel.cpp").read_text()
