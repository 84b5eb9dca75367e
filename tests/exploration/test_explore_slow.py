"""The long exploration checks: Ray against a local head, SIGINT and resume, the chosen kernel bit for bit."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("optuna")

from ercc.cli import run  # noqa: E402
from ercc.exploration import explore  # noqa: E402

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ray_head():
    """A local Ray head on 127.0.0.1 (2 CPUs), stopped afterwards.

    Its temp dir is short: Ray's unix sockets live there, and pytest's tmp_path is too long for them.
    """
    pytest.importorskip("ray")
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    port = _free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    subprocess.run([str(BIN / "ray"), "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
                    "--num-cpus=2", "--include-dashboard=false", f"--temp-dir={temp}"],
                   check=True, env=env, capture_output=True)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(BIN / "ray"), "stop", "--force"], env=env, capture_output=True)
        shutil.rmtree(temp, ignore_errors=True)


def test_ray_gives_the_same_pareto_set_as_the_process_pool(tiny_case, tmp_path, ray_head):
    model, data = tiny_case
    options = dict(block_sizes=[1, 4], weight_bits=[8, 16], max_drop=0.05, jobs=2, seed=3)
    local = explore(model, data, out=tmp_path / "local", **options)
    remote = explore(model, data, out=tmp_path / "ray", ray=ray_head, **options)
    assert [p["label"] for p in remote.pareto] == [p["label"] for p in local.pareto]
    assert [p["value"] for p in remote.pareto] == [p["value"] for p in local.pareto]
    assert remote.best["label"] == local.best["label"]
    assert remote.summary["trainings_run"] == local.summary["trainings_run"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_sigint_then_rerun_resumes_the_study(tiny_case, tmp_path, jobs):
    """SIGINT to the driver alone (as `kill -INT`; a terminal's Ctrl-C reaches the workers too): with a
    process pool its workers are terminated rather than awaited, and the rerun resumes."""
    model, data = tiny_case
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "ercc", "explore", str(model), "--data", str(data), "-o", str(out), "--quiet",
            "--block-sizes", "1,4", "--weight-bits", "8,12,16", "--max-drop", "0.05", "--jobs", str(jobs)]
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline and len(list((out / "cache").glob("*.json"))) < 3:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "interrupted" in err, err
    assert not (out / "best.onnx").exists() and not (out / "trials.json").exists()
    cached = len(list((out / "cache").glob("*.json")))
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    saved = json.loads((out / "trials.json").read_text())
    assert saved["summary"]["screened"] == 12
    screened = [t for t in saved["trials"] if t["phase"] == "screen"]
    assert len({t["label"] for t in screened}) == 12
    assert cached >= 3 and not list(out.glob(".*"))  # no temporary files left behind


def test_best_compiles_with_plain_ercc_and_its_csim_matches_the_reference_bit_for_bit(tiny_case, tmp_path, capsys):
    model, data = tiny_case
    out = tmp_path / "run"
    result = explore(model, data, out=out, block_sizes=[4], weight_bits=[12], max_drop=0.2, project=True)
    assert (out / "project").is_dir() and result.best["config"]["block_sizes"] == {"/rnn/LSTM/W": 4, "/rnn/LSTM/R": 4}
    inputs = tmp_path / "in.npz"
    np.savez(inputs, x=np.load(data)["x"][:12])
    outs = {}
    for engine in ("csim", "reference"):
        outs[engine] = tmp_path / f"{engine}.npz"
        code = run(["simulate", str(out / "best.onnx"), "--inputs", str(inputs), "-o", str(outs[engine]),
                    "--config", str(out / "best.yaml"), "--engine", engine, "--quiet"])
        assert code == 0, capsys.readouterr().err
    a, b = np.load(outs["csim"]), np.load(outs["reference"])
    assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)
