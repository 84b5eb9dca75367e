"""`--calib`: per-tensor integer bits from ranges observed by the float reference.

A ReLU RNN fed large inputs has hidden values far beyond the default
ap_fixed<16,6> range (|x| < 32): without calibration they saturate; with
`--calib` on the same data nothing does, and the outputs are closer to float.
"""

from __future__ import annotations

import numpy as np
import pytest
from models import make_lstm_model, make_rnn_model, run_onnxruntime

from ercc.compiler.calibration import saturation_counts
from ercc.compiler.pipeline import CompileOptions, compile_model
from ercc.dialects.fix import FixedType
from ercc.errors import ErccError
from ercc.interpreters.reference import ReferenceExecutor
from ercc.numerics.fixed import FixedFormat
from ercc.passes.calibrated_ranges import RANGE, range_format


@pytest.fixture(scope="module")
def relu_rnn(tmp_path_factory):
    root = tmp_path_factory.mktemp("calib")
    model = root / "relu.onnx"
    make_rnn_model(model, T=6, I=4, H=8, seed=5, activations=["Relu"])
    x = (np.random.default_rng(0).standard_normal((6, 8, 4)) * 40).astype(np.float32)  # [T, batch, I]
    calib = root / "calib.npz"
    np.savez(calib, X=x)
    return model, calib, x


def _per_sequence(x: np.ndarray) -> list[np.ndarray]:
    return [np.stack([x[:, b : b + 1] for b in range(x.shape[1])])]


def _run(model, calib, x, **options):
    imported, _ = compile_model(model, CompileOptions(precision="fixed", calib=calib, **options))
    xs = _per_sequence(x)
    return imported.module, ReferenceExecutor(imported.module).run_batch(xs), xs


def test_calibration_removes_saturation_and_error(relu_rnn):
    model, calib, x = relu_rnn
    want = np.stack([run_onnxruntime(model, {"X": x[:, b : b + 1]})["Y"] for b in range(x.shape[1])])
    errors, saturated = {}, {}
    for name, path in (("default", None), ("calibrated", str(calib))):
        module, (y, *_), xs = _run(model, path, x)
        saturated[name] = sum(saturation_counts(module, xs).values())
        errors[name] = float(np.max(np.abs(y - want)))
    assert saturated["default"] > 0 and saturated["calibrated"] == 0, saturated
    assert errors["calibrated"] < errors["default"] / 10, errors


def test_calibration_annotates_and_widens(relu_rnn):
    model, calib, _ = relu_rnn
    seen = {}

    def grab(pass_, module):
        if pass_ is not None and pass_.name in ("activation-approximation", "quantize"):
            seen[pass_.name] = module.clone()

    compile_model(model, CompileOptions(precision="fixed", calib=str(calib)), after_each=grab)
    ranged = [op for op in seen["activation-approximation"].walk() if RANGE in op.attributes]
    assert ranged, "no ercc.range attribute after calibration"
    func_op = next(op for op in seen["quantize"].walk() if op.name == "func.func")
    out = func_op.function_type.outputs.data[0].get_element_type()
    assert isinstance(out, FixedType) and out.width.data == 16 and out.int_bits.data > 6, out  # Y reaches hundreds


def test_calibrated_lstm_states_share_a_format(tmp_path):
    model = tmp_path / "lstm.onnx"
    make_lstm_model(model, T=5, I=3, H=4, seed=2, initial_state=True)
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "c.npz", X=rng.standard_normal((5, 3, 3)).astype(np.float32) * 3,
             initial_h=rng.standard_normal((1, 3, 4)).astype(np.float32),
             initial_c=rng.standard_normal((1, 3, 4)).astype(np.float32) * 20)
    compile_model(model, CompileOptions(precision="fixed", calib=str(tmp_path / "c.npz")))  # verifies the IR


def test_range_format():
    like = FixedFormat(16, 6, True, "AP_RND", "AP_SAT")
    assert range_format(0.5, like).int_bits == 1
    assert range_format(100.0, like).int_bits == 8  # 100 * 1.125 = 112.5 <= 127.99 (sign included)
    assert range_format(1e9, like).int_bits == 16


@pytest.mark.parametrize(
    "options,message",
    [
        ({"precision": "float", "calib": "x.npz"}, "--calib needs --precision fixed"),
        ({"precision": "fixed", "rounding": "RND"}, "--rounding must be one of"),
        ({"precision": "fixed", "overflow": "AP_CLAMP"}, "--overflow must be one of"),
        ({"precision": "fixed", "segments": 48}, "--segments must be a power of two"),
        ({"precision": "fixed", "segments": 2048}, "--segments must be a power of two"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(ErccError, match=message):
        CompileOptions(**options).validate()


def test_missing_calibration_file_is_a_clear_error(relu_rnn, tmp_path):
    model, _, _ = relu_rnn
    with pytest.raises(ErccError, match="calibration file not found"):
        compile_model(model, CompileOptions(precision="fixed", calib=str(tmp_path / "none.npz")))
