"""`arith.constant` on the reference: dense f32 tensors (ercc's float weights), read without copies.

xDSL's own `ArithFunctions` hold scalars as Python numbers and tensors as
`ShapedArray`; ercc's values are numpy arrays, so this replaces it.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl, register_impls

from ercc.dialects.constants import dense_values
from ercc.errors import ErccError


@register_impls
class ArithFunctions(InterpreterFunctions):
    """Dense tensor constants."""

    @impl(arith.ConstantOp)
    def run_constant(self, interpreter: Interpreter, op: arith.ConstantOp, args: PythonValues) -> PythonValues:
        if not isinstance(op.value, DenseIntOrFPElementsAttr):
            raise ErccError(f"the reference executor only supports dense tensor constants, got {op.value}")
        return (np.asarray(dense_values(op.value), dtype=np.float32).reshape(op.result.type.get_shape()),)
