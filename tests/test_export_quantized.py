"""Fake-quantized `export-onnx --precision fixed`: integers + DequantizeLinear holding ercc's weight values."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from models import make_gru_model, make_lstm_model
from onnx import numpy_helper
from test_product import ercc_cli

from ercc.compiler.export_onnx import export_compressed, fake_quantize
from ercc.compiler.onnx_projection import GATES, project_recurrent_weights
from ercc.compiler.pipeline import CompileOptions, compile_model
from ercc.dialects import fix
from ercc.dialects.fix import raw_values
from ercc.numerics.fixed import from_float, to_float
from ercc.passes.quantize import weight_format

MODELS = {
    "lstm_peepholes": lambda: make_lstm_model(
        None, T=5, I=3, H=4, batch="N", direction="bidirectional", peepholes=True, seed=3
    ),
    "gru_linear_before_reset": lambda: make_gru_model(
        None, T=5, I=3, H=4, batch="N", direction="bidirectional", linear_before_reset=1, seed=4
    ),
}


def _ercc_values(block: np.ndarray, bits: int, modes: tuple[str, str]) -> np.ndarray:
    fmt = weight_format(block, bits, *modes)
    return to_float(from_float(block, fmt), fmt)


def _run(model: onnx.ModelProto, x: np.ndarray, outputs: list[str] | None = None) -> list[np.ndarray]:
    if outputs:
        model = onnx.ModelProto.FromString(model.SerializeToString())
        model.graph.output.extend(onnx.helper.make_empty_tensor_value_info(n) for n in outputs)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(outputs, {session.get_inputs()[0].name: x})


def _recurrent(model: onnx.ModelProto) -> onnx.NodeProto:
    return next(n for n in model.graph.node if n.op_type in GATES)


def _expected_weights(projected: onnx.ModelProto, bits: int, modes: tuple[str, str]) -> dict[int, np.ndarray]:
    """ercc's dequantized W, R, B, P of the recurrent node, computed block by block from the definition."""
    node = _recurrent(projected)
    gates = GATES[node.op_type]
    inits = {t.name: numpy_helper.to_array(t) for t in projected.graph.initializer}
    W, R, B = (inits[node.input[i]] for i in (1, 2, 3))
    D, H = R.shape[0], R.shape[2]
    q = lambda a, n: np.concatenate([_ercc_values(p, bits, modes) for p in np.split(a, n)])  # noqa: E731
    out = {1: np.stack([q(w, gates) for w in W]), 2: np.stack([q(r, gates) for r in R])}
    lbr = node.op_type == "GRU" and any(a.name == "linear_before_reset" and a.i for a in node.attribute)
    biases = []
    for d in range(D):
        wb, rb = B[d, : gates * H].copy(), B[d, gates * H :].copy()
        summed = wb + rb
        if lbr:  # the candidate's recurrent bias stays apart
            summed[2 * H :], rb[: 2 * H] = wb[2 * H :], 0
        else:
            rb[:] = 0
        biases.append(np.concatenate([q(summed, gates), q(rb, gates)]))
    out[3] = np.stack(biases)
    if node.op_type == "LSTM":
        out[7] = np.stack([q(p, 3) for p in inits[node.input[7]]])
    return out


@pytest.mark.parametrize("modes", [("AP_RND", "AP_SAT"), ("AP_TRN", "AP_WRAP")])
@pytest.mark.parametrize("bits", [6, 8, 12, 16, 20])
@pytest.mark.parametrize("block_size", [1, 2])
@pytest.mark.parametrize("name", MODELS)
def test_dequantized_weights_are_ercc_values_and_outputs_match(name, block_size, bits, modes):
    projected = project_recurrent_weights(MODELS[name](), block_size)
    exported = fake_quantize(projected, bits, *modes)
    onnx.checker.check_model(exported, full_check=True)
    node = _recurrent(exported)
    expected = _expected_weights(projected, bits, modes)
    x = np.random.default_rng(bits).standard_normal((5, 2, 3)).astype(np.float32)
    names = [node.input[i] for i in expected]
    got = dict(zip(expected, _run(exported, x, names)))
    for index, values in expected.items():
        np.testing.assert_array_equal(got[index], values.astype(np.float32), err_msg=f"input {index}")
    raw_types = {t.data_type for t in exported.graph.initializer if t.name.endswith("_q")}
    T = onnx.TensorProto
    assert raw_types == {T.INT8 if bits <= 8 else T.INT16 if bits <= 16 else T.INT32}
    # The float model with ercc's values as weights: onnxruntime agrees within 1e-5.
    oracle = onnx.ModelProto.FromString(projected.SerializeToString())
    oracle_node = _recurrent(oracle)
    for t in oracle.graph.initializer:
        for index, values in expected.items():
            if t.name == oracle_node.input[index]:
                t.CopyFrom(numpy_helper.from_array(values.astype(np.float32), t.name))
    for a, b in zip(_run(exported, x), _run(oracle, x)):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", MODELS)
