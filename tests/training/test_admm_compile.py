"""The whole E-RNN path with W and R at different K: `ercc admm --config` trains, `ercc --config` compiles, and the
float C simulation of the trained model matches onnxruntime on it (slow: a g++ build)."""

import numpy as np
import onnx
import pytest
from models import run_onnxruntime
from test_product import ercc_cli
from test_torch_stacks import export_stack

from ercc.compiler.compile_command import load_config
from ercc.compiler.pipeline import CompileOptions
from ercc.compiler.simulate import simulate_arrays
from ercc.numerics.circulant import project_dense
from ercc.training.cli import admm_command


@pytest.mark.slow
def test_admm_with_per_matrix_k_compiles_and_c_simulates_like_onnxruntime(tmp_path):
    """A compilable stack (LSTM-8 then GRU-16, a head on every step), distilled onto its own outputs."""
    dense = tmp_path / "stack.onnx"
    export_stack(dense, [("LSTM", 8, 1, False), ("GRU", 16, 1, False)], batch_first=True, dynamo=False, seed=3)
    first, second = (n.name for n in onnx.load(dense).graph.node if n.op_type in ("LSTM", "GRU"))
    layers = f"layers:\n  '{first}': {{block-size-w: 1, block-size-r: 4}}\n  '{second}': {{block-size-w: 4, block-size-r: 8}}\n"
    (tmp_path / "admm.yaml").write_text("block-size: 2\n" + layers)
    (tmp_path / "ercc.yaml").write_text("block-size: 2\nseq-len: 7\nprecision: float\n" + layers)
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "t.npz", x=rng.standard_normal((64, 7, 6)).astype(np.float32))
    out = tmp_path / "bc.onnx"
    argv = [str(dense), "--data", str(tmp_path / "t.npz"), "-o", str(out), "--config", str(tmp_path / "admm.yaml"),
            "--epochs", "2", "--finetune-epochs", "2", "--quiet"]
    assert admm_command(argv) == 0
    trained = onnx.load(out)
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in trained.graph.initializer}
    nodes = {n.name: n for n in trained.graph.node}
    for node, kw, kr, gates in ((first, 1, 4, 4), (second, 4, 8, 3)):
        for name, k in ((nodes[node].input[1], kw), (nodes[node].input[2], kr)):
            for gate in np.split(weights[name][0].astype(np.float64), gates):
                assert np.abs(project_dense(gate, k) - gate).max() <= 1e-6
    result = ercc_cli(out, "--emit", "circ", "--config", tmp_path / "ercc.yaml")
    assert result.returncode == 0, result.stderr
    for t in ("!circ.bc<8x8, 4, f32>", "!circ.bc<16x8, 4, f32>", "!circ.bc<16x16, 8, f32>"):
        assert t in result.stdout
    options = CompileOptions(precision="float", layers=load_config(str(tmp_path / "ercc.yaml"))["layers"])
    probe = {"x": rng.standard_normal((2, 7, 6)).astype(np.float32)}
    want, got = run_onnxruntime(trained, probe), simulate_arrays(out, probe, options)
    err = max(float(np.abs(got[k] - want[k]).max()) for k in want)
    print(f"ADMM model, per-matrix K: max abs err {err:.3g}")
    assert err <= 1e-4
