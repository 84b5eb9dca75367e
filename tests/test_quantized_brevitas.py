"""Brevitas QuantLSTM (fully quantized, QONNX export) compiled with its own quantizers (issue 18).

Oracle: Brevitas' own PyTorch forward (nothing else executes QuantLSTMCell). Each case is a
classifier trained briefly on FSDD MFCCs (tests/brevitas_models.py), built once per session.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("brevitas")

import brevitas_models  # noqa: E402

from ercc.compiler.inputs import per_sequence, stack_outputs  # noqa: E402
from ercc.interpreters.reference import ReferenceExecutor  # noqa: E402


@pytest.fixture(scope="session")
def brevitas_case(tmp_path_factory):
    """`brevitas_case(bits=8, batch_first=True, layers=1)` → a trained, exported BrevitasCase (cached)."""
    root = tmp_path_factory.mktemp("brevitas")
    cache = {}

    def get(bits: int = 8, batch_first: bool = True, layers: int = 1, quantizers: str = "float",
            bidirectional: bool = False, **widths):
        key = (bits, batch_first, layers, quantizers, bidirectional, tuple(sorted(widths.items())))
        if key not in cache:
            tag = "".join(f"_{q}{b}" for q, b in sorted(widths.items())) + ("_bi" if bidirectional else "")
            path = root / f"quant_lstm_{bits}b_{'bf' if batch_first else 'sf'}_{layers}l_{quantizers}{tag}.onnx"
            cache[key] = brevitas_models.build(path, bits=bits, batch_first=batch_first, layers=layers,
                                               quantizers=quantizers, widths=widths, bidirectional=bidirectional)
        return cache[key]

    return get


def check_against_brevitas(case, bits: int, reference_sequences: int = 16, datapath: str = "integer",
                           float_layers: int = 0) -> dict:
    """C simulation vs Brevitas (≤ 1 LSB of the output quantizer, same classes), reference == csim;
    `float_layers`: scans expected to keep float32 (their input has no single quantizer)."""
    import ercc

    compiled = ercc.compile(str(case.path), quant_datapath=datapath)  # no precision option: the model's own
    assert compiled.options.precision == "float"  # quantizers (the float head stays float)
    scans = [op for op in compiled.imported.module.walk() if op.name == "rnn.scan"]
    if datapath == "integer":  # every layer's cell on integer codes: σ/tanh are tables, no exp in the kernel
        assert scans and sum("ercc.datapath" in s.attributes for s in scans) == float_layers
        if not float_layers:
            assert "std::exp" not in compiled.source and "std::tanh" not in compiled.source
            directions = case.last.shape[-1] // brevitas_models.HIDDEN
            assert compiled.source.count("std::nearbyint") == directions  # the input quantizer, per direction
    layers = compiled.imported.quantized.layers.values()
    assert {q.bits for quantizers in layers for role, q in quantizers.items()
            if not role.startswith("B_")} == {bits}  # all 11, the input's and the weights'
    assert {q.bits for quantizers in layers for role, q in quantizers.items() if role.startswith("B_")} == {32}
    name = compiled.imported.inputs[0].name
    logits, last = compiled.predict({name: case.x_test}).values()
    out_q = list(compiled.imported.quantized.layers.values())[-1]["output"]
    lsb = np.abs(last - case.last) / out_q.scale
    assert lsb.max() <= 1.0 + 1e-6, f"{lsb.max()} LSB from Brevitas"
    assert (logits.argmax(1) == case.labels).mean() == (case.logits.argmax(1) == case.labels).mean()
    np.testing.assert_allclose(logits, case.logits, atol=1e-4, rtol=0)
    # ercc's reference engine equals the C simulation bit for bit
    n = reference_sequences
    x = case.x_test[:n] if case.batch_first else case.x_test[:, :n]
    specs = compiled.imported.inputs
    ref = ReferenceExecutor(compiled.imported.module).run_batch([per_sequence(s, x, n) for s in specs])
    ref = [stack_outputs(s, r) for s, r in zip(compiled.imported.outputs, ref)]
    csim = compiled.predict({name: x}).values()
    for r, c in zip(ref, csim):
        assert np.array_equal(r, c)
    return {"max_lsb": float(lsb.max()), "off_grid": int((lsb > 0).sum())}


def test_8bit_batch_first_one_layer_matches_brevitas(brevitas_case):
    check_against_brevitas(brevitas_case(8, True, 1), 8)


def test_power_of_two_quantizers_are_their_ap_fixed(brevitas_case):
    """Brevitas's fixed-point quantizers (every scale 2^k): each becomes the ap_fixed it is, and every
    rescale is a binary-point shift: no integer codes ap_fixed<8, 8>, no 27-bit multiplier."""
    case = brevitas_case(8, True, 1, "fixed_point")
    check_against_brevitas(case, 8)
    import ercc

    source = ercc.compile(str(case.path), record_ir=False).source
    assert "ap_ufixed<8,0,AP_RND_CONV,AP_SAT>" in source  # the sigmoids: scale 2^-8
    assert "ap_fixed<8,8," not in source and "ap_fixed<27," not in source


def test_bidirectional(brevitas_case):
    """bidirectional=True: the right-to-left cell (reverse_input=1) is a reverse scan, both on codes."""
    case = brevitas_case(8, True, 1, bidirectional=True)
    assert case.last.shape[1] == 2 * brevitas_models.HIDDEN
    check_against_brevitas(case, 8)


@pytest.mark.slow
def test_bidirectional_two_layers(brevitas_case):
    """The second layer reads the concatenation of both directions' codes (one shared output scale)."""
    check_against_brevitas(brevitas_case(8, False, 2, bidirectional=True), 8, reference_sequences=8)


