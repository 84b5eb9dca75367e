"""The `sched` dialect: hardware scheduling decisions attached to ops.

Passes decide, the HLS emitter obeys: an op carrying `sched.loop` has its loops
pipelined at the given initiation interval and its inner loop unrolled by the
given factor; a constant carrying `sched.partition` has its array partitioned;
a function carrying `sched.dataflow` has its top-level loops (input paths,
recurrences, the rest) run as concurrent dataflow processes, and a process
carrying `sched.stream` passes its rows to the next one through a FIFO of
the given depth instead of a ping-pong buffer; a map or scan carrying
`sched.row_pipeline` runs its step's MAC engine, inverse FFT and elementwise
tail as one pipelined loop (`ercc.hardware.row_pipeline`), and a scan also
carrying `sched.next_spectrum` computes in that loop the FFT of its next
state; a row-pipelined map or scan carrying `sched.overlap_steps` runs all its
steps as that one loop, step t + 1's rows starting while step t drains;
one carrying `sched.fabric_mul` multiplies in LUTs outside its MAC engine
(inverse FFT, tail, FFT units in the loop), leaving the DSPs to the MAC.
Nothing here changes what a kernel computes.
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntAttr, StringAttr
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

LOOP = "sched.loop"
PARTITION = "sched.partition"
DATAFLOW = "sched.dataflow"  # a unit attribute on the func.func
STREAM = "sched.stream"
ROW_PIPELINE = "sched.row_pipeline"  # a unit attribute on an rnn.map or rnn.scan
NEXT_SPECTRUM = "sched.next_spectrum"  # a unit attribute on a row-pipelined rnn.scan
OVERLAP_STEPS = "sched.overlap_steps"  # a unit attribute on a row-pipelined rnn.map or rnn.scan
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


PARTITION_KINDS = ("cyclic", "block", "complete")


@irdl_attr_definition
class PartitionAttr(ParametrizedAttribute):
    """`#sched.partition<cyclic, 4>`: HLS array_partition of a constant array."""

    name = "sched.partition"

    kind: StringAttr
    factor: IntAttr

    def __init__(self, kind: str, factor: int):
        super().__init__(StringAttr(kind), IntAttr(factor))

    def verify(self) -> None:
        if self.kind.data not in PARTITION_KINDS:
            raise VerifyException(
                f"partition kind must be one of {', '.join(PARTITION_KINDS)}, got '{self.kind.data}'"
            )
        if self.factor.data < 1:
            raise VerifyException(f"partition factor must be >= 1, got {self.factor.data}")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            kind = parser.parse_identifier()
            parser.parse_punctuation(",")
            factor = parser.parse_integer(allow_boolean=False)
        return [StringAttr(kind), IntAttr(factor)]

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<{self.kind.data}, {self.factor.data}>")


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


SCHED = Dialect("sched", [], [LoopScheduleAttr, PartitionAttr, StreamAttr])
