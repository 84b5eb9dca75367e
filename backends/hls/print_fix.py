"""Printing `fix` ops: fixed-point constants, piecewise-linear tables and quantization."""

from __future__ import annotations

import numpy as np

from ercc.backends.hls.printer_base import HLSPrinterBase, array_size, element_type
from ercc.dialects import fix, rnn
from ercc.dialects.fix import FixedType
from ercc.numerics.integer_quant import power_of_two
from ercc.numerics.quantizer import ROUNDING_MODES


class FixPrinter(HLSPrinterBase):
    """The `_emit` cases of `fix` ops (mixed into `emitter.HLSPrinter`)."""

    @HLSPrinterBase._emit.register
    def _(self, op: fix.ConstOp) -> None:
        self._constant(op, op.result, op.value)

    @HLSPrinterBase._emit.register
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

    @HLSPrinterBase._emit.register
    def _(self, op: fix.QuantOp | fix.DequantOp | fix.CastOp) -> None:
        self._unary(op)

    @HLSPrinterBase._emit.register
    def _(self, op: fix.TableOp) -> None:
        x, y = self._names[op.input], self._array(op.result)
        with self._nest((array_size(op.result.type),)) as (i,):
            self._table_element(op, f"{x}[{i}]", f"{y}[{i}]")

    def _table_element(self, op: fix.TableOp, arg: str, dst: str) -> None:
        """table[raw(x) - raw_min]: the input's raw bits (`.range()`, an ap_uint) offset by 2^(w-1) when signed."""
        el = element_type(op.input.type)
        width = el.width.data
        index = f"ap_uint<{width}>(({arg}).range({width - 1}, 0))"
        if el.signed:  # raw - raw_min = the raw bits with the sign bit flipped
            index = f"({index} ^ ap_uint<{width}>({1 << (width - 1)}))"
        self._line(f"{dst} = {self._names[op.table]}[{index}];")

    def _divided(self, arg: str, scale: float, value) -> str:
        """`arg / scale` in float32; by a power-of-two scale as the product with its inverse (the
        same float32 result, exactly: no divider in the kernel)."""
        if power_of_two(float(np.float32(scale))) is not None and np.isfinite(np.float32(1.0) / np.float32(scale)):
            return f"{arg} * {self._lit(float(np.float32(1.0) / np.float32(scale)), value)}"
        return f"{arg} / {self._lit(scale, value)}"

    def _dequant_element(self, op: fix.DequantOp, arg: str, dst: str) -> None:
        """float32(value) * scale, as the reference (a code leaving the integer datapath)."""
        self._line(f"{dst} = ({arg}).to_float() * {self._lit(op.scale.value.data, op.result)};")

    def _quant_element(self, op: fix.QuantOp, arg: str, dst: str) -> None:
        """A model's quantizer in float32, in ercc.numerics.quantizer's order of operations
        (with a fixed-point result: the clamped code, times 2^-frac into the codes' format)."""
        q = op.quantizer
        el = element_type(op.result.type)
        scaled = self._divided(arg, q.scale, op.input)
        if isinstance(el, FixedType):
            lo, hi = (self._lit(v, op.input) for v in (q.lo, q.hi))
            self._line(f"const data_t v = {ROUNDING_MODES[q.rounding]}({scaled});")
            lsb = "" if el.format.frac == 0 else f" * {self._lit(2.0 ** -el.format.frac, op.input)}"
            self._line(f"{dst} = {self.ctype(el)}(std::fmin(std::fmax(v, {lo}), {hi}){lsb});")
            return
        s, z = self._lit(q.scale, op.result), self._lit(q.zero_point, op.result)
        lo, hi = self._lit(q.lo, op.result), self._lit(q.hi, op.result)
        self._line(f"const {self._ct(op.result)} v = {ROUNDING_MODES[q.rounding]}({scaled} + {z});")
        self._line(f"{dst} = (std::fmin(std::fmax(v, {lo}), {hi}) - {z}) * {s};")
