"""The HLS C++ printer: lowered ercc IR to one self-contained Vitis-HLS-style kernel.

Every tensor SSA value becomes a flat, fixed-size, row-major local array (a
reshape just renames its operand's array); every op becomes a labelled loop
nest with constant bounds writing its result array. Constants become
tables in a separate weights header (`weights.py`: raw integers for fixed
point, read as `ap_fixed` bit for bit). `sched.*` attributes become pragmas. All
element-type decisions go through `ctype` and all numbers through `literal`,
so a new element type (fixed point) is one more case in each.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from functools import singledispatchmethod

import numpy as np
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseIntOrFPElementsAttr,
    Float32Type,
    IntegerType,
    ModuleOp,
    StringAttr,
    TensorType,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.traits import ConstantLike
from xdsl.utils.base_printer import BasePrinter
from xdsl.utils.exceptions import VerifyException

from ercc.backends.hls import fft
from ercc.backends.hls.interface import TopFunction, array_params, top_function
from ercc.backends.hls.kernel import EmittedKernel, KernelPort
from ercc.backends.hls.row_loop import RowPipelinePrinter
from ercc.backends.hls.weights import WeightTables, header_name
from ercc.dialects import circ, fix, rnn
from ercc.dialects.fix import FixedType, coefficient_format, raw_values
from ercc.dialects.rnn import ActivationAttr, ActivationKind
from ercc.dialects.sched import (
    DATAFLOW,
    LOOP,
    PARTITION,
    STREAM,
    LoopScheduleAttr,
    OverlapAttr,
    PartitionAttr,
    PartitionKind,
    StreamAttr,
)
from ercc.dialects.sched_rows import overlap_of, pipeline_of, reads_rows, state_spectrum, writes_rows
from ercc.errors import ErccError
from ercc.numerics import fft_plan
from ercc.numerics.fixed import from_float, to_float
from ercc.numerics.quantizer import ROUNDING_MODES
from ercc.numerics.softmax import design as softmax_design

# Names the emitter declares inside the top function; ONNX names that would clash get a "_".
_INTERNAL_NAMES = frozenset(
    {"t", "s", "r", "k", "m", "b", "n", "v", "src", "acc", "acc_re", "acc_im", "mx", "sum"}
    | {"blk_re", "blk_im", "data_t", "std", "main", "seg", "ercc_rom"}
    | {"i", "g", "j", "u", "l", "wb", "xb", "hb", "gt", "gi", "lane", "spec", "blk", "fblk", "fspec", "t_act"}
)
_LOOP_INDEX = re.compile(r"i\d+")
_FIXED_TYPEDEF = re.compile(r"u?fx\d+_\d+\w*_t")  # ctype()'s names of ap_fixed formats
_CPP_KEYWORDS = frozenset(
    """alignas alignof and and_eq asm auto bitand bitor bool break case catch char char16_t
    char32_t class compl const constexpr const_cast continue decltype default delete do double
    dynamic_cast else enum explicit export extern false float for friend goto if inline int long
    mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public
    register reinterpret_cast return short signed sizeof static static_assert static_cast struct
    switch template this thread_local throw true try typedef typeid typename union unsigned using
    virtual void volatile wchar_t while xor xor_eq NAN INFINITY""".split()
)
_REDUCTIONS = (rnn.MatVecOp, rnn.MatMulOp, rnn.GemmOp, circ.MatVecOp, circ.FreqMacOp)


def c_identifier(name: str, fallback: str) -> str:
    """A C identifier for an ONNX name that cannot clash with keywords or the emitter's names."""
    ident = re.sub(r"\W", "_", name, flags=re.ASCII)
    if not ident:
        return fallback
    if ident[0].isdigit() or ident[0] == "_":
        ident = "p" + ident
    if (
        ident in _CPP_KEYWORDS
        or ident in _INTERNAL_NAMES
        or _LOOP_INDEX.fullmatch(ident)
        or _FIXED_TYPEDEF.fullmatch(ident)
    ):
        ident += "_"
    if ident.startswith("ercc_fft"):
        ident = "p" + ident
    return ident


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


def _names(func_op: func.FuncOp, key: str, count: int, prefix: str) -> list[str]:
    """ONNX names of the kernel's arguments or results, `in0`-style when absent."""
    attr = func_op.attributes.get(key)
    names = [a.data for a in attr.data if isinstance(a, StringAttr)] if isinstance(attr, ArrayAttr) else []
    if len(names) != count:
        names = [f"{prefix}{i}" for i in range(count)]
    return names


