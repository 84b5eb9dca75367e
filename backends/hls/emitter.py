"""The HLS C++ printer: lowered ercc IR to one self-contained Vitis-HLS-style kernel.

Every tensor SSA value becomes a flat, fixed-size, row-major local array (a
reshape just renames its operand's array); every op becomes a labelled loop
nest with constant bounds writing its result array. Constants become
file-scope `static const` tables. `sched.*` attributes become pragmas. All
element-type decisions go through `ctype` and all numbers through `literal`,
so a new element type (fixed point) is one more case in each.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
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
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.traits import ConstantLike
from xdsl.utils.base_printer import BasePrinter

from ercc.backends.hls.fft import fft_function_name, fft_helper
from ercc.backends.hls.kernel import EmittedKernel, KernelPort
from ercc.compiler.errors import ErccError
from ercc.dialects import circ, fix, rnn
from ercc.dialects.fix import FixedType, raw_values
from ercc.numerics.fixed import from_float, to_float
from ercc.dialects.rnn import ActivationAttr, ActivationKind
from ercc.dialects.sched import LOOP, PARTITION, LoopScheduleAttr, PartitionAttr

# Names the emitter declares inside the top function; ONNX names that would clash get a "_".
_INTERNAL_NAMES = frozenset(
    {"t", "s", "r", "k", "m", "b", "n", "v", "src", "acc", "acc_re", "acc_im", "mx", "sum"}
    | {"blk_re", "blk_im", "data_t", "std", "main", "seg"}
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
_VALUES_PER_LINE = 8
# Activations the emitter computes on ap_fixed values exactly as ercc.numerics.reference does.
_FIXED_ACTIVATIONS = frozenset({ActivationKind.RELU})


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
class HLSPrinter(BasePrinter):
    """Prints the top function's body to `stream` and collects file-scope definitions."""

    _names: dict[SSAValue, str] = field(default_factory=dict, init=False)
    _idents: set[str] = field(default_factory=set, init=False)
    _labels: set[str] = field(default_factory=set, init=False)
    _typedefs: dict[str, str] = field(default_factory=dict, init=False)
    _constants: list[str] = field(default_factory=list, init=False)
    _partitions: list[str] = field(default_factory=list, init=False)
    _fft_sizes: dict[int, Attribute] = field(default_factory=dict, init=False)
    _outputs: list[str] = field(default_factory=list, init=False)
    _op_count: int = field(default=0, init=False)
    _tag: str = field(default="top", init=False)
    _schedule: LoopScheduleAttr | None = field(default=None, init=False)

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
        text = "%.9g" % v
        if "." not in text and "e" not in text:
            text += ".0"
        return text + "f"

    def literals(self, values: np.ndarray, el: Attribute) -> list[str]:
        """`literal` for a whole array; float32 tables are formatted in one numpy call.

        Fixed point: `values` are the raw integers; the initializer is the exact double.
        """
        if isinstance(el, FixedType):
            self.ctype(el)
            return [repr(v) for v in to_float(values, el.format).ravel().tolist()]
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

    def _array(self, value: SSAValue) -> str:
        """Declares the local array holding `value` and returns its name."""
        name = self._fresh(self._hint(value, "v_"))
        self._names[value] = name
        ct = self.ctype(element_type(value.type))
        self._line(f"{ct} {name}[{array_size(value.type)}];")
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
        `unroll` iterations start every `ii` cycles.
        """
        label = self._fresh_label(f"{self._tag}_{var}")
        self._line(f"{label}: for (int {var} = 0; {var} < {bound}; {var}++) {{")
        with self.indented():
            if self._schedule is not None and inner:
                if self._schedule.unroll.data > 1:
                    self._line(f"#pragma HLS unroll factor={self._schedule.unroll.data}")
                self._line(f"#pragma HLS pipeline II={self._schedule.ii.data}")
            yield var
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

    def _copy(self, dst: str, src: str, size: int, dst_at: str = "", src_at: str = "") -> None:
        """dst[dst_at + i] = src[src_at + i] for i < size (offsets are C expressions)."""
        with self._loop("i0", size) as i:
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
        with self.indented():
            for op in func_op.body.block.ops:
                self.emit(op)
        assert isinstance(self.stream, io.StringIO)
        model = module.sym_name.data if module.sym_name else top
        source = self._assemble(model, top, inputs, outputs, self.stream.getvalue())
        return EmittedKernel(source=source, top=top, inputs=inputs, outputs=outputs)

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

    def _assemble(
        self, model: str, top: str, inputs: list[KernelPort], outputs: list[KernelPort], body: str
    ) -> str:
        """Header comment, includes, typedefs, tables, FFT helpers and the top function."""
        ports = [("input", p) for p in inputs] + [("output", p) for p in outputs]
        out = [
            "// Generated by ercc: HLS C++ kernel. Do not edit.",
            f"// Model: {model}",
            f"// Top function: {top}",
            "// Arguments are flat row-major arrays:",
            *(f"//   {kind:<6} {p.c_name} ({p.name!r}): shape {list(p.shape)}" for kind, p in ports),
            "",
            "#include <cmath>",
            *(["#include <ap_fixed.h>"] if any(c.startswith("ap_") for c in self._typedefs.values()) else []),
            "",
            *(f"typedef {cpp} {name};" for name, cpp in self._typedefs.items()),
        ]
        sections = self._constants + [
            fft_helper(k, self.ctype(el), lambda x, el=el: self.literal(x, el))
            for k, el in sorted(self._fft_sizes.items())
        ]
        for section in sections:
            out += ["", section]
        params = [
            (f"{'const ' if kind == 'input' else ''}{p.ctype} {p.c_name}[{p.size}]", p) for kind, p in ports
        ]
        out += ["", f"void {top}("]
        for i, (decl, p) in enumerate(params):
            sep = "," if i < len(params) - 1 else ""
            out.append(f"    {decl}{sep}  // {p.name}: {list(p.shape)}")
        out.append(") {")
        out += [f"  {pragma}" for pragma in self._partitions]
        out.append(body.lstrip("\n"))
        out.append("}")
        return "\n".join(out) + "\n"

    # ------------------------------------------------------------------ ops

    def emit(self, op: Operation) -> None:
        """Prints one op with its own loop-label prefix and schedule."""
        saved = self._tag, self._schedule
        self._op_count += 1
        self._tag = f"{op.name.split('.')[-1]}{self._op_count}"
        schedule = op.attributes.get(LOOP)
        self._schedule = schedule if isinstance(schedule, LoopScheduleAttr) else None
        if not op.has_trait(ConstantLike):  # constants live at file scope
            self._line(f"// {op.name}")
        self._emit(op)
        self._tag, self._schedule = saved

    @singledispatchmethod
    def _emit(self, op: Operation) -> None:
        raise ErccError(f"the hls-cpp backend cannot emit '{op.name}'")

    def _constant(self, op: Operation, result: SSAValue, data: Attribute) -> None:
        """A file-scope table for a constant op, with its array_partition pragma if any."""
        name = self._fresh(self._hint(result, "c_"))
        self._names[result] = name
        el = element_type(result.type)
        values = raw_values(data) if isinstance(el, FixedType) else dense_values(data)
        literals = self.literals(values, el)
        rows = [", ".join(literals[i : i + _VALUES_PER_LINE]) for i in range(0, len(literals), _VALUES_PER_LINE)]
        body = ",\n".join(f"    {row}" for row in rows)
        self._constants.append(f"static const {self.ctype(el)} {name}[{len(literals)}] = {{\n{body}\n}};")
        part = op.attributes.get(PARTITION)
        if isinstance(part, PartitionAttr):
            factor = "" if part.kind.data == "complete" else f" factor={part.factor.data}"
            self._partitions.append(
                f"#pragma HLS array_partition variable={name} {part.kind.data}{factor} dim=1"
            )

    @_emit.register
    def _(self, op: arith.ConstantOp) -> None:
        if not isinstance(op.result.type, TensorType):
            raise ErccError(f"the hls-cpp backend only supports tensor constants, got {op.result.type}")
        if _is_i32(op.result.type.get_element_type()):  # constant sequence lengths
            name = self._fresh(self._hint(op.result, "c_"))
            self._names[op.result] = name
            values = [str(int(v)) for v in np.frombuffer(op.value.data.data, dtype="<i4")]
            count = array_size(op.result.type)
            values = values * count if len(values) == 1 else values
            self._constants.append(f"static const int {name}[{count}] = {{{', '.join(values)}}};")
            return
        self._constant(op, op.result, op.value)

    @_emit.register
    def _(self, op: fix.ConstOp) -> None:
        self._constant(op, op.result, op.value)

    @_emit.register
    def _(self, op: fix.PWLOp) -> None:
        """The piecewise-linear function of fix.pwl: clamp, segment search, one exact expression."""
        n = rnn.shape_of(op.values)[0]
        x, y = self._names[op.input], self._array(op.result)
        brk, val, slope = (self._names[v] for v in (op.breaks, op.values, op.slopes))
        xt = self._ct(op.input)
        below, above = self._lit(op.below.value.data, op.result), self._lit(op.above.value.data, op.result)
        with self._nest((array_size(op.result.type),)) as (i,):
            self._line(f"const {xt} v = {x}[{i}];")
            self._line(f"if (v < {brk}[0]) {y}[{i}] = {below};")
            self._line(f"else if (v >= {brk}[{n}]) {y}[{i}] = {above};")
            self._line("else {")
            with self.indented():
                self._line("int seg = 0;")
                with self._loop("m", n):
                    self._line(f"seg = v >= {brk}[m] ? m : seg;")
                self._line(f"{y}[{i}] = {val}[seg] + {slope}[seg] * (v - {brk}[seg]);")
            self._line("}")

    @_emit.register
    def _(self, op: circ.ConstOp) -> None:
        self._constant(op, op.result, op.vectors)

    @_emit.register
    def _(self, op: circ.FreqConstOp) -> None:
        self._constant(op, op.result, op.spectra)

    @_emit.register
    def _(self, op: func.ReturnOp) -> None:
        for value, out in zip(op.arguments, self._outputs):
            self._copy(out, self._names[value], array_size(value.type))

    # --- elementwise

    @_emit.register
    def _(self, op: rnn.AddOp | rnn.SubOp | rnn.MulOp) -> None:
        symbol = {rnn.AddOp: "+", rnn.SubOp: "-", rnn.MulOp: "*"}[type(op)]
        out_shape = rnn.shape_of(op.result)
        a_shape, b_shape = rnn.shape_of(op.lhs), rnn.shape_of(op.rhs)
        if a_shape == b_shape == out_shape:  # no broadcast: one flat loop
            out_shape = a_shape = b_shape = (math.prod(out_shape),)
        a, b, y = self._names[op.lhs], self._names[op.rhs], self._array(op.result)
        with self._nest(out_shape) as idx:
            self._line(
                f"{y}[{flat_index(idx, out_shape)}] = {a}[{broadcast_index(idx, out_shape, a_shape)}]"
                f" {symbol} {b}[{broadcast_index(idx, out_shape, b_shape)}];"
            )

    def _activation(self, fn: ActivationAttr, v: str, value: SSAValue) -> str:
        """C expression of an ONNX activation of `v`, with its alpha/beta."""
        if isinstance(element_type(value.type), FixedType) and fn.activation not in _FIXED_ACTIVATIONS:
            raise ErccError(
                f"activation '{fn.kind.data}' is not supported in fixed point yet "
                "(sigmoid and tanh need the activation-approximation pass; relu is supported)"
            )
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

    def _unary(self, op: Operation, expression: str) -> None:
        """y[i] = expression of the scalar `v` = x[i], over the flat array."""
        x, y = self._names[op.operands[0]], self._array(op.results[0])
        ct = self._ct(op.results[0])
        with self._nest((array_size(op.results[0].type),)) as (i,):
            self._line(f"const {ct} v = {x}[{i}];")
            self._line(f"{y}[{i}] = {expression};")

    @_emit.register
    def _(self, op: rnn.ActivationOp) -> None:
        self._unary(op, self._activation(op.fn, "v", op.result))

    @_emit.register
    def _(self, op: rnn.ClampOp) -> None:
        hi = self._lit(op.bound.value.data, op.result)
        lo = self._lit(-op.bound.value.data, op.result)
        self._unary(op, f"(v < {lo} ? {lo} : (v > {hi} ? {hi} : v))")

    @_emit.register
    def _(self, op: rnn.SoftmaxOp | rnn.LogSoftmaxOp) -> None:
        shape, axis = rnn.shape_of(op.input), op.axis.value.data
        before, n, inner = math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1 :])
        if isinstance(element_type(op.result.type), FixedType):
            raise ErccError(f"'{op.name}' is not supported in fixed point yet")
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
        self._float_only(op)
        k, (_, q) = wt.block.data, wt.grid
        rows, cols = wt.rows.data, wt.cols.data
        w, x, y, ct = self._names[op.weight], self._names[op.input], self._array(op.result), self._ct(op.result)
        with self._loop("r", rows):
            self._line(f"{ct} acc = {self._lit(0.0, op.result)};")
            with self._loop("k", cols, inner=True):
                # Block (r/k, k/k) is defined by w with C[i, j] = w[(i - j) mod k].
                self._line(f"acc += {w}[((r / {k}) * {q} + k / {k}) * {k} + (r - k + {q * k}) % {k}] * {x}[k];")
            self._line(f"{y}[r] = acc;")

    def _float_only(self, op: Operation) -> None:
        if any(isinstance(element_type(v.type), FixedType) for v in (*op.operands, *op.results)):
            raise ErccError(f"'{op.name}' is not supported in fixed point yet (use --block-size 1)")

    def _fft(self, k: int, value: SSAValue) -> str:
        """Name of the length-k FFT helper, requesting its emission."""
        self._fft_sizes.setdefault(k, element_type(value.type))
        return fft_function_name(k)

    def _block_buffers(self, k: int, value: SSAValue) -> None:
        ct = self._ct(value)
        self._line(f"{ct} blk_re[{k}];")
        self._line(f"{ct} blk_im[{k}];")

    @_emit.register
    def _(self, op: circ.RFFTOp) -> None:
        st = op.result.type
        assert isinstance(st, circ.SpectrumType)
        k, blocks, bins = st.block.data, st.blocks.data, st.bins
        self._float_only(op)
        n = rnn.shape_of(op.input)[0]
        x, y, zero = self._names[op.input], self._array(op.result), self._lit(0.0, op.result)
        fft = self._fft(k, op.result)
        with self._loop("b", blocks):
            self._block_buffers(k, op.result)
            with self._loop("m", k, inner=True):
                load = f"{x}[b * {k} + m]"
                self._line(f"blk_re[m] = {load if n == blocks * k else f'b * {k} + m < {n} ? {load} : {zero}'};")
                self._line(f"blk_im[m] = {zero};")
            self._line(f"{fft}(blk_re, blk_im);")
            with self._loop("m", bins):
                self._line(f"{y}[(b * {bins} + m) * 2] = blk_re[m];")
                self._line(f"{y}[(b * {bins} + m) * 2 + 1] = blk_im[m];")

    @_emit.register
    def _(self, op: circ.FreqMacOp) -> None:
        wt = op.weight.type
        assert isinstance(wt, circ.FreqBlockCirculantType)
        self._float_only(op)
        (p, q), bins = wt.grid, wt.block.data // 2 + 1
        w, x, y, ct = self._names[op.weight], self._names[op.input], self._array(op.result), self._ct(op.result)
        zero = self._lit(0.0, op.result)
        with self._loop("r", p), self._loop("m", bins):
            self._line(f"{ct} acc_re = {zero};")
            self._line(f"{ct} acc_im = {zero};")
            with self._loop("b", q, inner=True):
                wr, wi = f"{w}[((r * {q} + b) * {bins} + m) * 2]", f"{w}[((r * {q} + b) * {bins} + m) * 2 + 1]"
                xr, xi = f"{x}[(b * {bins} + m) * 2]", f"{x}[(b * {bins} + m) * 2 + 1]"
                self._line(f"acc_re += {wr} * {xr} - {wi} * {xi};")
                self._line(f"acc_im += {wr} * {xi} + {wi} * {xr};")
            self._line(f"{y}[(r * {bins} + m) * 2] = acc_re;")
            self._line(f"{y}[(r * {bins} + m) * 2 + 1] = acc_im;")

    @_emit.register
    def _(self, op: circ.IRFFTOp) -> None:
        st = op.input.type
        assert isinstance(st, circ.SpectrumType)
        k, blocks, bins = st.block.data, st.blocks.data, st.bins
        self._float_only(op)
        rows = rnn.shape_of(op.result)[0]
        x, y = self._names[op.input], self._array(op.result)
        fft = self._fft(k, op.result)
        with self._loop("b", blocks):
            self._block_buffers(k, op.result)
            with self._loop("m", k, inner=True):
                # Conjugate of the Hermitian-extended spectrum: X[m] for m <= k/2, conj X[k-m] above.
                self._line(f"const int src = m <= {k // 2} ? m : {k} - m;")
                im = f"{x}[(b * {bins} + src) * 2 + 1]"
                self._line(f"blk_re[m] = {x}[(b * {bins} + src) * 2];")
                self._line(f"blk_im[m] = m <= {k // 2} ? -{im} : {im};")
            self._line(f"{fft}(blk_re, blk_im);")
            with self._loop("n", k):
                store = f"{y}[b * {k} + n] = blk_re[n] * {self._lit(1.0 / k, op.result)};"
                self._line(store if rows == blocks * k else f"if (b * {k} + n < {rows}) {store}")

    # --- recurrence

    @_emit.register
    def _(self, op: rnn.ScanOp) -> None:
        steps = rnn.shape_of(op.xs)[0]
        block = op.body.block
        states = []
        ys = self._array(op.ys)
        for arg, init in zip(block.args[1:], op.init):
            states.append(self._array(arg))
            self._copy(states[-1], self._names[init], array_size(arg.type))
        for final, state in zip(op.finals, states):
            self._names[final] = state
        y_size = array_size(op.init[0].type)
        length = None
        if op.lengths is not None:
            # sequence_lens: static trip count T, steps t >= len only write zero rows.
            raw, length = f"{self._names[op.lengths]}[0]", self._fresh("seq_len")
            self._line(f"const int {length} = {raw} < 0 ? 0 : ({raw} > {steps} ? {steps} : {raw});")
        with self._loop("t", steps):
            with ExitStack() as guard:
                if length is not None:
                    self._line(f"if (t < {length}) {{")
                    guard.enter_context(self.indented())
                step = "t"
                if op.reverse is not None:
                    last = f"{length} - 1" if length is not None else f"{steps - 1}"
                    self._line(f"const int s = {last} - t;")
                    step = "s"
                x_size = array_size(block.args[0].type)
                self._copy(self._array(block.args[0]), self._names[op.xs], x_size, src_at=f"{step} * {x_size} + ")
                for inner in block.ops:
                    if not isinstance(inner, rnn.YieldOp):
                        self.emit(inner)
                yielded = block.last_op
                assert isinstance(yielded, rnn.YieldOp)
                sources = [self._names[v] for v in yielded.values]
                self._update_states(states, sources, [v.type for v in yielded.values])
                self._copy(ys, states[0], y_size, dst_at=f"{step} * {y_size} + ")
            if length is not None:
                self._line("} else {")
                with self.indented(), self._loop("i0", y_size) as i:
                    self._line(f"{ys}[t * {y_size} + {i}] = {self._lit(0.0, op.ys)};")
                self._line("}")
        if length is not None:
            # onnxruntime returns zero final states for an empty sequence.
            self._line(f"if ({length} == 0) {{")
            with self.indented():
                for state, arg in zip(states, block.args[1:]):
                    with self._loop("i0", array_size(arg.type)) as i:
                        self._line(f"{state}[{i}] = {self._lit(0.0, arg)};")
            self._line("}")

    def _update_states(self, states: list[str], sources: list[str], types: list[Attribute]) -> None:
        """states[i] = sources[i]; through temporaries when one source is another state."""
        crossed = any(src in states and src != dst for src, dst in zip(sources, states))
        if crossed:
            temps = []
            for src, t in zip(sources, types):
                temps.append(self._fresh("v_next"))
                self._line(f"{self.ctype(element_type(t))} {temps[-1]}[{array_size(t)}];")
                self._copy(temps[-1], src, array_size(t))
            sources = temps
        for dst, src, t in zip(states, sources, types):
            if src != dst:
                self._copy(dst, src, array_size(t))


def _is_i32(el: Attribute) -> bool:
    """32-bit integers: the element type of sequence lengths, stored as C `int`."""
    return isinstance(el, IntegerType) and el.width.data == 32


def _top_function(module: ModuleOp) -> func.FuncOp:
    """The module's single function, which becomes the kernel's top function."""
    funcs = [op for op in module.ops if isinstance(op, func.FuncOp)]
    if len(funcs) != 1 or len(list(module.ops)) != 1:
        raise ErccError(f"the hls-cpp backend needs a module with exactly one func.func, got {len(funcs)}")
    return funcs[0]


def emit_hls(module: ModuleOp) -> EmittedKernel:
    """The HLS C++ kernel for a lowered module (deterministic: same IR, same text)."""
    func_op = _top_function(module)
    return HLSPrinter(stream=io.StringIO()).kernel(module, func_op)
