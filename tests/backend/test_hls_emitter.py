"""Properties of the emitted text: determinism, synthesizable shape, pragmas, names, errors."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from hls_helpers import dense, parse
from xdsl.context import Context

from ercc.backends.hls.emitter import c_identifier, emit_hls
from ercc.backends.hls.rules import violations
from ercc.backends.hls.target import HLSTarget
from ercc.errors import ErccError
from ercc.numerics.circulant import fft_matvec, spectrum

_RNG = np.random.default_rng(7)
_VECTORS = _RNG.normal(size=(2, 3, 4)).astype(np.float32)
_SPECTRA = np.stack([spectrum(_VECTORS).real, spectrum(_VECTORS).imag], axis=-1).astype(np.float32)
_W = _RNG.normal(size=(4, 3)).astype(np.float32)

# A kernel touching every emitter path, with schedules and partitions (a decision on every loop:
# a scheduled module decides them all).
EVERYTHING = f"""
func.func @"ercc kernel"(%x: tensor<5x3xf32>, %z: tensor<2x12xf32>) -> (tensor<5x4xf32>, tensor<8xf32>, tensor<12x2xf32>)
    attributes {{ercc.input_names = ["input.1", "for"], ercc.output_names = ["y", "v_xt", "3d"]}} {{
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  %w = arith.constant {{sched.partition = #sched.partition<cyclic, 2>}} {dense(_W)} : tensor<4x3xf32>
  %f = circ.freq_const {{sched.partition = #sched.partition<complete, 1>}} {dense(_SPECTRA)} : tensor<2x3x3x2xf32> -> !circ.fbc<8x12, 4, f32>
  %ys, %hT = rnn.scan reverse %x init(%h0) {{sched.loop = #sched.loop<ii = 2, unroll = 1>}} : (tensor<5x3xf32>, tensor<4xf32>) -> (tensor<5x4xf32>, tensor<4xf32>) {{
  ^bb0(%xt: tensor<3xf32>, %h: tensor<4xf32>):
    %a = rnn.matvec %w, %xt {{sched.loop = #sched.loop<ii = 1, unroll = 4>}} : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4xf32>
    %s = rnn.add %a, %h {{sched.loop = #sched.loop<ii = 1, unroll = 1>}} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %t = rnn.activation <hard_sigmoid, 0.2, 0.5> %s {{sched.loop = #sched.loop<ii = 1, unroll = 1>}} : tensor<4xf32> -> tensor<4xf32>
    rnn.yield %t : tensor<4xf32>
  }}
  %flat = rnn.reshape %z : tensor<2x12xf32> -> tensor<24xf32>
  %x12 = rnn.slice %flat offsets [0] strides [2] {{sched.loop = #sched.loop<ii = 1, unroll = 1>}} : tensor<24xf32> -> tensor<12xf32>
  %xf = circ.rfft %x12 {{sched.loop = #sched.loop<ii = 1, unroll = 1>}} : tensor<12xf32> -> !circ.spectrum<3, 4, f32>
  %yf = circ.freq_mac %f, %xf {{sched.loop = #sched.loop<ii = 1, unroll = 1>}} : !circ.fbc<8x12, 4, f32>, !circ.spectrum<3, 4, f32> -> !circ.spectrum<2, 4, f32>
  %y8 = circ.irfft %yf {{sched.loop = #sched.loop<ii = 1, unroll = 1>}} : !circ.spectrum<2, 4, f32> -> tensor<8xf32>
  %sm = rnn.softmax %y8 {{axis = 0 : i64, sched.loop = #sched.loop<ii = 1, unroll = 1>}} : tensor<8xf32> -> tensor<8xf32>
  %tz = rnn.transpose %z perm [1, 0] {{sched.loop = #sched.loop<ii = 1, unroll = 1>}} : tensor<2x12xf32> -> tensor<12x2xf32>
  func.return %ys, %sm, %tz : tensor<5x4xf32>, tensor<8xf32>, tensor<12x2xf32>
}}"""


@pytest.fixture(scope="module")
def source() -> str:
    return emit_hls(parse(EVERYTHING)).source


def test_everything_runs(run_ir):
    x, z = _RNG.normal(size=(2, 5, 3)), _RNG.normal(size=(2, 2, 12))
    ys, sm, tz = run_ir(EVERYTHING, [x, z])
    h, want_ys = np.zeros(4), np.zeros((5, 4))
    for t in reversed(range(5)):
        h = np.clip(0.2 * (_W.astype(np.float64) @ x[1, t] + h) + 0.5, 0, 1)
        want_ys[t] = h
    logits = fft_matvec(_VECTORS.astype(np.float64), z[1].reshape(-1)[::2], 8)
    np.testing.assert_allclose(ys[1], want_ys, atol=1e-5)
    np.testing.assert_allclose(sm[1], np.exp(logits) / np.exp(logits).sum(), atol=1e-5)
    np.testing.assert_array_equal(tz, z.transpose(0, 2, 1).astype(np.float32))


def test_deterministic():
    assert emit_hls(parse(EVERYTHING)).source == emit_hls(parse(EVERYTHING)).source


def test_synthesizable_shape(source):
    assert violations(source) == []
    labels = re.findall(r"^\s*(\w+): for \(", source, flags=re.MULTILINE)
    assert len(labels) == len(set(labels))


def test_rules_catch_violations():
    bad = "void f(int n) {\n  for (int i = 0; i < n; i++) {}\n  float *p = new float[3];\n  std::vector<int> v;\n  f(n);\n}\n"
    found = violations(bad)
    assert any("static bound" in v for v in found)
    assert any("new" in v for v in found) and any("STL" in v for v in found)
    assert any("recurse" in v for v in found) and any("unlabelled" in v for v in found)


def test_signature_and_names(source):
    kernel = emit_hls(parse(EVERYTHING))
    assert kernel.top == "ercc_kernel"
    assert [(p.name, p.c_name, p.shape) for p in kernel.inputs] == [
        ("input.1", "input_1", (5, 3)),
        ("for", "for_", (2, 12)),
    ]
    assert [(p.c_name, p.shape) for p in kernel.outputs] == [("y", (5, 4)), ("v_xt", (8,)), ("p3d", (12, 2))]
    assert "void ercc_kernel(\n    const data_t input_1[15],  // input.1: [5, 3]\n" in source
    assert "    data_t p3d[24]  // 3d: [12, 2]\n) {" in source
    assert "typedef float data_t;" in source and "#include <cmath>" in source
    assert "ap_fixed" not in source
    # The output named like a local ("v_xt") makes the local for %xt take another name.
    assert "    data_t v_xt_1[3];\n" in source


def test_fallback_port_names():
    kernel = emit_hls(parse(EVERYTHING.replace('attributes {ercc.input_names = ["input.1", "for"], ercc.output_names = ["y", "v_xt", "3d"]}', "")))
    assert [p.c_name for p in kernel.inputs + kernel.outputs] == ["in0", "in1", "out0", "out1", "out2"]


def test_constants_are_tables_in_the_weights_header(source):
    kernel = emit_hls(parse(EVERYTHING))
    assert kernel.weights_file == "ercc_kernel_weights.h"
    table = kernel.weights.split("static const float c_w[12] = {\n", 1)[1].split("\n};", 1)[0]
    assert [len(row.split(",")) - row.endswith(",") for row in table.splitlines()] == [12]
    assert "c_w[12] = {" not in source and "ercc_rom" not in source  # float tables are read directly
    assert source.index('#include "ercc_kernel_weights.h"') < source.index("void ercc_kernel(")
    assert violations(kernel.weights) == []


def test_pragmas(source):
    top = source.split("void ercc_kernel(", 1)[1]
    assert "#pragma HLS array_partition variable=c_w cyclic factor=2 dim=1" in top
    assert "#pragma HLS array_partition variable=c_f complete dim=1" in top
    # The factor (4) covers the matvec's inner loop (3 columns): it is unrolled
    # completely and its parent loop pipelined, one row (an adder tree) per cycle.
    matvec = re.search(r"#pragma HLS pipeline II=1\n\s*matvec\d+_k: for .*?\n\s*#pragma HLS unroll\n", top)
    assert matvec is not None
    # A recurrence's time loop is never pipelined: that would unroll the whole step.
    assert re.search(r"scan\d+_t: for .*?\n\s*(?!#pragma)", top)
    # The scan's own schedule (II 2) goes on its per-step copies: x_t in, the state update, y_t out.
    assert top.count("#pragma HLS pipeline II=2") == 3
    # The frequency-domain MAC engine's flattened (block row, column group) loop is always pipelined.
    assert re.search(r"freq_mac\d+_rb: for .*?\n\s*#pragma HLS pipeline II=1\n", top)
    # Every other loop's schedule (II 1): the add, the activation, the slice, the two FFTs, the
    # softmax's three passes, the transpose.
    assert top.count("#pragma HLS pipeline II=1") == 2 + 9
    assert top.count("#pragma HLS pipeline") == 14 and top.count("#pragma HLS unroll") == 1


def test_literals_round_trip():
    kernel = emit_hls(parse(EVERYTHING))
    literals = re.findall(r"(-?[\d.]+(?:e[-+]\d+)?)f\b", kernel.weights.split("c_w[12] = {", 1)[1].split("};", 1)[0])
    np.testing.assert_array_equal(np.array(literals, dtype=np.float32), _W.reshape(-1))


def test_target_writes_the_source(source):
    out = io.StringIO()
    HLSTarget().emit(Context(), parse(EVERYTHING), out)
    assert out.getvalue() == emit_hls(parse(EVERYTHING)).single_file()
    assert "static const float c_w[12] = {" in out.getvalue() and "_weights.h" not in out.getvalue()
    assert HLSTarget.name == "hls-cpp"


def test_unsupported_op_is_a_user_error():
    text = """func.func @k(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = arith.addf %x, %x : tensor<4xf32>
  func.return %y : tensor<4xf32>
}"""
    with pytest.raises(ErccError, match="cannot emit 'arith.addf'"):
        emit_hls(parse(text))


def test_unsupported_element_type_is_a_user_error():
    text = """func.func @k(%x: tensor<4xf64>) -> tensor<4xf64> {
  func.return %x : tensor<4xf64>
}"""
    with pytest.raises(ErccError, match="element type f64"):
        emit_hls(parse(text))


@pytest.mark.parametrize(
    "name,ident",
    [("x", "x"), ("input.1", "input_1"), ("1x", "p1x"), ("_h", "p_h"), ("int", "int_"), ("i0", "i0_"), ("acc", "acc_"), ("", "fb")],
)
def test_c_identifier(name, ident):
    assert c_identifier(name, "fb") == ident


def test_a_decision_that_does_not_fit_is_an_error_naming_the_op(tmp_path):
    """The emitter obeys the recorded decisions, so it verifies them first: a row pipeline the
    body does not have (a scheduler's mistake) is an ErccError naming the op, not a kernel."""
    from models import make_rnn_model

    from ercc.compiler.pipeline import CompileOptions, compile_model
    from ercc.dialects.sched import ROW_PIPELINE, RowPipelineAttr

    path = tmp_path / "rnn.onnx"
    make_rnn_model(path, T=3, I=2, H=4)
    imported, _ = compile_model(path, CompileOptions(block_size=2, precision="float"))
    scan = next(o for o in imported.module.walk() if o.name == "rnn.scan")
    assert scan.attributes[ROW_PIPELINE] == RowPipelineAttr(1, 4, 2)
    scan.attributes[ROW_PIPELINE] = RowPipelineAttr(2, 4, 2)
    with pytest.raises(ErccError, match="rnn.scan: the body is a row pipeline of gates = 1, size = 4, block = 2"):
        emit_hls(imported.module)