def test_formats_are_those_of_the_quantize_pass(name):
    """Every W/R block of the export is a weight table of the --precision fixed kernel, format and integers."""
    model = MODELS[name]()
    imported, _ = compile_model(model, CompileOptions(precision="fixed", weight_bits=8))
    tables = {
        (op.result.type.get_element_type().format.frac, raw_values(op.value).tobytes())
        for op in imported.module.walk()
        if isinstance(op, fix.ConstOp)
    }
    exported = export_compressed(model, CompileOptions(precision="fixed", weight_bits=8))
    inits = {t.name: numpy_helper.to_array(t) for t in exported.graph.initializer}
    checked = 0
    for dq in (n for n in exported.graph.node if n.op_type == "DequantizeLinear"):
        raw, scale = inits[dq.input[0]], inits[dq.input[1]]
        for block, s in zip(raw, scale):
            if raw.ndim == 3:  # W and R: [H, I] / [H, H] tables
                assert (int(-np.log2(s)), block.astype(np.int64).tobytes()) in tables
                checked += 1
    assert checked == 2 * GATES[_recurrent(model).op_type] * 2


def test_cli_fixed_export_and_option_errors(tmp_path):
    path = tmp_path / "gru.onnx"
    onnx.save(MODELS["gru_linear_before_reset"](), path)
    out = tmp_path / "gru_q.onnx"
    ok = ercc_cli("export-onnx", path, "-o", out, "--precision", "fixed", "--weight-bits", 8)
    assert ok.returncode == 0, ok.stderr
    assert sum(n.op_type == "DequantizeLinear" for n in onnx.load(out).graph.node) == 3
    bad = ercc_cli("export-onnx", path, "-o", tmp_path / "x.onnx", "--precision", "fixed", "--weight-bits", 3)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "--weight-bits must be an integer in [4, 24], got 3" in bad.stderr
    bad = ercc_cli("export-onnx", path, "-o", tmp_path / "x.onnx", "--block-size", 3)
    assert bad.returncode == 2 and "--block-size must be a power of two" in bad.stderr
    assert not (tmp_path / "x.onnx").exists()


def test_ties_round_half_up_as_ap_fixed_does():
    """Weights exactly between two 6-bit steps: ercc's AP_RND rounds up, where QuantizeLinear would round to even."""
    model = MODELS["gru_linear_before_reset"]()
    w_init = next(t for t in model.graph.initializer if t.name == _recurrent(model).input[1])
    w = numpy_helper.to_array(w_init).copy()  # [2, 12, 3]: 6 gate blocks of 4x3
    ties = (2 * np.arange(w.size).reshape(w.shape) % 61 - 30 + 1) / 64  # odd multiples of 1/64
    ties[:, ::4, 0] = 0.9  # every block's largest magnitude: format <6, 1>, lsb 1/32
    w_init.CopyFrom(numpy_helper.from_array(ties.astype(np.float32), w_init.name))
    exported = fake_quantize(model, 6)
    x = np.zeros((5, 1, 3), np.float32)
    (got,) = _run(exported, x, [_recurrent(exported).input[1]])
    up = np.floor(ties * 32 + 0.5) / 32
    assert np.array_equal(got, up.astype(np.float32))
    assert not np.array_equal(up, np.round(ties * 32) / 32)  # the test has ties that tell the two apart
