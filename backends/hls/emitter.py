"""The HLS C++ backend's driver: lowered ercc IR to one self-contained Vitis-HLS-style kernel.

Every tensor SSA value becomes a flat, fixed-size, row-major local array (a
reshape just renames its operand's array); every op becomes a labelled loop
nest with constant bounds writing its result array. Constants become
tables in a separate weights header (`weights.py`: raw integers for fixed
point, read as `ap_fixed` bit for bit). `sched.*` attributes become pragmas.

This module holds what is not one op: the C names of ports (`c_identifier`),
the top function and the translation unit's assembly (`HLSPrinter.kernel`),
`func.return` and `arith.constant`, and `emit_hls`. The ops of each dialect
are printed by one module each, as xDSL splits its printers: `print_rnn.py`,
`print_scan.py` (`rnn.scan`/`rnn.map`), `print_fix.py`, `print_circ.py` and
`row_loop.py` (`sched.row_pipeline`), on the shared core `printer_base.py`.
"""


from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import ArrayAttr, IntegerType, ModuleOp, StringAttr, TensorType
from xdsl.ir import Attribute, SSAValue
from xdsl.utils.exceptions import VerifyException

from ercc.backends.hls.interface import TopFunction, array_params, top_function
from ercc.backends.hls.kernel import EmittedKernel, KernelPort
from ercc.backends.hls.print_circ import CircPrinter
from ercc.backends.hls.print_fix import FixPrinter
from ercc.backends.hls.print_rnn import RnnPrinter
from ercc.backends.hls.print_scan import ScanPrinter
from ercc.backends.hls.printer_base import HLSPrinterBase, array_size, element_type
from ercc.backends.hls.row_loop import RowPipelinePrinter
from ercc.backends.hls.weights import header_name
from ercc.dialects import rnn
from ercc.dialects.sched import DATAFLOW
from ercc.dialects.sched_rows import verify_complete
from ercc.errors import ErccError

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



def _names(func_op: func.FuncOp, key: str, count: int, prefix: str) -> list[str]:
    """ONNX names of the kernel's arguments or results, `in0`-style when absent."""
    attr = func_op.attributes.get(key)
    names = [a.data for a in attr.data if isinstance(a, StringAttr)] if isinstance(attr, ArrayAttr) else []
    if len(names) != count:
        names = [f"{prefix}{i}" for i in range(count)]
    return names



@dataclass(eq=False, repr=False)
class HLSPrinter(RnnPrinter, ScanPrinter, CircPrinter, FixPrinter, RowPipelinePrinter, HLSPrinterBase):
    """The whole printer: every dialect's ops, the row pipeline, and the kernel's assembly."""

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

    @HLSPrinterBase._emit.register
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

    @HLSPrinterBase._emit.register
    def _(self, op: func.ReturnOp) -> None:
        for value, out in zip(op.arguments, self._outputs):
            if self._names[value] != out:
                self._copy(out, self._names[value], array_size(value.type))

    # --- elementwise


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
    (`ercc.dialects.sched_rows.verify_decisions`), a wrong one is an error naming the op; a scheduled
    module decides every loop (`verify_complete`), a missing decision is one too."""
    try:
        module.verify()
        verify_complete(module)
    except VerifyException as e:
        raise ErccError(f"the hls-cpp backend needs a valid module: {' '.join(str(e).split())[:400]}") from None
    func_op = _top_function(module)
    return HLSPrinter(stream=io.StringIO(), interface=interface, batch=batch).kernel(module, func_op)