@dataclass(eq=False, repr=False)
class HLSPrinter(RowPipelinePrinter, BasePrinter):
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
        unroll = max(unroll, _read_partition(value))
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

    # ------------------------------------------------------------------ kernel

    def kernel(self, module: ModuleOp, func_op: func.FuncOp) -> EmittedKernel:
        """Prints the body of `func_op`, then assembles the whole translation unit."""
        top = c_identifier(func_op.sym_name.data, "ercc_kernel")
        self._idents.add(top)
        ftype = func_op.function_type
        inputs = self._ports(func_op, "ercc.input_names", ftype.inputs.data, "in")
        outputs = self._ports(func_op, "ercc.output_names", ftype.outputs.data, "out")
        for arg, port in zip(func_op.body.block.args, inputs):
            self._names[arg] = port.c_name
        self._outputs = [p.c_name for p in outputs]
        for value, index in written_in_place(func_op).items():
            self._names[value] = outputs[index].c_name
            self._in_place.add(value)
        self._dataflow = DATAFLOW in func_op.attributes
        with self.indented():
            if self._dataflow:
                self._line("#pragma HLS dataflow")
            for op in func_op.body.block.ops:
                self.emit(op)
        assert isinstance(self.stream, io.StringIO)
        model = module.sym_name.data if module.sym_name else top
        count = self._fresh("count")  # the axis/m_axi count port: a name no port or table takes
        datapath = self._fresh(f"{top}_datapath")
        interface = top_function(self.interface, top, inputs, outputs, self._typedefs, self.batch, count, datapath)
        source = self._assemble(model, interface, inputs, outputs, self.stream.getvalue())
        return EmittedKernel(
            source=source, top=top, inputs=inputs, outputs=outputs, entry=interface.entry,
            tables=self._tables, interface=self.interface, batch=self.batch, prelude=self._prelude(interface),
            prototype=interface.prototype,
        )

    def _ports(
        self, func_op: func.FuncOp, key: str, types: Sequence[Attribute], prefix: str
    ) -> list[KernelPort]:
        """Kernel ports for the function's argument or result types, named from `key`."""
        ports = []
        for i, (name, t) in enumerate(zip(_names(func_op, key, len(types), prefix), types)):
            if not isinstance(t, TensorType):
                raise ErccError(f"kernel {prefix}put {i} must be a tensor, got {t}")
            c_name = self._fresh(c_identifier(name, f"{prefix}{i}"))
            el = t.get_element_type()
            ct = "int" if _is_i32(el) else self.ctype(el)  # integer ports: sequence lengths
            ports.append(KernelPort(name, c_name, tuple(t.get_shape()), ct))
        return ports

    def _prelude(self, interface: TopFunction) -> list[str]:
        """Includes and types the top function's declaration needs (TOP.h)."""
        return [
            "#include <cmath>",
            *(["#include <ap_fixed.h>"] if any(c.startswith("ap_") for c in self._typedefs.values()) else []),
            *interface.includes,
            "",
            *(f"typedef {cpp} {name};" for name, cpp in self._typedefs.items()),
            *([""] + interface.types if interface.types else []),
        ]

    def _assemble(
        self, model: str, interface: TopFunction, inputs: list[KernelPort], outputs: list[KernelPort], body: str
    ) -> str:
        """Header comment, includes, typedefs, tables, FFT helpers, the datapath and the interface's top function."""
        top, entry = interface.top, interface.entry
        ports = [("input", p) for p in inputs] + [("output", p) for p in outputs]
        out = [
            "// Generated by ercc: HLS C++ kernel. Do not edit.",
            f"// Model: {model}",
            f"// Top function: {top} (--interface {interface.kind})",
            f"// {'Arguments' if entry == top else f'The datapath {entry} takes'} flat row-major arrays:",
            *(f"//   {kind:<6} {p.c_name} ({p.name!r}): shape {list(p.shape)}" for kind, p in ports),
            "",
            *self._prelude(interface),
        ]
        if self._tables:
            out += ["", f'#include "{header_name(top)}"  // the constant tables']
            out += ["", *self._tables.kernel_declarations()] if self._tables.kernel_declarations() else []
        for section in (text for _, text in self._fft_functions.values()):
            out += ["", section]
        params = array_params(inputs, outputs)
        out += ["", f"{'' if entry == top else 'static '}void {entry}("]
        for i, (decl, p) in enumerate(params):
            sep = "," if i < len(params) - 1 else ""
            out.append(f"    {decl}{sep}  // {p.name}: {list(p.shape)}")
        out.append(") {")
        out += [f"  {pragma}" for pragma in interface.datapath_pragmas + self._partitions]
        out.append(body.lstrip("\n"))
        out.append("}")
        if interface.wrapper:
            out += ["", *interface.wrapper]
        return "\n".join(out) + "\n"

    # ------------------------------------------------------------------ ops

    def emit(self, op: Operation, body: Callable[[Operation], None] | None = None) -> None:
        """Prints one op (with `body`, default its emitter) with its own loop-label prefix and schedule."""
        saved = self._tag, self._schedule, self._reduction, self._depth
        # Reductions: their parent loop holds only the inner loop and scalar code (see _loop).
        self._reduction, self._depth = isinstance(op, _REDUCTIONS), 0
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

    @_emit.register
    def _(self, op: arith.ConstantOp) -> None:
        if not isinstance(op.result.type, TensorType):
            raise ErccError(f"the hls-cpp backend only supports tensor constants, got {op.result.type}")
        if _is_i32(op.result.type.get_element_type()):  # constant sequence lengths
            name = self._fresh(self._hint(op.result, "c_"))
            self._names[op.result] = name
            values = np.frombuffer(op.value.data.data, dtype="<i4")
            count = array_size(op.result.type)
            self._tables.add_plain(name, "int", np.broadcast_to(values, (count,)) if values.size == 1 else values)
            return
        self._constant(op, op.result, op.value)

    @_emit.register
    def _(self, op: fix.ConstOp) -> None:
        self._constant(op, op.result, op.value)

    @_emit.register
    def _(self, op: fix.PWLOp) -> None:
        x, y = self._names[op.input], self._array(op.result)
        with self._nest((array_size(op.result.type),)) as (i,):
            self._pwl_element(op, f"{x}[{i}]", f"{y}[{i}]")

    def _pwl_element(self, op: fix.PWLOp, arg: str, dst: str) -> None:
        """The piecewise-linear function of fix.pwl: clamp, segment search, one exact expression."""
        n = rnn.shape_of(op.values)[0]
        brk, val, slope = (self._names[v] for v in (op.breaks, op.values, op.slopes))
        below = self._lit(op.below.value.data, op.result)
        above = "v" if op.above is None else self._lit(op.above.value.data, op.result)
        self._line(f"const {self._ct(op.input)} v = {arg};")
        self._line(f"if (v < {brk}[0]) {dst} = {below};")
        self._line(f"else if (v >= {brk}[{n}]) {dst} = {above};")
        self._line("else {")
        with self.indented():
            self._line("int seg = 0;")
            with self._loop("m", n):
                self._line(f"seg = v >= {brk}[m] ? m : seg;")
            self._line(f"{dst} = {val}[seg] + {self._product(f'{slope}[seg]', f'(v - {brk}[seg])')};")
        self._line("}")

    @_emit.register
    def _(self, op: circ.ConstOp) -> None:
        self._constant(op, op.result, op.vectors)

    @_emit.register
    def _(self, op: circ.FreqConstOp) -> None:
        self._constant(op, op.result, _packed_spectra(op), per_bank=op.result.type.block.data)

    @_emit.register
    def _(self, op: func.ReturnOp) -> None:
        for value, out in zip(op.arguments, self._outputs):
            if self._names[value] != out:
                self._copy(out, self._names[value], array_size(value.type))

    # --- elementwise

    @_emit.register
    def _(self, op: rnn.AddOp | rnn.SubOp | rnn.MulOp) -> None:
        out_shape = rnn.shape_of(op.result)
        a_shape, b_shape = rnn.shape_of(op.lhs), rnn.shape_of(op.rhs)
        if a_shape == b_shape == out_shape:  # no broadcast: one flat loop
            out_shape = a_shape = b_shape = (math.prod(out_shape),)
        a, b, y = self._names[op.lhs], self._names[op.rhs], self._array(op.result)
        with self._nest(out_shape) as idx:
            self._element(
                op,
                [
                    f"{a}[{broadcast_index(idx, out_shape, a_shape)}]",
                    f"{b}[{broadcast_index(idx, out_shape, b_shape)}]",
                ],
                f"{y}[{flat_index(idx, out_shape)}]",
            )

    def _activation(self, fn: ActivationAttr, v: str, value: SSAValue) -> str:
        """C expression of an ONNX activation of float `v`, with its alpha/beta."""
        zero, one = self._lit(0.0, value), self._lit(1.0, value)
        a, b = self._lit(fn.alpha.value.data, value), self._lit(fn.beta.value.data, value)
        match fn.activation:
            case ActivationKind.SIGMOID:
                return f"{one} / ({one} + std::exp(-{v}))"
            case ActivationKind.TANH:
                return f"std::tanh({v})"
            case ActivationKind.RELU:
                return f"({v} > {zero} ? {v} : {zero})"
            case ActivationKind.HARD_SIGMOID:
                return f"std::fmin({one}, std::fmax({zero}, {a} * {v} + {b}))"
            case ActivationKind.LEAKY_RELU:
                return f"({v} >= {zero} ? {v} : {a} * {v})"
            case ActivationKind.THRESHOLDED_RELU:
                return f"({v} > {a} ? {v} : {zero})"
            case ActivationKind.SCALED_TANH:
                return f"{a} * std::tanh({b} * {v})"
            case ActivationKind.AFFINE:
                return f"{a} * {v} + {b}"
            case ActivationKind.ELU:
                return f"({v} >= {zero} ? {v} : {a} * std::expm1({v}))"
            case ActivationKind.SOFTSIGN:
                return f"{v} / ({one} + std::fabs({v}))"
            case ActivationKind.SOFTPLUS:
                # log(1 + exp(v)) rearranged so that exp never overflows.
                return f"std::fmax({v}, {zero}) + std::log1p(std::exp(-std::fabs({v})))"
        raise ErccError(f"the hls-cpp backend cannot emit activation '{fn.kind.data}'")

    def _product(self, a: str, b: str) -> str:
        """`a * b`; in a `sched.fabric_mul` row pipeline's fixed-point tail, a variable of its own bound to
        a LUT multiplier (the product is exact either way: the same bits)."""
        if not self._fabric:
            return f"{a} * {b}"
        name = self._fresh("prod")
        self._line(f"const auto {name} = {a} * {b};")
        self._line(f"#pragma HLS bind_op variable={name} op=mul impl=fabric")
        return name

    def _unary(self, op: Operation) -> None:
        """y[i] = the op of x[i], over the flat array."""
        x, y = self._names[op.operands[0]], self._array(op.results[0])
        with self._nest((array_size(op.results[0].type),)) as (i,):
            self._element(op, [f"{x}[{i}]"], f"{y}[{i}]")

    def _element(self, op: Operation, args: Sequence[str], dst: str) -> None:
        """Statements setting `dst` to one element of an elementwise op's result from its operands'
        elements `args`: array elements in the op's own loop, scalars in a row pipeline."""
        match op:
            case rnn.MulOp():
                self._line(f"{dst} = {self._product(args[0], args[1])};")
            case rnn.AddOp() | rnn.SubOp():
                symbol = {rnn.AddOp: "+", rnn.SubOp: "-"}[type(op)]
                self._line(f"{dst} = {args[0]} {symbol} {args[1]};")
            case rnn.SliceOp() | rnn.ConcatOp():
                self._line(f"{dst} = {args[0]};")
            case rnn.ActivationOp() if isinstance(element_type(op.result.type), FixedType):
                self._fixed_activation(op, args[0], dst)
            case rnn.ActivationOp():
                self._line(f"const {self._ct(op.result)} v = {args[0]};")
                self._line(f"{dst} = {self._activation(op.fn, 'v', op.result)};")
            case rnn.ClampOp():
                hi = self._lit(op.bound.value.data, op.result)
                lo = self._lit(-op.bound.value.data, op.result)
                self._line(f"const {self._ct(op.result)} v = {args[0]};")
                self._line(f"{dst} = (v < {lo} ? {lo} : (v > {hi} ? {hi} : v));")
            case fix.PWLOp():
                self._pwl_element(op, args[0], dst)
            case fix.QuantOp():
                self._quant_element(op, args[0], dst)
            case _:
                raise ErccError(f"the hls-cpp backend cannot emit '{op.name}' element by element")

    @_emit.register
    def _(self, op: rnn.ActivationOp) -> None:
        self._unary(op)

    @_emit.register
    def _(self, op: fix.QuantOp) -> None:
        self._unary(op)

    def _quant_element(self, op: fix.QuantOp, arg: str, dst: str) -> None:
        """A model's quantizer in float32, in ercc.numerics.quantizer's order of operations."""
        q = op.quantizer
        s, z = self._lit(q.scale, op.result), self._lit(q.zero_point, op.result)
        lo, hi = self._lit(q.lo, op.result), self._lit(q.hi, op.result)
        self._line(f"const {self._ct(op.result)} v = {ROUNDING_MODES[q.rounding]}({arg} / {s} + {z});")
        self._line(f"{dst} = (std::fmin(std::fmax(v, {lo}), {hi}) - {z}) * {s};")

    def _fixed_activation(self, op: rnn.ActivationOp, arg: str, dst: str) -> None:
        """The exactly piecewise-linear activations on ap_fixed, as the reference interpreter (ercc.interpreters.fix) computes them.

        alpha/beta are `coefficient_format` constants; `A * v + B` is exact and
        assigned once (hard_sigmoid then clamps to [0, 1]).
        """
        el, kind = element_type(op.result.type), op.fn.activation
        zero, one = self._lit(0.0, op.result), self._lit(1.0, op.result)

        def coef(value: float) -> str:
            return self.literal(value, FixedType.from_format(coefficient_format(value, el.format)))

        a, b = op.fn.alpha.value.data, op.fn.beta.value.data
        ct = self.ctype(el)
        self._line(f"const {ct} v = {arg};")
        scaled = self._product(coef(a), "v") if kind in _SCALED else ""
        if kind == ActivationKind.RELU:
            lines = [f"t_act = v > {zero} ? v : {zero};"]
        elif kind == ActivationKind.LEAKY_RELU:
            lines = [f"if (v < {zero}) t_act = {scaled};", "else t_act = v;"]
        elif kind == ActivationKind.THRESHOLDED_RELU:
            lines = [f"t_act = {coef(a)} < v ? v : {zero};"]
        elif kind == ActivationKind.AFFINE:
            lines = [f"t_act = {scaled} + {coef(b)};"]
        elif kind == ActivationKind.HARD_SIGMOID:
            lines = [
                f"t_act = {scaled} + {coef(b)};",
                f"if (t_act < {zero}) t_act = {zero};",
                f"if ({one} < t_act) t_act = {one};",
            ]
        else:
            raise ErccError(f"activation '{op.fn.kind.data}' needs the activation-approximation pass in fixed point")
        self._line(f"{ct} t_act;")
        for line in lines:
            self._line(line)
        self._line(f"{dst} = t_act;")

    @_emit.register
    def _(self, op: rnn.ClampOp) -> None:
        self._unary(op)

    @_emit.register
    def _(self, op: rnn.SoftmaxOp | rnn.LogSoftmaxOp) -> None:
        shape, axis = rnn.shape_of(op.input), op.axis.value.data
        before, n, inner = math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1 :])
        if isinstance(element_type(op.result.type), FixedType):
            self._fixed_softmax(op, before, n, inner)
            return
        x, y, ct = self._names[op.input], self._array(op.result), self._ct(op.result)
        with self._loop("i0", before), self._loop("i1", inner):
            at = f"i0 * {n * inner} + i1 + k * {inner}"
            self._line(f"{ct} mx = {x}[i0 * {n * inner} + i1];")
            with self._loop("k", n, inner=True):
                self._line(f"mx = {x}[{at}] > mx ? {x}[{at}] : mx;")
            self._line(f"{ct} sum = {self._lit(0.0, op.result)};")
            with self._loop("k", n, inner=True):
                self._line(f"sum += std::exp({x}[{at}] - mx);")
            with self._loop("k", n, inner=True):
                if isinstance(op, rnn.SoftmaxOp):
                    self._line(f"{y}[{at}] = std::exp({x}[{at}] - mx) / sum;")
                else:
                    self._line(f"{y}[{at}] = {x}[{at}] - mx - std::log(sum);")

    def _fixed_softmax(self, op: rnn.SoftmaxOp | rnn.LogSoftmaxOp, before: int, n: int, inner: int) -> None:
        """ercc.numerics.softmax's design: max, exp table, exact sum, 1/s or ln s table, one multiply."""
        log = isinstance(op, rnn.LogSoftmaxOp)
        d = softmax_design(element_type(op.input.type).format, n, log)
        xt, et, st, ft = (self.ctype(FixedType.from_format(f)) for f in (d.x, d.e, d.s, d.f))
        exp, fn = self._pwl_table(d.exp, "sm_exp"), self._pwl_table(d.fn, "sm_log" if log else "sm_recip")
        x, y = self._names[op.input], self._array(op.result)
        with self._loop("i0", before), self._loop("i1", inner):
            at = f"i0 * {n * inner} + i1 + k * {inner}"
            self._line(f"{xt} mx = {x}[i0 * {n * inner} + i1];")
            with self._loop("k", n, inner=True):
                self._line(f"mx = {x}[{at}] > mx ? {x}[{at}] : mx;")
            self._line(f"{xt} dk[{n}];")
            self._line(f"{et} ek[{n}];")
            self._line(f"{st} sum = 0;")
            with self._loop("k", n, inner=True):
                self._line(f"dk[k] = {x}[{at}] - mx;")
                self._pwl_lines("ek[k]", "dk[k]", exp, d.exp, d.e)
                self._line("sum += ek[k];")
            self._line(f"{ft} f;")
            self._pwl_lines("f", "sum", fn, d.fn, d.f)
            with self._loop("k", n, inner=True):
                self._line(f"{y}[{at}] = {'dk[k] - f' if log else 'ek[k] * f'};")

    def _pwl_table(self, t, base: str) -> tuple[str, str, str]:
        """File-scope arrays for a numerics.softmax Table: (breaks, values, slopes) names."""
        names = []
        for what, raw, fmt in (("breaks", t.breaks, t.breaks_fmt), ("values", t.values, t.values_fmt),
                               ("slopes", t.slopes, t.slopes_fmt)):
            name = self._fresh(f"c_{base}_{what}")
            self._table(name, FixedType.from_format(fmt), raw)
            names.append(name)
        return names[0], names[1], names[2]

    def _pwl_lines(self, dst: str, v: str, names: tuple[str, str, str], t, out) -> None:
        """dst = the table at v (fix.pwl's expression), dst of format `out`."""
        brk, val, slope = names
        el = FixedType.from_format(out)
        self._line(f"if ({v} < {brk}[0]) {dst} = {self.literal(t.below, el)};")
        self._line(f"else if ({v} >= {brk}[{t.segments}]) {dst} = {self.literal(t.above, el)};")
        self._line("else {")
        with self.indented():
            self._line("int seg = 0;")
            with self._loop("m", t.segments):
                self._line(f"seg = {v} >= {brk}[m] ? m : seg;")
            self._line(f"{dst} = {val}[seg] + {slope}[seg] * ({v} - {brk}[seg]);")
        self._line("}")

    # --- data movement

    @_emit.register
    def _(self, op: rnn.ReshapeOp) -> None:
        self._names[op.result] = self._names[op.input]
        self._line(f"// {self._names[op.result]} viewed as {list(rnn.shape_of(op.result))}")

    @_emit.register
    def _(self, op: rnn.TransposeOp) -> None:
        perm = list(op.perm.get_values())
        in_shape, out_shape = rnn.shape_of(op.input), rnn.shape_of(op.result)
        x, y = self._names[op.input], self._array(op.result)
        with self._nest(out_shape) as idx:
            terms = [idx[perm.index(axis)] for axis in range(len(in_shape))]
            self._line(f"{y}[{flat_index(idx, out_shape)}] = {x}[{flat_index(terms, in_shape)}];")

    @_emit.register
    def _(self, op: rnn.SliceOp) -> None:
        offsets, strides = op.offsets.get_values(), op.strides.get_values()
        in_shape, out_shape = rnn.shape_of(op.input), rnn.shape_of(op.result)
        x, y = self._names[op.input], self._array(op.result)
        with self._nest(out_shape) as idx:
            terms = [
                i if (o, s) == (0, 1) else f"({o} + {i} * {s})" for i, o, s in zip(idx, offsets, strides)
            ]
            self._line(f"{y}[{flat_index(idx, out_shape)}] = {x}[{flat_index(terms, in_shape)}];")

    @_emit.register
    def _(self, op: rnn.ConcatOp) -> None:
        axis, out_shape = op.axis.value.data, rnn.shape_of(op.result)
        y, offset = self._array(op.result), 0
        for value in op.inputs:
            shape = rnn.shape_of(value)
            with self._nest(shape) as idx:
                terms = [f"({i} + {offset})" if d == axis and offset else i for d, i in enumerate(idx)]
                self._line(f"{y}[{flat_index(terms, out_shape)}] = {self._names[value]}[{flat_index(idx, shape)}];")
            offset += shape[axis]

    # --- dense linear algebra

    @_emit.register
    def _(self, op: rnn.MatVecOp) -> None:
        rows, cols = rnn.shape_of(op.weight)
        w, x, y, ct = self._names[op.weight], self._names[op.input], self._array(op.result), self._ct(op.result)
        with self._loop("r", rows):
            self._line(f"{ct} acc = {self._lit(0.0, op.result)};")
            with self._loop("k", cols, inner=True):
                self._line(f"acc += {w}[r * {cols} + k] * {x}[k];")
            self._line(f"{y}[r] = acc;")

    @_emit.register
    def _(self, op: rnn.MatMulOp) -> None:
        a_shape, (depth, n) = rnn.shape_of(op.A), rnn.shape_of(op.B)
        rows = math.prod(a_shape[:-1])
        a, b, y, ct = self._names[op.A], self._names[op.B], self._array(op.result), self._ct(op.result)
        with self._loop("r", rows), self._loop("i1", n):
            self._line(f"{ct} acc = {self._lit(0.0, op.result)};")
            with self._loop("k", depth, inner=True):
                self._line(f"acc += {a}[r * {depth} + k] * {b}[k * {n} + i1];")
            self._line(f"{y}[r * {n} + i1] = acc;")

    @_emit.register
    def _(self, op: rnn.GemmOp) -> None:
        a_shape, b_shape = rnn.shape_of(op.A), rnn.shape_of(op.B)
        out_shape = rnn.shape_of(op.result)
        trans_a, trans_b = op.trans_a.value.data, op.trans_b.value.data
        depth = a_shape[0] if trans_a else a_shape[1]
        a_at = flat_index(["k", "i0"] if trans_a else ["i0", "k"], a_shape)
        b_at = flat_index(["i1", "k"] if trans_b else ["k", "i1"], b_shape)
        a, b, y, ct = self._names[op.A], self._names[op.B], self._array(op.result), self._ct(op.result)
        alpha, beta = op.alpha.value.data, op.beta.value.data
        with self._loop("i0", out_shape[0]), self._loop("i1", out_shape[1]):
            self._line(f"{ct} acc = {self._lit(0.0, op.result)};")
            with self._loop("k", depth, inner=True):
                self._line(f"acc += {a}[{a_at}] * {b}[{b_at}];")
            total = "acc" if alpha == 1.0 else f"{self._lit(alpha, op.result)} * acc"
            if op.C is not None:
                c_at = broadcast_index(["i0", "i1"], out_shape, rnn.shape_of(op.C))
                c = f"{self._names[op.C]}[{c_at}]"
                total += f" + {c}" if beta == 1.0 else f" + {self._lit(beta, op.result)} * {c}"
            self._line(f"{y}[{flat_index(['i0', 'i1'], out_shape)}] = {total};")

    # --- block-circulant

    @_emit.register
    def _(self, op: circ.MatVecOp) -> None:
        wt = op.weight.type
        assert isinstance(wt, circ.BlockCirculantType)
        k, (_, q) = wt.block.data, wt.grid
        rows, cols = wt.rows.data, wt.cols.data
        w, x, y, ct = self._names[op.weight], self._names[op.input], self._array(op.result), self._ct(op.result)
        with self._loop("r", rows):
            self._line(f"{ct} acc = {self._lit(0.0, op.result)};")
            with self._loop("k", cols, inner=True):
                # Block (r/k, k/k) is defined by w with C[i, j] = w[(i - j) mod k].
                self._line(f"acc += {w}[((r / {k}) * {q} + k / {k}) * {k} + (r - k + {q * k}) % {k}] * {x}[k];")
            self._line(f"{y}[r] = acc;")

    def _fft_function(self, op: circ.RFFTOp | circ.IRFFTOp, source: Attribute, result: Attribute) -> str:
        """Name of the straight-line FFT helper for this op's types, requesting its emission once
        (a variant with LUT multipliers inside a `sched.fabric_mul` row pipeline)."""
        inverse = isinstance(op, circ.IRFFTOp)
        k = (op.input.type if inverse else op.result.type).block.data
        plan = fft_plan.build(k, inverse)
        in_ct, out_ct = self.ctype(source), self.ctype(result)
        if op.twiddle is not None:
            tw_el = op.twiddle
            stages = tuple(self.ctype(el) for el in op.stages.data)
            scaled = None
            if inverse:
                fmt = result.format
                scaled = self.ctype(FixedType.from_format(replace(fmt, int_bits=fmt.int_bits + plan.stages)))
            types = fft.FFTTypes(in_ct, out_ct, stages, self.ctype(tw_el),
                                 tuple(self.literal(w, tw_el) for w in plan.twiddles), scaled=scaled)
        elif isinstance(result, FixedType) or isinstance(source, FixedType):
            raise ErccError(f"'{op.name}' in fixed point needs the formats the quantize pass sets")
        else:
            types = fft.FFTTypes(in_ct, out_ct, (in_ct,) * (plan.stages - 1), in_ct,
                                 tuple(self.literal(w, source) for w in plan.twiddles),
                                 scale=self.literal(1.0 / k, result) if inverse else None)
        fabric = self._fabric and op.twiddle is not None
        key = (k, inverse, types, fabric)
        if key not in self._fft_functions:
            name = f"ercc_{'irfft' if inverse else 'rfft'}{k}{'_lut' if fabric else ''}_{len(self._fft_functions)}"
            self._fft_functions[key] = (name, fft.fft_function(name, plan, types, fabric))
        return self._fft_functions[key][0]

    @_emit.register
    def _(self, op: circ.RFFTOp) -> None:
        st = op.result.type
        assert isinstance(st, circ.SpectrumType)
        k, blocks, bins = st.block.data, st.blocks.data, st.bins
        n = rnn.shape_of(op.input)[0]
        x = self._names[op.input]
        y = self._names[op.result] if op.result in self._names else self._array(op.result, per_pe=2 * bins)
        in_el = element_type(op.input.type)
        fn = self._fft_function(op, in_el, st.element_type)
        in_ct, zero = self.ctype(in_el), self.literal(0.0, in_el)
        # One FFT unit per PE, a block a cycle: the block loop is pipelined, the copies unrolled.
        with self._loop("b", blocks, inner=True):
            self._line(f"{in_ct} blk[{k}];")
            self._line("#pragma HLS array_partition variable=blk complete dim=1")
            self._line(f"{self._ct(op.result)} spec[{2 * bins}];")
            self._line("#pragma HLS array_partition variable=spec complete dim=1")
            with self._loop("m", k):
                load = f"{x}[b * {k} + m]"
                self._line(f"blk[m] = {load if n == blocks * k else f'b * {k} + m < {n} ? {load} : {zero}'};")
            self._line(f"{fn}(blk, spec);")
            with self._loop("m", 2 * bins):
                self._line(f"{y}[b * {2 * bins} + m] = spec[m];")

    @_emit.register
    def _(self, op: circ.FreqMacOp) -> None:
        """The MAC engine: U PEs (the unroll factor), each one block column a cycle with all its bins:
        bins 0 and k/2 are real (1 multiply each), the others complex: in fixed point 3 multiplies
        (`_mac_pes`), 3k/2 - 1 a block; in float 4, 2k - 2 a block.

        The (block row, column group) loops are flattened into one pipelined loop, so
        the pipeline fills once per op, not once per block row. In fixed point the
        accumulator is exact (`accumulator`), so HLS may add the U products as a
        tree; the sum is assigned to the result type when a block row is done.
        Weights are stored packed, k values per block (`_packed_spectra`).
        """
        wt = op.weight.type
        assert isinstance(wt, circ.FreqBlockCirculantType)
        (p, q), k = wt.grid, wt.block.data
        bins = k // 2 + 1
        sched = self._schedule
        unroll = max(1, min(sched.unroll.data if sched is not None else 1, q))
        ii = sched.ii.data if sched is not None else 1
        groups = -(-q // unroll)
        y = self._array(op.result, per_pe=2 * bins)
        acc = self._accumulator(op)
        label = self._fresh_label(f"{self._tag}_rb")
        self._line(f"{label}: for (int i = 0; i < {p * groups}; i++) {{")
        with self.indented():
            self._line(f"#pragma HLS pipeline II={ii}")
            self._line(f"const int r = i / {groups};")
            self._line(f"const int g = i % {groups};")
            self._mac_pes(op, acc, unroll)
            with self._loop("j", 2 * bins):
                self._line(f"if (g == {groups - 1}) {y}[r * {2 * bins} + j] = {acc}[j];")
        self._line("}")

    def _accumulator(self, op: circ.FreqMacOp) -> str:
        """Declares a MAC engine's accumulators: one block row's bins, in `accumulator`'s exact format."""
        acc_el = op.accumulator if op.accumulator is not None else op.result.type.element_type
        acc = self._fresh("acc")
        self._line(f"{self.ctype(acc_el)} {acc}[{2 * op.result.type.bins}];")
        self._line(f"#pragma HLS array_partition variable={acc} complete dim=1")
        return acc

    def _mac_pes(self, op: circ.FreqMacOp, acc: str, unroll: int, x_at: str = "") -> None:
        """One iteration of the MAC engine: block row `r`, column group `g` (C variables), U PEs;
        the input spectrum starts at `x_at` (a C expression + ) in its array."""
        wt = op.weight.type
        (_, q), k = wt.grid, wt.block.data
        bins, half = k // 2 + 1, k // 2
        w, x = self._names[op.weight], self._names[op.input]
        acc_el = op.accumulator if op.accumulator is not None else op.result.type.element_type
        with self._loop("j", 2 * bins):
            self._line(f"if (g == 0) {acc}[j] = {self.literal(0.0, acc_el)};")
        unit = self._fresh_label(f"{self._tag}_pe")
        self._line(f"{unit}: for (int u = 0; u < {unroll}; u++) {{")
        with self.indented():
            self._line(f"const int b = g * {unroll} + u;")
            guard = "" if q % unroll == 0 else f"if (b < {q}) "
            self._line(f"{guard}{{")
            with self.indented():
                self._line(f"const int wb = (r * {q} + b) * {k};")
                self._line(f"const int xb = {x_at}b * {2 * bins};")
                self._line(f"{acc}[0] += {w}[wb] * {x}[xb];")
                if k > 1:
                    self._line(f"{acc}[{2 * half}] += {w}[wb + 1] * {x}[xb + {2 * half}];")
                for m in range(1, half):
                    wr, wi = f"{w}[wb + {2 * m}]", f"{w}[wb + {2 * m + 1}]"
                    xr, xi = f"{x}[xb + {2 * m}]", f"{x}[xb + {2 * m + 1}]"
                    if op.accumulator is None:
                        self._line(f"{acc}[{2 * m}] += {wr} * {xr} - {wi} * {xi};")
                        self._line(f"{acc}[{2 * m + 1}] += {wr} * {xi} + {wi} * {xr};")
                        continue
                    # Exact fixed point: Gauss's three products (each operand pair one DSP48 with
                    # its pre-adder) give the same sums as four.
                    self._line("{")
                    with self.indented():
                        self._line(f"const auto k1 = {wr} * ({xr} + {xi});")
                        self._line(f"const auto k2 = {xr} * ({wi} - {wr});")
                        self._line(f"const auto k3 = {xi} * ({wr} + {wi});")
                        self._line(f"{acc}[{2 * m}] += k1 - k3;")
                        self._line(f"{acc}[{2 * m + 1}] += k1 + k2;")
                    self._line("}")
            self._line("}")
        self._line("}")

    @_emit.register
    def _(self, op: circ.IRFFTOp) -> None:
        st = op.input.type
        assert isinstance(st, circ.SpectrumType)
        k, blocks, bins = st.block.data, st.blocks.data, st.bins
        rows = rnn.shape_of(op.result)[0]
        x, y = self._names[op.input], self._array(op.result, per_pe=k)
        out_el = element_type(op.result.type)
        fn = self._fft_function(op, st.element_type, out_el)
        with self._loop("b", blocks, inner=True):
            self._line(f"{self.ctype(st.element_type)} spec[{2 * bins}];")
            self._line("#pragma HLS array_partition variable=spec complete dim=1")
            self._line(f"{self.ctype(out_el)} blk[{k}];")
            self._line("#pragma HLS array_partition variable=blk complete dim=1")
            with self._loop("m", 2 * bins):
                self._line(f"spec[m] = {x}[b * {2 * bins} + m];")
            self._line(f"{fn}(spec, blk);")
            with self._loop("n", k):
                store = f"{y}[b * {k} + n] = blk[n];"
                self._line(store if rows == blocks * k else f"if (b * {k} + n < {rows}) {store}")

    # --- recurrence

    @_emit.register
    def _(self, op: rnn.ScanOp) -> None:
        """The time loop. In a dataflow region all of it (initial states, the empty-sequence case)
        is inside the loop, so that the loop is the only process writing the states."""
        steps = rnn.shape_of(op.xs)[0]
        block = op.body.block
        if (plan := overlap_of(op)) is not None:
            self._overlapped_scan(op, plan)
            return
        states = []
        ys = self._array(op.ys)
        self._stream(op, ys)
        for arg in block.args[1:]:
            states.append(self._array(arg))
        for final, state in zip(op.finals, states):
            self._names[final] = state
        forward = state_spectrum(op)
        if forward is not None:  # two steps' spectra of the state: the row pipeline writes the next one
            self._spectra(forward.result)
        if not self._dataflow:
            self._initial_states(op, states)
        y_size = array_size(op.init[0].type)
        length = None
        if op.lengths is not None:
            # sequence_lens: static trip count T, steps t >= len only write zero rows.
            raw, length = f"{self._names[op.lengths]}[0]", self._fresh("seq_len")
            clamp = f"const int {length} = {raw} < 0 ? 0 : ({raw} > {steps} ? {steps} : {raw});"
            if not self._dataflow:
                self._line(clamp)
        with self._loop("t", steps):
            if self._dataflow:
                self._line("if (t == 0) {")
                with self.indented():
                    self._initial_states(op, states)
                self._line("}")
                if length is not None:
                    self._line(clamp)
            with ExitStack() as guard:
                if length is not None:
                    self._line(f"if (t < {length}) {{")
                    guard.enter_context(self.indented())
                step = "t"
                if op.reverse is not None:
                    last = f"{length} - 1" if length is not None else f"{steps - 1}"
                    self._line(f"const int s = {last} - t;")
                    step = "s"
                yielded = self._step(block, self._names[op.xs], step)
                sources = [self._names[v] for v in yielded.values]
                self._update_states(states, sources, [v.type for v in yielded.values])
                self._copy(ys, states[0], y_size, dst_at=f"{step} * {y_size} + ", scheduled=True)
            if length is not None:
                self._line("} else {")
                with self.indented(), self._loop("i0", y_size) as i:
                    self._line(f"{ys}[t * {y_size} + {i}] = {self._lit(0.0, op.ys)};")
                self._line("}")
                if self._dataflow:
                    self._line(f"if (t == {steps - 1}) {{")
                    with self.indented():
                        self._empty_sequence(op, states, length)
                    self._line("}")
        if length is not None and not self._dataflow:
            self._empty_sequence(op, states, length)

    def _overlapped_scan(self, op: rnn.ScanOp, plan: OverlapAttr) -> None:
        """A scan whose steps run as one loop: states written in place (read from their initial
        values at step 0), x_t read from its rows, y_t written by the tail."""
        block = op.body.block
        rp = pipeline_of(op)
        forward = state_spectrum(op)
        ys = self._array(op.ys)
        states = [self._array(arg) for arg in block.args[1:]]
        for final, state in zip(op.finals, states):
            self._names[final] = state
        self._spectra(forward.result)
        step = "s" if op.reverse is not None else "t"
        self._names[block.args[0]] = self._names[op.xs]
        self._row_at = f"{step} * {array_size(block.args[0].type)} + "
        for inner in block.ops:
            if inner.has_trait(ConstantLike):
                self.emit(inner)
        for position, value in enumerate(block.last_op.operands):
            self._names.setdefault(value, states[position])
        first = {arg: self._names[init] for arg, init in zip(block.args[1:], op.init)}
        also = ((block.last_op.operands[0], ys, f"{step} * {array_size(op.init[0].type)} + "),)
        self.emit(rp.mac, lambda _: self._overlapped_scan_rows(rp, plan, forward, step, first, also))
        self._row_at = ""

    def _spectra(self, value: SSAValue) -> None:
        """Two steps' spectra of a value (a scan's state, a map's x_t): step t's and t + 1's."""
        size = array_size(value.type)
        spectra = self._fresh(self._hint(value, "v_"))
        self._line(f"{self._ct(value)} {spectra}[{2 * size}];")
        banks = _read_partition(value)
        if banks > 1:
            self._line(f"#pragma HLS array_partition variable={spectra} cyclic factor={banks} dim=1")
        self._names[value] = spectra

    def _initial_states(self, op: rnn.ScanOp, states: list[str]) -> None:
        for state, arg, init in zip(states, op.body.block.args[1:], op.init):
            self._copy(state, self._names[init], array_size(arg.type))

    def _empty_sequence(self, op: rnn.ScanOp, states: list[str], length: str) -> None:
        """onnxruntime returns zero final states for an empty sequence."""
        self._line(f"if ({length} == 0) {{")
        with self.indented():
            for state, arg in zip(states, op.body.block.args[1:]):
                with self._loop("i0", array_size(arg.type)) as i:
                    self._line(f"{state}[{i}] = {self._lit(0.0, arg)};")
        self._line("}")

    def _step(self, block: Block, xs: str, step: str) -> rnn.YieldOp:
        """One step of a map or scan body: x_t copied in from row `step` of xs (a row pipeline
        may read it there directly), then the body's ops."""
        x_size = array_size(block.args[0].type)
        rows = pipeline_of(block.parent_op())
        if rows is not None and reads_rows(block.parent_op()):
            self._names[block.args[0]] = xs
            self._row_at = f"{step} * {x_size} + "
        else:
            x = self._array(block.args[0])
            self._copy(x, xs, x_size, src_at=f"{step} * {x_size} + ", scheduled=True)
            self._row_at = ""
        inside = {rows.inverse, *rows.tail} if rows is not None else set()
        ops = list(block.ops)
        if rows is not None:  # constants first (file-scope tables): the pipeline's tail may read them
            ops.sort(key=lambda o: not o.has_trait(ConstantLike))
        forward = state_spectrum(block.parent_op())
        for inner in ops:
            if rows is not None and inner is rows.mac:
                self.emit(inner, lambda _: self._row_pipeline(rows, forward))
            elif inner is forward:  # later steps' spectra come from the row pipeline
                self._line("if (t == 0) {")
                with self.indented():
                    self.emit(inner)
                self._line("}")
            elif not isinstance(inner, rnn.YieldOp) and inner not in inside:
                self.emit(inner)
        yielded = block.last_op
        assert isinstance(yielded, rnn.YieldOp)
        return yielded

    def _stream(self, op: Operation, array: str) -> None:
        """The FIFO pragma of a process whose rows stream to the next one (`sched.stream`)."""
        stream = op.attributes.get(STREAM)
        if isinstance(stream, StreamAttr):
            self._line(f"#pragma HLS stream variable={array} depth={stream.depth.data}")

    @_emit.register
    def _(self, op: rnn.MapOp) -> None:
        block = op.body.block
        rows = [self._array(y) for y in op.ys]
        self._stream(op, rows[0])
        if (plan := overlap_of(op)) is not None:
            self._overlapped_map(op, plan, rows)
            return
        direct = pipeline_of(op) is not None and writes_rows(op)
        with self._loop("t", rnn.shape_of(op.xs)[0]):
            if direct:  # the row pipeline's tail writes row t itself
                self._row_out = {
                    v: (row, f"t * {array_size(v.type)} + ") for row, v in zip(rows, block.last_op.operands)
                }
            yielded = self._step(block, self._names[op.xs], "t")
            self._row_out = {}
            for row, value in zip(rows, yielded.values):
                size = array_size(value.type)
                if not direct:
                    self._copy(row, self._names[value], size, dst_at=f"t * {size} + ", scheduled=True)

    def _overlapped_map(self, op: rnn.MapOp, plan: OverlapAttr, rows: list[str]) -> None:
        """A map whose steps run as one loop: x_t's FFT and tail read its rows, the tail writes the
        output rows in place."""
        block = op.body.block
        rp = pipeline_of(op)
        fft = next(o for o in block.ops if isinstance(o, circ.RFFTOp))
        xs = self._names[op.xs]
        self._spectra(fft.result)
        self._names[block.args[0]] = xs
        self._row_at = f"tt * {array_size(block.args[0].type)} + "
        self._row_out = {v: (row, f"tt * {array_size(v.type)} + ") for row, v in zip(rows, block.last_op.operands)}
        for inner in block.ops:
            if inner.has_trait(ConstantLike):
                self.emit(inner)
        steps = rnn.shape_of(op.xs)[0]
        self.emit(rp.mac, lambda _: self._overlapped_map_rows(rp, plan, fft, xs, steps))
        self._row_at, self._row_out = "", {}

    def _update_states(self, states: list[str], sources: list[str], types: list[Attribute]) -> None:
        """states[i] = sources[i]; through temporaries when one source is another state."""
        crossed = any(src in states and src != dst for src, dst in zip(sources, states))
        if crossed:
            temps = []
            for src, t in zip(sources, types):
                temps.append(self._fresh("v_next"))
                self._line(f"{self.ctype(element_type(t))} {temps[-1]}[{array_size(t)}];")
                self._copy(temps[-1], src, array_size(t), scheduled=True)
            sources = temps
        for dst, src, t in zip(states, sources, types):
            if src != dst:
                self._copy(dst, src, array_size(t), scheduled=True)


_SCALED = {ActivationKind.LEAKY_RELU, ActivationKind.AFFINE, ActivationKind.HARD_SIGMOID}  # alpha · v


def _read_partition(value: SSAValue) -> int:
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


def _packed_spectra(op: circ.FreqConstOp) -> np.ndarray:
    """Frequency-domain weights as k values per block: Re X[0], Re X[k/2], then Re/Im X[m] for 0 < m < k/2.

    The imaginary parts of bins 0 and k/2 are zero for a real vector and are
    not stored: (p, q, k) values, as many as the time-domain vectors.
    """
    el = op.result.type.element_type
    spectra = raw_values(op.spectra) if isinstance(el, FixedType) else dense_values(op.spectra)
    p, q, bins, _ = tuple(op.spectra.get_shape())
    spectra = spectra.reshape(p, q, bins, 2)
    k = op.result.type.block.data
    if k == 1:
        return spectra[..., 0, 0].reshape(-1)
    inner = spectra[:, :, 1 : k // 2].reshape(p, q, k - 2)
    return np.concatenate([spectra[:, :, :1, 0], spectra[:, :, -1:, 0], inner], axis=-1).reshape(-1)


def _is_i32(el: Attribute) -> bool:
    """32-bit integers: the element type of sequence lengths, stored as C `int`."""
    return isinstance(el, IntegerType) and el.width.data == 32


def written_in_place(func_op: func.FuncOp) -> dict[SSAValue, int]:
    """The map and scan rows the kernel returns unchanged (through reshapes), by output index.

    The emitter writes them straight into the output port instead of copying
    them there at the end: no extra loop, no extra buffer.
    """
    ret = func_op.body.block.last_op
    if not isinstance(ret, func.ReturnOp):
        return {}
    found: dict[SSAValue, int] = {}
    for index, value in enumerate(ret.arguments):
        source = value
        while isinstance(source.owner, rnn.ReshapeOp) and source.has_one_use():
            source = source.owner.input
        if (
            isinstance(source.owner, rnn.ScanOp | rnn.MapOp)
            and source is source.owner.results[0]
            and source.has_one_use()
            and source not in found
            and element_type(source.type) == element_type(func_op.function_type.outputs.data[index])
        ):
            found[source] = index
    return found


def _top_function(module: ModuleOp) -> func.FuncOp:
    """The module's single function, which becomes the kernel's top function."""
    funcs = [op for op in module.ops if isinstance(op, func.FuncOp)]
    if len(funcs) != 1 or len(list(module.ops)) != 1:
        raise ErccError(f"the hls-cpp backend needs a module with exactly one func.func, got {len(funcs)}")
    return funcs[0]


def emit_hls(module: ModuleOp, interface: str = "array", batch: int = 1) -> EmittedKernel:
    """The HLS C++ kernel for a lowered module (deterministic: same IR and options, same text).

    The module is verified first: the scheduling decisions it prints must fit the ops they are on
    (`ercc.dialects.sched_rows.verify_decisions`), a wrong one is an error naming the op."""
    try:
        module.verify()
    except VerifyException as e:
        raise ErccError(f"the hls-cpp backend needs a valid module: {' '.join(str(e).split())[:400]}") from None
    func_op = _top_function(module)
    return HLSPrinter(stream=io.StringIO(), interface=interface, batch=batch).kernel(module, func_op)
