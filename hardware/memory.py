"""Memory costs: BRAM18Ks of constant tables, partition banks, hand-over buffers, partial sums (an ESTIMATE).

Arrays of 1 Kib or more live in 18 Kib block RAMs, one set per partition
bank; banks read at one address may share a word (`bank_pairing`,
`array_reshape`); rows handed between processes cost a FIFO or a
(ping-pong) array.
"""

from __future__ import annotations

import math

from xdsl.dialects import arith
from xdsl.ir import Operation

from ercc.dialects import circ, fix, rnn
from ercc.dialects.sched import (
    OVERLAP_STEPS,
    PARTITION,
    STREAM,
    OverlapAttr,
    PartialSums,
    PartitionAttr,
    PartitionKind,
    StreamAttr,
)
from ercc.dialects.sched_rows import pipeline_of
from ercc.hardware.operators import arithmetic, op_element
from ercc.hardware.steps import overlap
from ercc.numerics.intmath import ceil_div

BRAM_BITS = 18 * 1024
LUTRAM_LIMIT_BITS = 1024


def array_brams(elements: int, width: int, banks: int, pairs: int | None = None) -> int:
    """BRAM18Ks of an array in `banks` banks, `pairs` of them sharing a word (default: `bank_pairing`)."""
    bits = elements * width
    if banks >= elements or bits < LUTRAM_LIMIT_BITS:
        return 0
    per_bank = ceil_div(bits, banks)
    if per_bank < LUTRAM_LIMIT_BITS:
        return 0
    r = bank_pairing(elements, width, banks) if pairs is None else pairs
    if r > 1:
        return ceil_div(banks, r) * _wide_brams(ceil_div(elements, banks), r * width)
    return banks * ceil_div(per_bank, BRAM_BITS)


def bank_pairing(elements: int, width: int, banks: int) -> int:
    """Banks of a cyclically partitioned array that share one memory word (`array_reshape`): its
    banks are read at the same address, so a BRAM too wide for one bank at its depth (16 bits in
    a 512 × 36 block) holds several; 1 when that saves nothing."""
    if banks < 2 or banks >= elements:
        return 1
    depth = ceil_div(elements, banks)
    r = max(1, _block_width(depth) // width)
    while r > 1 and banks % r:
        r -= 1
    if r > 1 and ceil_div(banks, r) * _wide_brams(depth, r * width) < banks * ceil_div(depth * width, BRAM_BITS):
        return r
    return 1


def _block_width(depth: int) -> int:
    """Bits a BRAM18K word holds at a depth: 512 × 36, 1K × 18, 2K × 9, 4K × 4, 8K × 2, 16K × 1."""
    return next((w for d, w in ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2)) if depth <= d), 1)


def constant_storage(op: Operation) -> tuple[int, int, int, int] | None:
    """(elements, bits per element, partition banks, banks sharing a word) of a constant table,
    as its `#sched.partition` says."""
    match op:
        case arith.ConstantOp() | fix.ConstOp():
            t = op.result.type
            n = math.prod(t.get_shape())
        case circ.ConstOp():
            n = math.prod(op.vectors.get_shape())
        case circ.FreqConstOp():
            p, q = op.result.type.grid
            n = p * q * op.result.type.block.data  # packed: k values per block
        case _:
            return None
    el = op_element(op)
    width = arithmetic(el).width
    part = op.attributes.get(PARTITION)
    banks, pairs = 1, 1
    if isinstance(part, PartitionAttr):
        banks = n if part.kind.data == PartitionKind.COMPLETE else part.factor.data * _bank_spread(op)
        pairs = part.pairs.data
    return n, width, banks, pairs


def constant_pairing(op: Operation, factor: int) -> int:
    """The banks sharing a word (`bank_pairing`) of a constant table cyclically partitioned for
    `factor` PEs: what a scheduler records as the partition's `pairs`."""
    storage = constant_storage(op)
    if storage is None:
        return 1
    n, width, _, _ = storage
    return bank_pairing(n, width, factor * _bank_spread(op))


def _bank_spread(op: Operation) -> int:
    """Banks per PE of a partitioned table: a freq_mac PE reads a whole packed block (k values) at once."""
    return op.result.type.block.data if isinstance(op, circ.FreqConstOp) else 1


def storage_brams(op: Operation, banks: int | None = None) -> int:
    """BRAM18Ks of a constant table split into `banks` (default: as its partition says)."""
    storage = constant_storage(op)
    if storage is None:
        return 0
    n, width, annotated, pairs = storage
    if banks is None:
        return array_brams(n, width, annotated, pairs)
    return array_brams(n, width, min(n, banks * _bank_spread(op)))


def _wide_brams(depth: int, bits: int) -> int:
    """BRAM18Ks of a `depth` × `bits` memory: 512 × 36, 1K × 18, 2K × 9, ... a block."""
    if depth * bits < LUTRAM_LIMIT_BITS:
        return 0
    return ceil_div(bits, _block_width(depth)) * max(1, ceil_div(depth, 16384))


def partial_sums_brams(mac: circ.FreqMacOp, layout: PartialSums) -> int:
    """BRAMs of an overlapped scan's partial sums (p rows × 2·bins values, all of a row read and
    written together): one bank a value (`partition`) or one wide word a row (`reshape`)."""
    acc = mac.accumulator if mac.accumulator is not None else mac.result.type.element_type
    width, values, rows = arithmetic(acc).width, 2 * mac.result.type.bins, mac.weight.type.grid[0]
    if layout == PartialSums.RESHAPE:
        return _wide_brams(rows, values * width)
    return values * _wide_brams(rows, width) if layout == PartialSums.PARTITION else 0


def partial_sums_layout(mac: circ.FreqMacOp) -> PartialSums:
    """The partial-sums layout that packs into fewer BRAMs (a scheduler's choice)."""
    wide = partial_sums_brams(mac, PartialSums.RESHAPE)
    return PartialSums.RESHAPE if wide < partial_sums_brams(mac, PartialSums.PARTITION) else PartialSums.PARTITION


def buffer_brams(op: Operation, dataflow: bool) -> int:
    """BRAMs of the rows a map or scan hands to the next process: a FIFO, or a (ping-pong) array;
    and an overlapped scan's partial sums (a block row's bins for every row, one bank a value)."""
    if not isinstance(op, rnn.MapOp | rnn.ScanOp):
        return 0
    partial = 0
    if (plan := overlap(op)) is not None and plan.split:
        recorded = op.attributes.get(OVERLAP_STEPS)
        rp = pipeline_of(op)
        layout = recorded.partial_sums.data if isinstance(recorded, OverlapAttr) else partial_sums_layout(rp.mac)
        partial = partial_sums_brams(rp.mac, layout)
    value = op.results[0]
    width = arithmetic(value.type.get_element_type()).width
    stream = op.attributes.get(STREAM)
    if isinstance(stream, StreamAttr):
        return partial + array_brams(stream.depth.data, width, 1)
    return partial + (2 if dataflow else 1) * array_brams(math.prod(rnn.shape_of(value)), width, 1)
