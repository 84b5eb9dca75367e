"""The quantize pass on lowered LSTM/GRU/RNN models: every float tensor gets a fixed-point type."""

from __future__ import annotations

import numpy as np
import pytest
from models import make_gru_model, make_lstm_model, make_rnn_model
from xdsl.dialects.builtin import Float32Type, TensorType
from xdsl.utils.exceptions import PassFailedException

from ercc.compiler.pipeline import CompileOptions, default_passes, import_model, make_context, run_passes
from ercc.dialects import circ
from ercc.dialects.fix import ConstOp, FixedType, fixed_element, raw_values
from ercc.numerics.fixed import FixedFormat, to_float
from ercc.passes.quantize import Quantize, weight_format


def _quantized(tmp_path, make, block_size, **q):
    path = tmp_path / "m.onnx"
    make(path, H=8, I=8, T=4, seed=block_size)
    options = CompileOptions(precision="float", block_size=block_size)
    imported = import_model(path, options)
    # The fixed pipeline quantizes before hoist-input-path (rnn.map is not quantized yet).
    passes = [p for p in default_passes(options) if p.name != "hoist-input-path"]
    run_passes(make_context(), imported.module, [*passes, Quantize(**q)])
    return imported.module


@pytest.mark.parametrize("make", [make_lstm_model, make_gru_model, make_rnn_model])
@pytest.mark.parametrize("block_size", [1, 4])
def test_every_value_is_fixed(tmp_path, make, block_size):
    module = _quantized(tmp_path, make, block_size)
    seen = 0
    for op in module.walk():
        values = list(op.results) + [a for r in op.regions for b in r.blocks for a in b.args]
        for v in values:
            t = v.type
            if isinstance(t, TensorType | circ.SpectrumType | circ.FreqBlockCirculantType | circ.BlockCirculantType):
                el = t.get_element_type() if isinstance(t, TensorType) else t.element_type
                assert not isinstance(el, Float32Type), f"{op.name} still produces {t}"
                if isinstance(el, FixedType):
                    seen += 1
    assert seen > 10


def test_constants_hold_raw_integers(tmp_path):
    module = _quantized(tmp_path, make_lstm_model, 1, weight_bits=12)
    consts = [op for op in module.walk() if isinstance(op, ConstOp)]
    assert consts
    for op in consts:
        fmt = fixed_element(op.result.type).format
        raw = raw_values(op.value)
        assert raw.min() >= fmt.raw_min and raw.max() <= fmt.raw_max


def test_weight_format_fits_range():
    w = np.array([0.3, -1.7, 0.01])
    fmt = weight_format(w, 16, "AP_RND", "AP_SAT")
    assert fmt == FixedFormat(16, 2, True, "AP_RND", "AP_SAT")
    from ercc.numerics.fixed import from_float

    assert np.max(np.abs(to_float(from_float(w, fmt), fmt) - w)) <= fmt.lsb / 2


@pytest.mark.parametrize(
    "options, message",
    [
        ({"act_bits": 8, "act_int_bits": 9}, "integer bits must be within [0, width=8], got 9"),
        ({"act_bits": 0}, "width must be >= 1, got 0"),
        ({"weight_bits": 0}, "weight-bits"),
        ({"rounding": "AP_ROUND"}, "unknown quantization mode 'AP_ROUND'"),
        ({"overflow": "SAT"}, "unknown overflow mode 'SAT'"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(PassFailedException, match=message.replace("[", r"\[").replace("]", r"\]")):
        Quantize(**options).formats()
