"""fuse-gate-macs: the gates' frequency-domain products that read one spectrum become one.

A cell multiplies the same x_t (and the same h) by one matrix per gate; after
`fft-decompose` that is one `circ.freq_mac` → `circ.irfft` per gate, all
reading one `circ.rfft`. This pass stacks those gates' weights block row by
block row into one `circ.freq_const`, so one MAC engine and one inverse FFT
serve every gate (E-RNN's shared PEs), and slices each gate's rows back out:

    %g_i = circ.irfft(circ.freq_mac(%W_i, %X))            for each gate i
  →
    %all = circ.irfft(circ.freq_mac(%W_0;W_1;..., %X))
    %g_i = rnn.slice %all [offset_i : rows_i]             offset_i = Σ_{j<i} p_j·k

Every block row is computed exactly as before (same bins, same order over
block columns), so float results are unchanged. Run it after fft-decompose
and before quantize, which then gives the stacked weights one format.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DenseArrayBase, Float32Type, ModuleOp, i64
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.transforms.dead_code_elimination import dce

from ercc.dialects import circ, rnn
from ercc.dialects.constants import dense_attr, dense_values

GATE_ROWS = "ercc.gate_rows"


def _gate_products(spectrum: circ.RFFTOp) -> list[tuple[circ.FreqMacOp, circ.IRFFTOp]]:
    """The (freq_mac, irfft) pairs reading this spectrum with constant float weights, in program order."""
    pairs = []
    for use in spectrum.result.uses:
        mac = use.operation
        if not isinstance(mac, circ.FreqMacOp) or use.index != 1 or not isinstance(mac.weight.owner, circ.FreqConstOp):
            continue
        if not isinstance(mac.weight.type.element_type, Float32Type):
            continue
        users = [u.operation for u in mac.result.uses]
        if len(users) == 1 and isinstance(users[0], circ.IRFFTOp) and users[0].twiddle is None:
            pairs.append((mac, users[0]))
    block = spectrum.parent_block()
    pairs = [p for p in pairs if p[0].parent_block() is block and p[1].parent_block() is block]
    pairs.sort(key=lambda p: block.get_operation_index(p[0]))
    return pairs


def _fuse(pairs: list[tuple[circ.FreqMacOp, circ.IRFFTOp]], rewriter: Rewriter) -> None:
    consts = [mac.weight.owner for mac, _ in pairs]
    types = [c.result.type for c in consts]
    k, cols, el = types[0].block.data, types[0].cols.data, types[0].element_type
    spectra = np.concatenate([dense_values(c.spectra).reshape(tuple(c.spectra.get_shape())) for c in consts])
    rows = spectra.shape[0] * k
    fused_const = circ.FreqConstOp(dense_attr(spectra), circ.FreqBlockCirculantType(rows, cols, k, el))
    # Each gate's own rows, for reports (`ercc.compile(...).report`): the stacking pads them to whole blocks.
    fused_const.attributes[GATE_ROWS] = DenseArrayBase.from_list(i64, [t.rows.data for t in types])
    last = max(consts, key=lambda c: c.parent_block().get_operation_index(c))
    rewriter.insert_op(fused_const, InsertPoint.after(last))
    first_mac = pairs[0][0]
    mac = circ.FreqMacOp(fused_const.result, first_mac.input)
    inverse = circ.IRFFTOp(mac.result, rows)
    rewriter.insert_op([mac, inverse], InsertPoint.before(first_mac))
    offset, cursor = 0, inverse
    for (old_mac, old_inverse), t in zip(pairs, types):
        n = t.rows.data
        part = rnn.SliceOp(inverse.result, [offset], [n], [1])
        rewriter.insert_op(part, InsertPoint.after(cursor))
        cursor = part
        part.result.name_hint = old_inverse.result.name_hint
        old_inverse.result.replace_all_uses_with(part.result)
        rewriter.erase_op(old_inverse)
        rewriter.erase_op(old_mac)
        offset += t.grid[0] * k


@dataclass(frozen=True)
class FuseGateMacs(ModulePass):
    """One stacked freq_mac + irfft for all gate matrices that multiply the same spectrum."""

    name = "fuse-gate-macs"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewriter = Rewriter()
        for spectrum in [o for o in op.walk() if isinstance(o, circ.RFFTOp)]:
            groups: dict[tuple, list] = {}
            for pair in _gate_products(spectrum):
                t = pair[0].weight.type
                groups.setdefault((t.cols.data, t.block.data, t.element_type), []).append(pair)
            for pairs in groups.values():
                if len(pairs) > 1:
                    _fuse(pairs, rewriter)
        dce(op)
