"""The progress display: only on a terminal, never with --quiet, never in pipes; errors stay one line."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys

import numpy as np
import pytest
from models import make_gru_model

from ercc.compiler.pipeline import CompileOptions
from ercc.compiler.simulate import simulate_arrays

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("progress")
    make_gru_model(root / "gru.onnx", T=5, I=3, H=4, batch="N", seed=3)
    np.savez(root / "in.npz", X=np.random.default_rng(0).standard_normal((5, 3, 3)).astype(np.float32))
    (root / "bad.json").write_text(json.dumps({"layers": {"nope": {"block_size": 2}}}))
    return root


def _ercc_on_terminal(*args) -> tuple[int, str]:
    """Run `ercc ARGS` with stderr on a pseudo-terminal; returns the exit code and what it drew there."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ercc", *map(str, args)], stdout=subprocess.DEVNULL, stderr=slave, env=env
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace")


def _simulate(files, out: str = "out.npz") -> list[str]:
    return ["simulate", files / "gru.onnx", "--inputs", files / "in.npz", "-o", files / out, "--block-size", 2]


def test_no_progress_in_pipes(files):
    result = subprocess.run(
        [sys.executable, "-m", "ercc", *map(str, _simulate(files))], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and result.stderr == "" and result.stdout == ""


def test_progress_on_a_terminal_not_with_quiet(files):
    code, drawn = _ercc_on_terminal(*_simulate(files, "out_tty.npz"))
    assert code == 0, drawn
    text = ANSI.sub("", drawn)
    assert "importing gru.onnx" in text and "passes" in text and "building the C simulation (g++)" in text
    assert "simulating (csim) 3/3" in text  # 3 sequences, one per chunk: counted as they run
    inputs = dict(np.load(files / "in.npz"))
    whole = simulate_arrays(files / "gru.onnx", inputs, CompileOptions(block_size=2))  # one call, no display
    with np.load(files / "out_tty.npz") as chunked:
        assert all(np.array_equal(chunked[k], v) for k, v in whole.items())
    code, drawn = _ercc_on_terminal(*_simulate(files), "--quiet")
    assert code == 0 and drawn == "", drawn


def test_an_error_during_a_step_is_one_line_on_a_terminal(files):
    code, drawn = _ercc_on_terminal(files / "gru.onnx", "-o", files / "k.cpp", "--config", files / "bad.json")
    text = ANSI.sub("", drawn)
    lines = [line for line in re.split(r"[\r\n]+", text) if "error" in line]
    assert code == 2 and "Traceback" not in text
    assert len(lines) == 1 and lines[0].startswith("ercc: error: ") and "no recurrent node named 'nope'" in lines[0]
