"""Which ops carry the `Reduction` and `Elementwise` traits: the emitter and the row-pipeline matcher ask them.

The emitter prints a reduction's parent loop around its inner accumulation
loop only (`printer_base.HLSPrinterBase.emit`), and a row pipeline's tail is
made of elementwise ops (`dialects/sched_rows.py`). Both used to keep their own
tuple of op classes; a trait added to or dropped from an op changes the
kernels, so the sets the tuples held are pinned here.
"""

from __future__ import annotations

from ercc.dialects.circ import CIRC
from ercc.dialects.fix import FIX
from ercc.dialects.rnn import RNN
from ercc.dialects.sched import SCHED
from ercc.dialects.traits import Elementwise, Reduction


def _with(trait) -> set[str]:
    return {op.name for dialect in (RNN, CIRC, FIX, SCHED) for op in dialect.operations if op.has_trait(trait)}


def test_reductions_are_the_matrix_products_and_the_mac():
    assert _with(Reduction) == {"rnn.matvec", "rnn.matmul", "rnn.gemm", "circ.matvec", "circ.freq_mac"}


def test_elementwise_ops_are_the_row_pipeline_tail_ops():
    assert _with(Elementwise) == {"rnn.add", "rnn.sub", "rnn.mul", "rnn.activation", "rnn.clamp", "fix.pwl",
                                  "fix.table", "fix.dequant", "fix.cast"}  # a table is read whole, as fix.pwl's
