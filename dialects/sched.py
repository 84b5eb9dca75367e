"""The `sched` dialect: hardware scheduling decisions attached to ops.

Passes decide, the HLS emitter obeys: an op carrying `sched.loop` has its loops
pipelined at the given initiation interval and its inner loop unrolled by the
given factor; a constant carrying `sched.partition` has its array partitioned;
a function carrying `sched.dataflow` has its top-level loops (input paths,
recurrences, the rest) run as concurrent dataflow processes, and a process
carrying `sched.stream` passes its rows to the next one through a FIFO of
the given depth instead of a ping-pong buffer; a map or scan carrying
`sched.row_pipeline` runs its step's MAC engine, inverse FFT and elementwise
tail as one pipelined loop (`#sched.row_pipeline<gates, size, block>`: the
shape `ercc.dialects.sched_rows` checks), and a scan also carrying
`sched.next_spectrum` computes in that loop the FFT of its next state; a
row-pipelined map or scan carrying `sched.overlap_steps = #sched.overlap<...>`
runs all its steps as that one loop by the plan it gives (iterations a step
and in all, a map's prologue, a scan's split columns and how its partial sums
are stored), step t + 1's rows starting while step t drains; one carrying
`sched.fabric_mul` multiplies in LUTs outside its MAC engine (inverse FFT,
tail, FFT units in the loop), leaving the DSPs to the MAC. A cyclic partition's
`pairs` is how many banks share one memory word (`array_reshape`).

The emitter and the cost model read these attributes and decide nothing
themselves: a scheduling pass (`pe-schedule`, or a user's replacement) writes
all of them. Nothing here changes what a kernel computes.
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntAttr
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, SpacedOpaqueSyntaxAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

LOOP = "sched.loop"
PARTITION = "sched.partition"
DATAFLOW = "sched.dataflow"  # a unit attribute on the func.func
STREAM = "sched.stream"
ROW_PIPELINE = "sched.row_pipeline"  # an #sched.row_pipeline on an rnn.map or rnn.scan
NEXT_SPECTRUM = "sched.next_spectrum"  # a unit attribute on a row-pipelined rnn.scan
OVERLAP_STEPS = "sched.overlap_steps"  # an #sched.overlap plan on a row-pipelined rnn.map or rnn.scan
FABRIC_MUL = "sched.fabric_mul"  # a unit attribute on a row-pipelined rnn.map or rnn.scan


@irdl_attr_definition
class LoopScheduleAttr(ParametrizedAttribute):
    """`#sched.loop<ii = 1, unroll = 4>`: pipeline II of the outer loop, unroll factor of the inner."""

    name = "sched.loop"

    ii: IntAttr
    unroll: IntAttr

    def __init__(self, ii: int, unroll: int):
        super().__init__(IntAttr(ii), IntAttr(unroll))

    def verify(self) -> None:
        if self.ii.data < 1:
            raise VerifyException(f"initiation interval must be >= 1, got {self.ii.data}")
        if self.unroll.data < 1:
            raise VerifyException(f"unroll factor must be >= 1, got {self.unroll.data}")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            parser.parse_keyword("ii")
            parser.parse_punctuation("=")
            ii = parser.parse_integer(allow_boolean=False)
            parser.parse_punctuation(",")
            parser.parse_keyword("unroll")
            parser.parse_punctuation("=")
            unroll = parser.parse_integer(allow_boolean=False)
        return [IntAttr(ii), IntAttr(unroll)]

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<ii = {self.ii.data}, unroll = {self.unroll.data}>")


def _parse_int(parser: AttrParser, key: str) -> int:
    parser.parse_keyword(key)
    parser.parse_punctuation("=")
    return parser.parse_integer(allow_boolean=False)


def _parse_enum(parser: AttrParser, enum: type[StrEnum], what: str) -> StrEnum:
    """One of `enum`'s values, or a parse error listing them."""
    pos = parser.pos
    word = parser.parse_identifier()
    if word not in {k.value for k in enum}:
        parser.raise_error(f"{what} must be one of {', '.join(k.value for k in enum)}, got '{word}'", pos, parser.pos)
    return enum(word)


class PartitionKind(StrEnum):
    """How `#pragma HLS array_partition` splits an array."""

    CYCLIC = "cyclic"
    BLOCK = "block"
    COMPLETE = "complete"


@irdl_attr_definition
class PartitionKindAttr(EnumAttribute[PartitionKind], SpacedOpaqueSyntaxAttribute):
    name = "sched.partition_kind"


@irdl_attr_definition
class PartitionAttr(ParametrizedAttribute):
    """`#sched.partition<cyclic, 4>`: HLS array_partition of a constant array into `factor` banks
    per reading PE; `#sched.partition<cyclic, 4, pairs = 2>` also stores every 2 banks read at one
    address in one memory word (`array_reshape`, cyclic only; pairs = 1 is not printed)."""

    name = "sched.partition"

    kind: PartitionKindAttr
    factor: IntAttr
    pairs: IntAttr

    def __init__(self, kind: str | PartitionKind, factor: int, pairs: int = 1):
        super().__init__(PartitionKindAttr(PartitionKind(kind)), IntAttr(factor), IntAttr(pairs))

    @property
    def kind_name(self) -> str:
        return self.kind.data.value

    def verify(self) -> None:
        if self.factor.data < 1:
            raise VerifyException(f"partition factor must be >= 1, got {self.factor.data}")
        if self.pairs.data < 1:
            raise VerifyException(f"partition pairs must be >= 1, got {self.pairs.data}")
        if self.pairs.data > 1 and self.kind.data != PartitionKind.CYCLIC:
            raise VerifyException(f"only a cyclic partition pairs banks, got pairs = {self.pairs.data} on {self.kind_name}")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            kind = _parse_enum(parser, PartitionKind, "partition kind")
            parser.parse_punctuation(",")
            factor = parser.parse_integer(allow_boolean=False)
            pairs = _parse_int(parser, "pairs") if parser.parse_optional_punctuation(",") else 1
        return [PartitionKindAttr(kind), IntAttr(factor), IntAttr(pairs)]

    def print_parameters(self, printer: Printer) -> None:
        pairs = f", pairs = {self.pairs.data}" if self.pairs.data > 1 else ""
        printer.print_string(f"<{self.kind_name}, {self.factor.data}{pairs}>")


