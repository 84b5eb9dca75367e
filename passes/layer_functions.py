"""The layer ops (rnn.lstm, rnn.gru, rnn.rnn) on the reference executor, defined by their lowering.

`lower-rnn-layers` is the one definition of what an ONNX layer computes in
ercc (per-direction scans of per-step cells); running a layer op runs that
lowering, so the reference of the imported module and of the lowered one are
the same ops on the same values. Each layer op is lowered once per
interpreter: it is cloned, with its constant operands (the weights the
lowering reads), into a function of its operands.

These are implementations for ops of a dialect the interpreters package does
not cover from below, registered the way an out-of-tree dialect adds its own:
`ReferenceExecutor(module, functions=[LayerFunctions()])`.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import ModuleOp
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl, register_impls
from xdsl.ir import Block, Operation, Region

from ercc.dialects import rnn
from ercc.passes.lower_rnn_layers import LowerRNNLayers


@register_impls
class LayerFunctions(InterpreterFunctions):
    """rnn.lstm, rnn.gru and rnn.rnn, run as their lowering."""

    @impl(rnn.LSTMOp)
    def run_lstm(self, interpreter: Interpreter, op: rnn.LSTMOp, args: PythonValues) -> PythonValues:
        return _run_lowered(interpreter, op, args)

    @impl(rnn.GRUOp)
    def run_gru(self, interpreter: Interpreter, op: rnn.GRUOp, args: PythonValues) -> PythonValues:
        return _run_lowered(interpreter, op, args)

    @impl(rnn.RNNOp)
    def run_rnn(self, interpreter: Interpreter, op: rnn.RNNOp, args: PythonValues) -> PythonValues:
        return _run_lowered(interpreter, op, args)


def _run_lowered(interpreter: Interpreter, op: Operation, args: PythonValues) -> PythonValues:
    lowered: dict[Operation, func.FuncOp] = interpreter.get_data(LayerFunctions, "lowered", dict)
    if op not in lowered:
        lowered[op] = _lower(op)
    return interpreter.run_ssacfg_region(lowered[op].body, args, op.name)


def _lower(layer: Operation) -> func.FuncOp:
    """`func.func (operands of layer) -> (results of layer)`, lowered by `lower-rnn-layers`."""
    block = Block(arg_types=[v.type for v in layer.operands])
    mapping = {}
    for operand, arg in zip(layer.operands, block.args):
        if isinstance(operand.owner, arith.ConstantOp):
            constant = operand.owner.clone()
            block.add_op(constant)
            mapping[operand] = constant.result
        else:
            mapping[operand] = arg
    clone = layer.clone(value_mapper=mapping)
    block.add_ops([clone, func.ReturnOp(*clone.results)])
    function = func.FuncOp("layer", ([v.type for v in layer.operands], [r.type for r in layer.results]), Region(block))
    LowerRNNLayers().apply(Context(), ModuleOp([function]))
    return function
