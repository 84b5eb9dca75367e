"""The HLS printer's shared core: SSA names, C types and literals, loop nests, tables, the op dispatcher.

`HLSPrinterBase` holds what every dialect's printer needs (`print_rnn.py`,
`print_fix.py`, `print_circ.py`, `print_scan.py` add one `_emit` case per op,
registered on the one `singledispatchmethod` defined here, as xDSL's WGSL
printer does); `emitter.py` mixes them into `HLSPrinter` and assembles the
kernel. All element-type decisions go through `ctype` and all numbers
through `literal`, so a new element type is one more case in each.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import singledispatchmethod

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, Float32Type, TensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.traits import ConstantLike
from xdsl.utils.base_printer import BasePrinter

from ercc.backends.hls.weights import WeightTables
from ercc.dialects import circ
from ercc.dialects.fix import FixedType, raw_values
from ercc.dialects.sched import LOOP, PARTITION, STREAM, LoopScheduleAttr, PartitionAttr, PartitionKind
from ercc.dialects.traits import Reduction
from ercc.errors import ErccError
from ercc.numerics.fixed import from_float, to_float


def row_major_strides(shape: Sequence[int]) -> list[int]:
    """Element strides of a row-major array of `shape`."""
    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    return strides


def flat_index(terms: Sequence[str | None], shape: Sequence[int]) -> str:
    """C expression of the flat offset of a multi-index; None terms are index 0."""
    parts = []
    for term, stride in zip(terms, row_major_strides(shape)):
        if term is not None:
            parts.append(term if stride == 1 else f"{term} * {stride}")
    return " + ".join(parts) or "0"


def broadcast_index(idx: Sequence[str], out_shape: Sequence[int], shape: Sequence[int]) -> str:
    """Flat offset into an operand of `shape` broadcast (ONNX/numpy rules) to `out_shape`."""
    lead = len(out_shape) - len(shape)
    terms = [None if d == 1 else idx[lead + i] for i, d in enumerate(shape)]
    return flat_index(terms, shape)


def element_type(t: Attribute) -> Attribute:
    """Element type of a tensor, spectrum or block-circulant matrix type."""
    if isinstance(t, TensorType):
        return t.get_element_type()
    if isinstance(t, (circ.SpectrumType, circ.BlockCirculantType, circ.FreqBlockCirculantType)):
        return t.element_type
    raise ErccError(f"the hls-cpp backend cannot store values of type {t}")


def array_size(t: Attribute) -> int:
    """Number of scalars in the flat C array holding a value of type `t`."""
    if isinstance(t, TensorType):
        return math.prod(t.get_shape())
    if isinstance(t, circ.SpectrumType):
        return t.blocks.data * t.bins * 2
    raise ErccError(f"the hls-cpp backend cannot store values of type {t}")


def dense_values(attr: Attribute) -> np.ndarray:
    """The flat float32 contents of a dense constant, read zero-copy from its bytes."""
    if not isinstance(attr, DenseIntOrFPElementsAttr) or not isinstance(
        attr.get_element_type(), Float32Type
    ):
        raise ErccError(f"the hls-cpp backend only supports dense f32 constants, got {attr.type}")
    return np.frombuffer(attr.data.data, dtype="<f4")



@dataclass(eq=False, repr=False)
class HLSPrinterBase(BasePrinter):
    """Prints the top function's body to `stream` and collects file-scope definitions."""

    _names: dict[SSAValue, str] = field(default_factory=dict, init=False)
    _idents: set[str] = field(default_factory=set, init=False)
    _labels: set[str] = field(default_factory=set, init=False)
    _typedefs: dict[str, str] = field(default_factory=dict, init=False)
    _tables: WeightTables = field(default_factory=WeightTables, init=False)
    _partitions: list[str] = field(default_factory=list, init=False)
    _fft_functions: dict[tuple, tuple[str, str]] = field(default_factory=dict, init=False)
    _outputs: list[str] = field(default_factory=list, init=False)
    _op_count: int = field(default=0, init=False)
    _tag: str = field(default="top", init=False)
    _schedule: LoopScheduleAttr | None = field(default=None, init=False)
    _dataflow: bool = field(default=False, init=False)
    _reduction: bool = field(default=False, init=False)
    _depth: int = field(default=0, init=False)
    _in_place: set[SSAValue] = field(default_factory=set, init=False)
    _row_at: str = field(default="", init=False)
    _fabric: bool = field(default=False, init=False)
    _row_out: dict = field(default_factory=dict, init=False)
    interface: str = "array"  # the top function's ports (backends/hls/interface.py)
    batch: int = 1  # axis/m_axi: the sequences per call the count port's tripcount and m_axi depth assume

    # ------------------------------------------------------------------ types

    def ctype(self, el: Attribute) -> str:
        """The C type name (a typedef) for an element type; the one place types are decided."""
        if isinstance(el, Float32Type):
            name, cpp = "data_t", "float"
        elif isinstance(el, FixedType):
            fmt = el.format
            modes = "".join(f"_{m[3:].lower()}" for m in (fmt.rnd, fmt.sat) if m not in ("AP_TRN", "AP_WRAP"))
            name, cpp = f"{'fx' if fmt.signed else 'ufx'}{fmt.width}_{fmt.int_bits}{modes}_t", fmt.cpp()
        else:
            raise ErccError(f"the hls-cpp backend does not support element type {el}")
        self._typedefs.setdefault(name, cpp)
        return name

    def literal(self, value: float, el: Attribute) -> str:
        """A C literal of element type `el`; the one place numbers are printed.

        Fixed point: `T(d)` with d the double of the value assigned to T (exact:
        raw values have at most 53 bits and repr round-trips a double).
        """
        ct = self.ctype(el)
        if isinstance(el, FixedType):
            fmt = el.format
            return f"{ct}({to_float(from_float(value, fmt), fmt).item()!r})"
        v = float(np.float32(value))
        if math.isnan(v):
            return "NAN"
        if math.isinf(v):
            return "INFINITY" if v > 0 else "-INFINITY"
        text = f"{v:.9g}"
        if "." not in text and "e" not in text:
            text += ".0"
        return text + "f"

    def literals(self, values: np.ndarray, el: Attribute) -> list[str]:
        """`literal` for a whole array; float32 tables are formatted in one numpy call.

        (Fixed-point tables are raw integers in the weights header: `weights.py`.)
        """
        if not isinstance(el, Float32Type):
            return [self.literal(v, el) for v in values.ravel().tolist()]
        self.ctype(el)
        flat = values.ravel().astype(np.float32).astype(np.float64)
        text = np.char.mod("%.9g", flat)
        plain = ~(np.char.count(text, ".") + np.char.count(text, "e") + np.char.count(text, "n")).astype(bool)
        text = np.where(plain, np.char.add(text, ".0"), text)
        out = np.char.add(text, "f").tolist()
        if not np.all(np.isfinite(flat)):
            out = [self.literal(v, el) if not math.isfinite(v) else t for v, t in zip(flat.tolist(), out)]
        return out

    # ------------------------------------------------------------------ names and lines

    def _fresh(self, base: str) -> str:
        """A function-scope identifier not used yet, derived from `base`."""
        name, n = base, 1
        while name in self._idents:
            name, n = f"{base}_{n}", n + 1
        self._idents.add(name)
        return name

    def _fresh_label(self, base: str) -> str:
        """A loop label unique in the top function (HLS reports name loops by label)."""
        name, n = base, 1
        while name in self._labels:
            name, n = f"{base}_{n}", n + 1
        self._labels.add(name)
        return name

    def _hint(self, value: SSAValue, prefix: str) -> str:
        """`prefix` + the value's IR name, or a numbered name when it has none."""
        hint = value.name_hint
        return prefix + re.sub(r"\W", "_", hint, flags=re.ASCII) if hint else f"{prefix}{len(self._names)}"

    def _line(self, text: str) -> None:
        self.print_string("\n" + text)

    def _array(self, value: SSAValue, per_pe: int = 1) -> str:
        """Declares the local array holding `value` and returns its name.

        A value the kernel returns as it is (`written_in_place`) is the output
        port itself. The array of an op unrolled by U whose PEs each write
        `per_pe` consecutive elements a cycle is partitioned cyclically by
        U·per_pe, so that they can all write in the same cycle.
        """
        if value in self._in_place:
            return self._names[value]
        name = self._fresh(self._hint(value, "v_"))
        self._names[value] = name
        ct = self.ctype(element_type(value.type))
        self._line(f"{ct} {name}[{array_size(value.type)}];")
        unroll = (self._schedule.unroll.data if self._schedule is not None else 1) * per_pe
        unroll = max(unroll, read_partition(value))
        streamed = isinstance(value.owner, Operation) and STREAM in value.owner.attributes
        if 1 < unroll < array_size(value.type) and not streamed:
            self._line(f"#pragma HLS array_partition variable={name} cyclic factor={unroll} dim=1")
        return name

    def _ct(self, value: SSAValue) -> str:
        return self.ctype(element_type(value.type))

    def _lit(self, number: float, value: SSAValue) -> str:
        return self.literal(number, element_type(value.type))

    # ------------------------------------------------------------------ loops

    @contextmanager
    def _loop(self, var: str, bound: int, *, inner: bool = False) -> Iterator[str]:
        """A labelled counted loop; an `inner` loop receives the op's schedule.

        HLS pipelining a loop fully unrolls every loop inside it, so the pipeline
        goes on the innermost loop of the op, partially unrolled by the factor:
        `unroll` iterations start every `ii` cycles. When a reduction's inner
        loop is unrolled completely, the pipeline goes on its parent loop
        instead (one whole reduction, an adder tree, starts every `ii` cycles).
        """
        label = self._fresh_label(f"{self._tag}_{var}")
        sched = self._schedule if inner else None
        tree = sched is not None and self._reduction and self._depth > 0 and sched.unroll.data >= bound
        if tree:
            self._line(f"#pragma HLS pipeline II={sched.ii.data}")
        self._line(f"{label}: for (int {var} = 0; {var} < {bound}; {var}++) {{")
        self._depth += 1
        with self.indented():
            if tree:
                self._line("#pragma HLS unroll")
            elif sched is not None:
                if self._schedule.unroll.data > 1:
                    self._line(f"#pragma HLS unroll factor={self._schedule.unroll.data}")
                self._line(f"#pragma HLS pipeline II={self._schedule.ii.data}")
            yield var
        self._depth -= 1
        self._line("}")

    @contextmanager
    def _nest(self, shape: Sequence[int]) -> Iterator[list[str]]:
        """Loops over every index of `shape` (outermost first), yielding the index names."""
        with ExitStack() as stack:
            last = len(shape) - 1
            yield [
                stack.enter_context(self._loop(f"i{d}", n, inner=d == last))
                for d, n in enumerate(shape)
            ]

    def _copy(
        self, dst: str, src: str, size: int, dst_at: str = "", src_at: str = "", scheduled: bool = False
    ) -> None:
        """dst[dst_at + i] = src[src_at + i] for i < size (offsets are C expressions).

        A `scheduled` copy gets the current op's schedule (a map's or scan's per-step copies).
        """
        with self._loop("i0", size, inner=scheduled) as i:
            self._line(f"{dst}[{dst_at}{i}] = {src}[{src_at}{i}];")

    # ------------------------------------------------------------------ ops

    def emit(self, op: Operation, body: Callable[[Operation], None] | None = None) -> None:
        """Prints one op (with `body`, default its emitter) with its own loop-label prefix and schedule."""
        saved = self._tag, self._schedule, self._reduction, self._depth
        # Reductions: their parent loop holds only the inner loop and scalar code (see _loop).
        self._reduction, self._depth = op.has_trait(Reduction), 0
        self._op_count += 1
        self._tag = f"{op.name.split('.')[-1]}{self._op_count}"
        schedule = op.attributes.get(LOOP)
        self._schedule = schedule if isinstance(schedule, LoopScheduleAttr) else None
        if body is None and not op.has_trait(ConstantLike):  # constants live at file scope
            self._line(f"// {op.name}")
        (body or self._emit)(op)
        self._tag, self._schedule, self._reduction, self._depth = saved

    @singledispatchmethod
    def _emit(self, op: Operation) -> None:
        raise ErccError(f"the hls-cpp backend cannot emit '{op.name}'")

    def _table(self, name: str, el: Attribute, values: np.ndarray) -> str:
        """Adds a table (raw integers for fixed point) to the weights header, read as `name[i]`;
        returns the name of the array holding it there (the one partition pragmas name)."""
        if isinstance(el, FixedType):
            storage = self._fresh(f"{name}_bits")
            self._tables.add_fixed(name, storage, values, el.format, self.ctype(el))
            return storage
        self.ctype(el)
        self._tables.add_plain(name, "float", values, lambda v: self.literals(v, el))
        return name

    def _constant(self, op: Operation, result: SSAValue, data: Attribute | np.ndarray, per_bank: int = 1) -> None:
        """A table in the weights header for a constant op, with its array_partition pragma if any.

        `data` is the op's dense attribute or the values as laid out in memory;
        a cyclic partition of factor U gets U * `per_bank` banks (a PE reads
        `per_bank` consecutive values).
        """
        name = self._fresh(self._hint(result, "c_"))
        self._names[result] = name
        el = element_type(result.type)
        if isinstance(data, np.ndarray):
            values = data
        else:
            values = raw_values(data) if isinstance(el, FixedType) else dense_values(data)
        storage = self._table(name, el, values)
        part = op.attributes.get(PARTITION)
        if isinstance(part, PartitionAttr):
            banks = part.factor.data * per_bank
            pair = part.pairs.data
            if pair > 1:  # banks read at one address share a word (the partition's `pairs`)
                self._partitions.append(f"#pragma HLS array_reshape variable={storage} cyclic factor={pair} dim=1")
                banks //= pair
            factor = "" if part.kind.data == PartitionKind.COMPLETE else f" factor={banks}"
            self._partitions.append(
                f"#pragma HLS array_partition variable={storage} {part.kind_name}{factor} dim=1"
            )

    def _product(self, a: str, b: str) -> str:
        """`a * b`; in a `sched.fabric_mul` row pipeline's fixed-point tail, a variable of its own bound to
        a LUT multiplier (the product is exact either way: the same bits)."""
        if not self._fabric:
            return f"{a} * {b}"
        name = self._fresh("prod")
        self._line(f"const auto {name} = {a} * {b};")
        self._line(f"#pragma HLS bind_op variable={name} op=mul impl=fabric")
        return name


def read_partition(value: SSAValue) -> int:
    """Banks a value's array needs for its readers, whose PEs each read a whole block a cycle:
    an unrolled `circ.freq_mac` or `circ.irfft` reads U spectra (k + 2 values each), `circ.rfft`
    U input blocks (k values)."""
    banks = 1
    for use in value.uses:
        user = use.operation
        sched = user.attributes.get(LOOP)
        unroll = sched.unroll.data if isinstance(sched, LoopScheduleAttr) else 1
        if isinstance(user, circ.FreqMacOp) and use.index == 1 or isinstance(user, circ.IRFFTOp):
            banks = max(banks, unroll * 2 * user.input.type.bins)
        elif isinstance(user, circ.RFFTOp):
            banks = max(banks, unroll * user.result.type.block.data)
    return banks


