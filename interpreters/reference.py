"""The reference executor: xDSL's `Interpreter` with ercc's implementations, bit-exact with C simulation.

`ReferenceExecutor(module).run_batch(inputs)` runs the module's one
`func.func` on N sequences like `CSimProgram.run`: kernel inputs are
assigned from float32 (the C driver's cast), outputs are returned as
float32. Each dialect's ops are implemented in `ercc.interpreters.<dialect>`
(`@impl` methods of a registered `InterpreterFunctions`); `functions`
adds implementations of ops of other dialects (an out-of-tree dialect's own).

Observers are `Interpreter.Listener`s. xDSL's listener sees the results
of every op; a `ValueListener` also sees the values every region's entry
block arguments are bound to (the kernel's inputs, each scan and map step's
arguments): every value computed, for calibration and the quantization report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues
from xdsl.interpreters.func import FuncFunctions
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.utils.exceptions import InterpretationError

from ercc.errors import ErccError
from ercc.interpreters.arith import ArithFunctions
from ercc.interpreters.circ import CircFunctions
from ercc.interpreters.fix import FixFunctions
from ercc.interpreters.rnn import RnnFunctions
from ercc.interpreters.types import assign, kernel_input
from ercc.numerics.values import to_f32


def default_functions() -> list[InterpreterFunctions]:
    """The implementations of every op ercc's pipeline produces from rnn.scan down."""
    return [FuncFunctions(), ArithFunctions(), RnnFunctions(), FixFunctions(), CircFunctions()]


class ValueListener(Interpreter.Listener):
    """`observe(ssa_value, value)` sees every op result and every bound block argument."""

    def observe(self, key: SSAValue, value) -> None:
        """Called once per value computed (block arguments: once per entry of their region)."""

    def did_interpret_op(self, op: Operation, results: PythonValues) -> None:
        for key, value in zip(op.results, results):
            self.observe(key, value)

    def did_bind_arguments(self, block: Block, args: PythonValues) -> None:
        for key, value in zip(block.args, args):
            self.observe(key, value)


class Observer(ValueListener):
    """A `ValueListener` calling `fn(ssa_value, value)`."""

    def __init__(self, fn: Callable[[SSAValue, object], None]):
        self.fn = fn

    def observe(self, key: SSAValue, value) -> None:
        self.fn(key, value)


class ReferenceInterpreter(Interpreter):
    """An `Interpreter` that tells its `ValueListener`s the arguments each region is entered with.

    ercc's regions (func bodies, scan and map steps) have one block.
    """

    def run_ssacfg_region(self, region: Region, args: PythonValues, name: str = "unknown") -> PythonValues:
        block = region.blocks.first
        if block is not None:
            for listener in self.listeners:
                if isinstance(listener, ValueListener):
                    listener.did_bind_arguments(block, args)
        return super().run_ssacfg_region(region, args, name)


class ReferenceExecutor:
    """Runs the one function of a module; `run(inputs)` returns its results as float32 arrays."""

    def __init__(
        self,
        module: ModuleOp,
        listeners: Sequence[Interpreter.Listener] = (),
        functions: Sequence[InterpreterFunctions] = (),
    ):
        funcs = [op for op in module.ops if isinstance(op, func.FuncOp)]
        if len(funcs) != 1:
            raise ErccError(f"the reference executor needs a module with exactly one func.func, got {len(funcs)}")
        self.func = funcs[0]
        self.interpreter = ReferenceInterpreter(module, listeners=tuple(listeners))
        for f in (*default_functions(), *functions):
            self.interpreter.register_implementations(f)

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """One sequence (batch 1): inputs in the kernel's port shapes."""
        arg_types = self.func.function_type.inputs.data
        if len(inputs) != len(arg_types):
            raise ValueError(f"the kernel takes {len(arg_types)} inputs, got {len(inputs)}")
        args = tuple(kernel_input(x, t) for x, t in zip(inputs, arg_types))
        try:
            results = self.interpreter.call_op(self.func, args)
        except InterpretationError as e:  # an op without an implementation
            raise ErccError(f"the reference executor cannot run this module: {e}") from e
        outputs = self.func.function_type.outputs.data
        return [to_f32(assign(v, t)) for v, t in zip(results, outputs)]

    def run_batch(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """N sequences: each input (N, *port shape); the CSimProgram.run interface."""
        n = inputs[0].shape[0] if inputs else 1
        per = [self.run([a[i] for a in inputs]) for i in range(n)]
        return [np.stack([p[j] for p in per]) for j in range(len(per[0]))] if per else []


def run_reference(module: ModuleOp, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Runs N sequences (each input shaped (N, *port shape)) like `CSimProgram.run`."""
    return ReferenceExecutor(module).run_batch(inputs)
