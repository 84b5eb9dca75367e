"""fft-decompose: block-circulant matvec → real FFT, frequency-domain MAC, inverse FFT.

`circ.matvec W, x` becomes `circ.irfft(circ.freq_mac(Ŵ, circ.rfft(x)))`:
the spectra Ŵ of the defining vectors are computed here, at compile time; the
FFT of each input block is computed once per input vector and shared by every
matvec that reads it (the gates of a cell all read the same x_t and h); one
inverse FFT per output block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint
from xdsl.transforms.dead_code_elimination import dce

from ercc.dialects import circ
from ercc.dialects.constants import dense_attr, dense_values
from ercc.numerics.circulant import spectrum


def _shared_rfft(x: SSAValue, block: int, rewriter: PatternRewriter) -> SSAValue:
    """The spectrum of x in blocks of `block`, reusing one computed before if any."""
    for use in x.uses:
        user = use.operation
        if isinstance(user, circ.RFFTOp) and user.result.type.block.data == block:
            return user.result
    fft = circ.RFFTOp(x, block)
    where = InsertPoint.at_start(x.block) if isinstance(x.owner, Block) else InsertPoint.after(x.owner)
    rewriter.insert(fft, where)
    return fft.result


class DecomposeMatVec(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: circ.MatVecOp, rewriter: PatternRewriter) -> None:
        const = op.weight.owner
        if not isinstance(const, circ.ConstOp):
            return
        t = op.weight.type
        spectra = spectrum(dense_values(const.vectors).astype(np.float64))
        freq = circ.FreqConstOp(
            dense_attr(np.stack([spectra.real, spectra.imag], axis=-1)),
            circ.FreqBlockCirculantType(t.rows.data, t.cols.data, t.block.data, t.element_type),
        )
        rewriter.insert(freq, InsertPoint.after(const))
        x_freq = _shared_rfft(op.input, t.block.data, rewriter)
        mac = circ.FreqMacOp(freq.result, x_freq)
        inverse = circ.IRFFTOp(mac.result, t.rows.data)
        rewriter.replace(op, [mac, inverse], [inverse.result])


@dataclass(frozen=True)
class FFTDecompose(ModulePass):
    """Rewrites every block-circulant matvec into rfft → freq_mac → irfft."""

    name = "fft-decompose"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(DecomposeMatVec(), apply_recursively=False).rewrite_module(op)
        dce(op)