def test_per_channel_weight_scales(brevitas_case):
    """Int8WeightPerChannelFloat: a scale per output row of every gate's W and R (and per element of
    its bias): the rescale multipliers are vectors, one per row."""
    case = brevitas_case(8, True, 1, "per_channel")
    check_against_brevitas(case, 8)


def test_wide_quantizers_are_step_functions(brevitas_case):
    """16-bit gate accumulators and cell state: σ/tanh after them would need 65536-entry tables;
    the quantized activation is a step function of the code instead (fix.pwl, zero slopes), exact."""
    import ercc

    case = brevitas_case(8, True, 1, gate_acc=16, cell_state=16)
    compiled = ercc.compile(str(case.path))
    ir = str(compiled.imported.module)
    assert ir.count("fix.pwl ") == 5 and "fix.table " not in ir  # the four gates' σ/tanh and tanh(c)
    name = compiled.imported.inputs[0].name
    _, last = compiled.predict({name: case.x_test[:64]}).values()
    out_q = list(compiled.imported.quantized.layers.values())[-1]["output"]
    assert np.abs(last - case.last[:64]).max() / out_q.scale <= 1.0 + 1e-6
    x, specs = case.x_test[:8], compiled.imported.inputs
    ref = ReferenceExecutor(compiled.imported.module).run_batch([per_sequence(s, x, 8) for s in specs])
    ref = [stack_outputs(s, r) for s, r in zip(compiled.imported.outputs, ref)]
    assert all(np.array_equal(r, c) for r, c in zip(ref, compiled.predict({name: x}).values()))


def test_float_datapath_matches_brevitas_too(brevitas_case):
    """--quant-datapath float: the quantizers emulated in float32 (std::nearbyint at every one)."""
    check_against_brevitas(brevitas_case(8, True, 1), 8, datapath="float")


@pytest.mark.slow
@pytest.mark.parametrize(
    "bits, batch_first, layers, quantizers",
    [(4, True, 1, "float"), (8, False, 1, "float"), (8, False, 2, "float"), (8, True, 2, "float"),
     (4, False, 2, "float"), (4, True, 2, "float"), (8, False, 2, "fixed_point")],
)
def test_variants_match_brevitas(brevitas_case, bits, batch_first, layers, quantizers):
    check_against_brevitas(brevitas_case(bits, batch_first, layers, quantizers), bits, reference_sequences=32)


def test_worked_example_make_csim(tmp_path, monkeypatch):
    """docs/quantized-models.md's worked example as written: its python block (untrained: the
    training is a comment there) exports the model, its command lines build and C-simulate it."""
    import re
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "quantized-models.md").read_text()
    section = doc.split("## Worked example", 1)[1].split("\n## ", 1)[0]
    (kind, python), (_, shell) = re.findall(r"^```(\w*)\n(.*?)^```", section, re.S | re.M)
    assert kind == "python"
    monkeypatch.chdir(tmp_path)
    exec(compile(python, "docs/quantized-models.md", "exec"), {"__name__": "example"})  # noqa: S102 - the doc's code
    ercc_line, make_line = (ln.split("#", 1)[0].split() for ln in shell.strip().splitlines())
    assert ercc_line[0] == "ercc" and make_line == ["make", "-C", "prj", "csim"]
    run = subprocess.run([sys.executable, "-m", *ercc_line], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "std::nearbyint" in (tmp_path / "prj" / "ercc_kernel.cpp").read_text()  # the model's quantizers
    run = subprocess.run(make_line, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "outputs match" in run.stdout


def test_quantized_model_refuses_block_size_and_ercc_formats(brevitas_case, tmp_path):
    import ercc
    from ercc.errors import ErccError

    case = brevitas_case(8, True, 1)
    with pytest.raises(ErccError, match="--weight-bits, --rounding on a quantized model would re-quantize it"):
        ercc.compile(str(case.path), weight_bits=8, rounding="AP_TRN")
    run = subprocess.run(
        [sys.executable, "-m", "ercc", str(case.path), "-o", str(tmp_path / "k8.cpp"), "--act-bits", "8"],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "--act-bits on a quantized model" in run.stderr and "--requantize" in run.stderr
    assert not (tmp_path / "k8.cpp").exists()
    own = ercc.compile(str(case.path), precision="fixed", record_ir=False)  # the default, spelled out
    assert own.options.precision == "float" and "std::nearbyint" in own.source
    requantized = ercc.compile(str(case.path), precision="fixed", requantize=True, record_ir=False)
    assert "std::nearbyint" not in requantized.source and "ap_fixed" in requantized.source
    out = tmp_path / "k.cpp"
    run = subprocess.run(
        [sys.executable, "-m", "ercc", str(case.path), "-o", str(out), "--block-size", "4"],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "--block-size 4 on a quantized model" in run.stderr and "QuantLSTMCell" in run.stderr
    assert not out.exists()
