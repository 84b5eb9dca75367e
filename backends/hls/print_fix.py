"""Printing `fix` ops: fixed-point constants, piecewise-linear tables and quantization."""

from __future__ import annotations

from ercc.backends.hls.printer_base import HLSPrinterBase, array_size
from ercc.dialects import fix, rnn
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
    def _(self, op: fix.QuantOp) -> None:
        self._unary(op)

    def _quant_element(self, op: fix.QuantOp, arg: str, dst: str) -> None:
        """A model's quantizer in float32, in ercc.numerics.quantizer's order of operations."""
        q = op.quantizer
        s, z = self._lit(q.scale, op.result), self._lit(q.zero_point, op.result)
        lo, hi = self._lit(q.lo, op.result), self._lit(q.hi, op.result)
        self._line(f"const {self._ct(op.result)} v = {ROUNDING_MODES[q.rounding]}({arg} / {s} + {z});")
        self._line(f"{dst} = (std::fmin(std::fmax(v, {lo}), {hi}) - {z}) * {s};")
