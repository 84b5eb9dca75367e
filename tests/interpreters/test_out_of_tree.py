"""An out-of-tree dialect adds its ops to ercc's reference with its own `InterpreterFunctions`.

A user's `toy.scale` (x * factor, a property) sits between ercc ops in a
kernel function; registering `@impl(ToyScale)` through
`ReferenceExecutor(functions=...)` runs it with everything else, and its
values reach the listeners like ercc's own.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import FloatAttr, ModuleOp, TensorType, f32, f64
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl, register_impls
from xdsl.ir import Block, Region
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, prop_def, result_def

from ercc.dialects import rnn
from ercc.interpreters.reference import Observer, ReferenceExecutor


@irdl_op_definition
class ToyScale(IRDLOperation):
    name = "toy.scale"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    factor = prop_def(FloatAttr)


@register_impls
class ToyFunctions(InterpreterFunctions):
    @impl(ToyScale)
    def run_scale(self, interpreter: Interpreter, op: ToyScale, args: PythonValues) -> PythonValues:
        return ((args[0] * np.float32(op.factor.value.data)).astype(np.float32),)


def _module() -> tuple[ModuleOp, ToyScale]:
    t = TensorType(f32, [4])
    block = Block(arg_types=[t])
    scale = ToyScale.create(operands=[block.args[0]], result_types=[t], properties={"factor": FloatAttr(3.0, f64)})
    add = rnn.AddOp(scale.result, block.args[0])
    block.add_ops([scale, add, func.ReturnOp(add.result)])
    return ModuleOp([func.FuncOp("k", ([t], [t]), Region(block))]), scale


def test_registered_implementation_runs_with_ercc_ops():
    module, scale = _module()
    seen = {}
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    (y,) = ReferenceExecutor(module, [Observer(seen.__setitem__)], functions=[ToyFunctions()]).run_batch([x])
    np.testing.assert_array_equal(y, 4 * x)
    np.testing.assert_array_equal(seen[scale.result], 3 * x[1])  # the last sequence's value


def test_unregistered_op_is_one_clear_error():
    import pytest

    from ercc.errors import ErccError

    module, _ = _module()
    with pytest.raises(ErccError, match="toy.scale"):
        ReferenceExecutor(module).run_batch([np.zeros((1, 4), np.float32)])
