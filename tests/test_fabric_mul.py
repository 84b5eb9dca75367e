"""LUT multipliers outside the MAC engine (`sched.fabric_mul`) and weight banks sharing a word.

Both change where a kernel's work runs, never what it computes: a fabric
multiply is the same exact ap_fixed product bound to LUTs, a reshaped bank
the same values in a wider word. C simulation must equal the kernel without
them bit for bit; the cost model must move the DSPs to LUTs and count the
BRAMs of shared words.
"""

from __future__ import annotations

import pytest
from hls_helpers import assert_same_csim
from models import make_gru_model, make_lstm_model
from xdsl.dialects.builtin import UnitAttr

from ercc.backends.hls.emitter import emit_hls
from ercc.compiler.pipeline import CompileOptions, compile_model
from ercc.dialects import sched_rows
from ercc.dialects.sched import FABRIC_MUL, ROW_PIPELINE
from ercc.hardware import memory, operators
from ercc.hardware.memory import bank_pairing
from ercc.hardware.steps import op_cost

CASES = [
    ("lstm-k8", make_lstm_model, dict(H=16), 8),
    ("gru-lbr-k4", make_gru_model, dict(H=12, linear_before_reset=1), 4),
]


def _fabric(module) -> list:
    marked = [o for o in module.walk() if o.name in ("rnn.map", "rnn.scan") and ROW_PIPELINE in o.attributes]
    for op in marked:
        op.attributes[FABRIC_MUL] = UnitAttr()
    return marked


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_fabric_multipliers_are_bit_identical(case, tmp_path):
    name, maker, opts, k = case
    path = tmp_path / f"{name}.onnx"
    maker(path, T=4, I=6, seed=2, **opts)
    options = CompileOptions(block_size=k, precision="fixed")
    _, plain = compile_model(path, options)
    imported, _ = compile_model(path, options)
    assert _fabric(imported.module)
    kernel = emit_hls(imported.module)
    assert "op=mul impl=fabric" in kernel.source and "op=mul impl=fabric" not in plain.source
    assert "_lut_" in kernel.source  # the FFT units' variant with LUT multipliers
    assert_same_csim(kernel, plain, imported.module, batch=2, scales=(0.3, 3.0, 40.0))


def test_fabric_moves_the_units_dsps_to_luts(tmp_path):
    path = tmp_path / "lstm.onnx"
    make_lstm_model(path, T=4, I=6, H=16, seed=2)
    imported, _ = compile_model(path, CompileOptions(block_size=8, precision="fixed"))
    scan = next(o for o in imported.module.walk() if o.name == "rnn.scan")
    rp = sched_rows.match(scan.regions[0].block)
    before = op_cost(rp.mac)
    scan.attributes[FABRIC_MUL] = UnitAttr()
    after = op_cost(rp.mac)
    mac_only = operators.loop_cost(rp.mac, None, None)
    assert after.dsp == mac_only.dsp < before.dsp
    assert after.lut == before.lut + operators.FABRIC_LUT_PER_DSP * (before.dsp - after.dsp)
    assert after.cycles == before.cycles and after.muls == before.muls


def test_banks_read_together_share_words():
    """512 banks of 16-bit weights, 512 deep: two a 512 × 36 BRAM (256), not one each (512);
    at 1,024 deep one bank fills a 1K × 18 block, so nothing is shared."""
    assert bank_pairing(512 * 512, 16, 512) == 2
    assert memory.array_brams(512 * 512, 16, 512) == 256
    assert bank_pairing(1024 * 512, 16, 512) == 1
    assert memory.array_brams(1024 * 512, 16, 512) == 512
    assert bank_pairing(512 * 512, 32, 512) == 1  # float: one value fills the word


def test_shared_words_are_printed_as_reshape(tmp_path):
    """The recurrence's 64 × 16 blocks of k = 4 for 4 PEs: 16 banks 256 deep, paired."""
    from ercc.dialects.sched import PARTITION, PartitionAttr

    path = tmp_path / "lstm.onnx"
    make_lstm_model(path, T=3, I=6, H=64, seed=2)
    imported, _ = compile_model(path, CompileOptions(block_size=4, precision="fixed"))
    scan = next(o for o in imported.module.walk() if o.name == "rnn.scan")
    weight = sched_rows.match(scan.regions[0].block).mac.weight.owner
    weight.attributes[PARTITION] = PartitionAttr("cyclic", 4, memory.constant_pairing(weight, 4))
    n, width, banks, pairs = memory.constant_storage(weight)
    assert (n, banks) == (64 * 16 * 4, 16) and bank_pairing(n, width, banks) == 2 == pairs
    assert memory.storage_brams(weight) == 8
    source = emit_hls(imported.module).source
    assert "cyclic factor=2 dim=1" in source and "array_reshape" in source
