"""Per-layer options (`layers` in a --config file or `ercc.compile(layers=...)`): block size and weight bits per node."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from models import run_onnxruntime
from onnx import numpy_helper
from test_product import ercc_cli
from test_torch_stacks import export_stack

import ercc
from ercc.compiler.onnx_projection import project_recurrent_weights
from ercc.compiler.pipeline import CompileOptions, LayerOptions
from ercc.compiler.simulate import simulate_arrays
from ercc.dialects.fix import raw_values
from ercc.errors import ErccError

STACK = [("LSTM", 8, 1, True), ("GRU", 16, 1, False)]  # a bidirectional LSTM, then a GRU


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    path = tmp_path_factory.mktemp("layers") / "lstm_gru.onnx"
    export_stack(path, STACK, batch_first=True, dynamo=False, seed=5)
    lstm, gru = (n.name for n in onnx.load(path).graph.node if n.op_type in ("LSTM", "GRU"))
    return path, lstm, gru


def test_options_normalize_and_validate():
    a = CompileOptions(layers={"b": {"block-size": 4}, "a": {"block_size": 2}})
    assert a.layers == (("a", LayerOptions(2)), ("b", LayerOptions(4)))
    assert a == CompileOptions(layers=a.layers) and hash(a) == hash(CompileOptions(layers=a.layers))
    assert (a.block_size_of("a"), a.block_size_of("c"), a.max_block_size) == (2, 1, 4)
    with pytest.raises(ErccError, match="layer 'a': --block-size must be a power of two .*, got 3"):
        CompileOptions(layers={"a": {"block_size": 3}}).validate()
    unknown = r"layer 'a': unknown option 'blocksize' \(per-layer options: block_size, weight_bits, block_size_w, block_size_r\)"
    with pytest.raises(ErccError, match=unknown):
        CompileOptions(layers={"a": {"blocksize": 3}})
    with pytest.raises(ErccError, match="layers must map ONNX node names to options"):
        CompileOptions(layers={"a": 4})


@pytest.mark.parametrize("block_size,per_layer", [(1, (4, 2)), (8, (1, None))])
def test_per_layer_block_sizes_match_onnxruntime(stack, block_size, per_layer):
    """C simulation vs onnxruntime on the model projected layer by layer."""
    path, lstm, gru = stack
    layers = {name: {"block_size": k} for name, k in zip((lstm, gru), per_layer) if k is not None}
    options = CompileOptions(precision="float", block_size=block_size, layers=layers)
    sizes = {lstm: options.block_size_of(lstm), gru: options.block_size_of(gru)}
    oracle = project_recurrent_weights(onnx.load(path), block_size, sizes)
    x = np.random.default_rng(1).standard_normal((2, 7, 6)).astype(np.float32)
    want = run_onnxruntime(oracle, {"x": x})
    got = simulate_arrays(path, {"x": x}, options)
    err = max(float(np.abs(got[k] - want[k]).max()) for k in want)
    print(f"K={block_size} layers={layers}: max abs err {err:.3g}")
    assert err <= 1e-4
    # Each layer's matrices have its block size: scans 0 and 1 are the LSTM's directions, 2 the GRU.
    report = ercc.compile(path, block_size=block_size, layers=layers, seq_len=7, record_ir=False).report
    ks = {scan: {m["block_size"] for m in report["matrices"] if m["scan"] == scan} for scan in range(3)}
    assert ks == {0: {sizes[lstm]}, 1: {sizes[lstm]}, 2: {sizes[gru]}}


def test_config_layers_cli_and_export(stack, tmp_path):
    path, lstm, gru = stack
    config = tmp_path / "ercc.yaml"
    config.write_text(f"block-size: 1\nseq-len: 7\nlayers:\n  '{gru}': {{block-size: 4}}\n")
    result = ercc_cli(path, "--emit", "circ", "--config", config)
    assert result.returncode == 0, result.stderr
    assert "!circ.bc<16x16, 4, f32>" in result.stdout and "!circ.bc<8x" not in result.stdout
    out = tmp_path / "bc.onnx"
    assert ercc_cli("export-onnx", path, "-o", out, "--config", config).returncode == 0
    expected = project_recurrent_weights(onnx.load(path), 1, {gru: 4})
    assert {t.name: t.raw_data for t in onnx.load(out).graph.initializer} == {
        t.name: t.raw_data for t in expected.graph.initializer
    }
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"seq_len": 7, "layers": {"lstm_9": {"block_size": 4}}}))
    result = ercc_cli(path, "-o", tmp_path / "k.cpp", "--config", bad)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"no recurrent node named 'lstm_9' (the recurrent nodes: '{lstm}' (LSTM), '{gru}' (GRU))" in result.stderr
    bad.write_text(json.dumps({"layers": {gru: {"block_size": 6}}}))
    result = ercc_cli("export-onnx", path, "-o", tmp_path / "x.onnx", "--config", bad)
    assert result.returncode == 2 and f"layer '{gru}': --block-size must be a power of two" in result.stderr


def test_per_matrix_block_sizes_from_config_match_onnxruntime(stack, tmp_path):
    """W and R of a layer with different K (`block-size-w` / `block-size-r` in --config): the C simulation
    (float, explicitly) matches onnxruntime on the model projected matrix by matrix, and the IR has both K."""
    from ercc.compiler.compile_command import load_config

    path, lstm, gru = stack
    config = tmp_path / "ercc.yaml"
    config.write_text(f"block-size: 1\nseq-len: 7\nprecision: float\nlayers:\n"
                      f"  '{lstm}': {{block-size-w: 2, block-size-r: 4}}\n  '{gru}': {{block-size: 4, block-size-r: 8}}\n")
    options = CompileOptions(precision="float", layers=load_config(str(config))["layers"])
    assert (options.block_sizes_of(lstm), options.block_sizes_of(gru), options.max_block_size) == ((2, 4), (4, 8), 8)
    oracle = project_recurrent_weights(onnx.load(path), 1, {lstm: (2, 4), gru: (4, 8)})
    x = np.random.default_rng(2).standard_normal((2, 7, 6)).astype(np.float32)
    want = run_onnxruntime(oracle, {"x": x})
    got = simulate_arrays(path, {"x": x}, options)
    err = max(float(np.abs(got[k] - want[k]).max()) for k in want)
    print(f"per-matrix K: max abs err {err:.3g}")
    assert err <= 1e-4
    result = ercc_cli(path, "--emit", "circ", "--config", config)
    assert result.returncode == 0, result.stderr
    for t in ("!circ.bc<8x6, 2, f32>", "!circ.bc<8x8, 4, f32>", "!circ.bc<16x16, 4, f32>", "!circ.bc<16x16, 8, f32>"):
        assert t in result.stdout
    with pytest.raises(ErccError, match=f"layer '{lstm}': --block-size-r must be a power of two .*, got 3"):
        CompileOptions(layers={lstm: {"block-size-r": 3}}).validate()


def test_per_layer_weight_bits_in_the_kernel_and_the_export(stack):
    """The LSTM's weight tables are 8 bits wide, the GRU's 16, in the fixed kernel and in the fake-quantized export."""
    from ercc.compiler.export_onnx import export_compressed
    from ercc.compiler.pipeline import compile_model
    from ercc.dialects import fix

    path, lstm, gru = stack
    options = CompileOptions(precision="fixed", seq_len=7, layers={lstm: {"weight_bits": 8}})
    imported, _ = compile_model(path, options)
    tables = {
        (el.format.width, el.format.frac, raw_values(op.value).tobytes())
        for op in imported.module.walk()
        if isinstance(op, fix.ConstOp) and (el := op.result.type.get_element_type())
    }
    exported = export_compressed(path, options)
    inits = {t.name: numpy_helper.to_array(t) for t in exported.graph.initializer}
    widths = {}
    for dq in (n for n in exported.graph.node if n.op_type == "DequantizeLinear"):
        raw, scale = inits[dq.input[0]], inits[dq.input[1]]
        width = 8 * raw.dtype.itemsize
        widths.setdefault(dq.name.split("_")[0], set()).add(width)
        if raw.ndim == 3:  # W and R tables
            for block, s in zip(raw, scale):
                assert (width, int(-np.log2(s)), block.astype(np.int64).tobytes()) in tables
    assert widths == {lstm: {8}, gru: {16}}
    with pytest.raises(ErccError, match=f"layer '{lstm}': --weight-bits must be an integer in \\[4, 24\\], got 30"):
        CompileOptions(layers={lstm: {"weight_bits": 30}}).validate()


def test_a_layer_block_size_larger_than_its_matrices_is_refused(stack, tmp_path):
    """The GRU has 16 units on 16 inputs: K = 32 compresses nothing, in the kernel or the export."""
    path, _, gru = stack
    for args in (["-o", tmp_path / "k.cpp"], ["export-onnx", "-o", tmp_path / "m.onnx"]):
        config = tmp_path / "layers.json"
        config.write_text(json.dumps({"seq_len": 7, "layers": {gru: {"block_size": 32}}}))
        argv = [args[0], path, *args[1:], "--config", config] if args[0] == "export-onnx" else [path, *args, "--config", config]
        result = ercc_cli(*argv)
        assert result.returncode == 2
        message = f"layers: block size 32 of node '{gru}' (GRU) is larger than its gate matrices (16x16 and 16x16)"
        assert message in result.stderr
        assert not (tmp_path / "k.cpp").exists() and not (tmp_path / "m.onnx").exists()


def test_export_refuses_a_block_size_larger_than_every_matrix(stack, tmp_path):
    path, _, _ = stack
    result = ercc_cli("export-onnx", path, "-o", tmp_path / "m.onnx", "--block-size", "64")
    assert result.returncode == 2 and "--block-size 64 is larger than every recurrent weight matrix" in result.stderr