@irdl_attr_definition
class StreamAttr(ParametrizedAttribute):
    """`#sched.stream<depth = 64>`: the op's first result flows to its one consumer through a FIFO."""

    name = "sched.stream"

    depth: IntAttr

    def __init__(self, depth: int):
        super().__init__(IntAttr(depth))

    def verify(self) -> None:
        if self.depth.data < 1:
            raise VerifyException(f"stream depth must be >= 1, got {self.depth.data}")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            parser.parse_keyword("depth")
            parser.parse_punctuation("=")
            depth = parser.parse_integer(allow_boolean=False)
        return [IntAttr(depth)]

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<depth = {self.depth.data}>")


@irdl_attr_definition
class RowPipelineAttr(ParametrizedAttribute):
    """`#sched.row_pipeline<gates = 4, size = 20, block = 8>` on an rnn.map or rnn.scan: its step's
    MAC, inverse FFT and elementwise tail run as one loop over `gates` stacked gates of `size`
    hidden elements, `block` a block (the op's verifier checks its body has that shape)."""

    name = "sched.row_pipeline"

    gates: IntAttr
    size: IntAttr
    block: IntAttr

    def __init__(self, gates: int, size: int, block: int):
        super().__init__(IntAttr(gates), IntAttr(size), IntAttr(block))

    def verify(self) -> None:
        for key in ("gates", "size", "block"):
            if getattr(self, key).data < 1:
                raise VerifyException(f"row pipeline {key} must be >= 1, got {getattr(self, key).data}")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            gates = _parse_int(parser, "gates")
            parser.parse_punctuation(",")
            size = _parse_int(parser, "size")
            parser.parse_punctuation(",")
            block = _parse_int(parser, "block")
        return [IntAttr(gates), IntAttr(size), IntAttr(block)]

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<gates = {self.gates.data}, size = {self.size.data}, block = {self.block.data}>")


class PartialSums(StrEnum):
    """How an overlapped scan stores its partial sums (a block row's bins for every row):
    one bank a value (`partition`) or one wide word a row (`reshape`); `none` without a split."""

    NONE = "none"
    PARTITION = "partition"
    RESHAPE = "reshape"


@irdl_attr_definition
class PartialSumsAttr(EnumAttribute[PartialSums], SpacedOpaqueSyntaxAttribute):
    name = "sched.partial_sums"


@irdl_attr_definition
class OverlapAttr(ParametrizedAttribute):
    """`#sched.overlap<step = 20, total = 165, prologue = 0, split = 1, partial_sums = partition>`:
    a row-pipelined map's or scan's steps as one loop of `total` iterations, `step` a step; a map's
    first `prologue` transform x_0; `split` block columns of a scan's rows are summed during the
    step before, their partial sums stored as `partial_sums` says."""

    name = "sched.overlap"

    step: IntAttr
    total: IntAttr
    prologue: IntAttr
    split: IntAttr
    partial_sums: PartialSumsAttr

    def __init__(self, step: int, total: int, prologue: int = 0, split: int = 0,
                 partial_sums: str | PartialSums = PartialSums.NONE):
        super().__init__(IntAttr(step), IntAttr(total), IntAttr(prologue), IntAttr(split),
                         PartialSumsAttr(PartialSums(partial_sums)))

    def verify(self) -> None:
        if self.step.data < 1:
            raise VerifyException(f"overlap step must be >= 1 iteration, got {self.step.data}")
        if self.total.data < self.step.data:
            raise VerifyException(f"overlap total ({self.total.data}) must be at least one step ({self.step.data})")
        if self.prologue.data < 0 or self.split.data < 0:
            raise VerifyException("overlap prologue and split must be >= 0")
        if (self.split.data > 0) != (self.partial_sums.data != PartialSums.NONE):
            raise VerifyException(
                f"overlap with split = {self.split.data} must store its partial sums "
                f"{'as partition or reshape' if self.split.data else 'as none'}, got {self.partial_sums.data.value}"
            )

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            values = []
            for key in ("step", "total", "prologue", "split"):
                values.append(_parse_int(parser, key))
                parser.parse_punctuation(",")
            parser.parse_keyword("partial_sums")
            parser.parse_punctuation("=")
            sums = _parse_enum(parser, PartialSums, "partial sums layout")
        return [*(IntAttr(v) for v in values), PartialSumsAttr(sums)]

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(
            f"<step = {self.step.data}, total = {self.total.data}, prologue = {self.prologue.data}, "
            f"split = {self.split.data}, partial_sums = {self.partial_sums.data.value}>"
        )


SCHED = Dialect(
    "sched",
    [],
    [LoopScheduleAttr, PartitionKindAttr, PartitionAttr, StreamAttr, RowPipelineAttr, PartialSumsAttr, OverlapAttr],
)
