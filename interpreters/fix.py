"""`fix` ops on the reference: fixed-point tables, piecewise-linear activations, model quantizers."""

from __future__ import annotations

import numpy as np
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl, register_impls

from ercc.dialects import fix
from ercc.errors import ErccError
from ercc.interpreters.types import assign, scalar, store
from ercc.numerics.fixed import to_float
from ercc.numerics.integer_quant import codes
from ercc.numerics.values import Fixed, broadcast, exact, less, shape, take, where


@register_impls
class FixFunctions(InterpreterFunctions):
    """The `fix` dialect."""

    @impl(fix.ConstOp)
    def run_const(self, interpreter: Interpreter, op: fix.ConstOp, args: PythonValues) -> PythonValues:
        fmt = op.result.type.get_element_type().format
        return (Fixed(fix.raw_values(op.value).reshape(op.result.type.get_shape()), fmt),)

    @impl(fix.PWLOp)
    def run_pwl(self, interpreter: Interpreter, op: fix.PWLOp, args: PythonValues) -> PythonValues:
        """Segment s: the last break <= v; y = value[s] + slope[s] * (v - break[s]); constants outside."""
        v, brk, val, slope = args
        t = op.result.type
        n, at = shape(val)[0], shape(v)
        s = np.zeros(at, dtype=np.int64)
        for m in range(1, n):
            s = np.where(~less(v, take(brk, m)), m, s)
        d = exact(v, take(brk, s), "-")
        y = store(exact(take(val, s), exact(take(slope, s), d, "*"), "+"), t)
        below = broadcast(scalar(op.below.value.data, t), at)
        above = assign(v, t) if op.above is None else broadcast(scalar(op.above.value.data, t), at)
        y = where(~less(v, take(brk, n)), above, y)
        return (where(less(v, take(brk, 0)), below, y),)

    @impl(fix.QuantOp)
    def run_quant(self, interpreter: Interpreter, op: fix.QuantOp, args: PythonValues) -> PythonValues:
        if isinstance(args[0], Fixed):
            raise ErccError("fix.quant works on f32 values only")
        el = op.result.type.get_element_type()
        if isinstance(el, fix.FixedType):  # the codes: raw integers of the result's format
            return (Fixed(codes(args[0], op.quantizer), el.format),)
        return (op.quantizer(args[0]),)

    @impl(fix.DequantOp)
    def run_dequant(self, interpreter: Interpreter, op: fix.DequantOp, args: PythonValues) -> PythonValues:
        """float32(value) * float32(scale)."""
        x = args[0]
        return ((to_float(x.raw, x.fmt).astype(np.float32) * np.float32(op.scale.value.data)).astype(np.float32),)

    @impl(fix.CastOp)
    def run_cast(self, interpreter: Interpreter, op: fix.CastOp, args: PythonValues) -> PythonValues:
        return (assign(args[0], op.result.type),)

    @impl(fix.TableOp)
    def run_table(self, interpreter: Interpreter, op: fix.TableOp, args: PythonValues) -> PythonValues:
        x, table = args
        return (Fixed(table.raw[x.raw - x.fmt.raw_min], table.fmt),)
