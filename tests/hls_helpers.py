"""Helpers for the HLS backend tests: IR text with the dialects lowered kernels use."""

from __future__ import annotations

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, builtin, func
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser

from ercc.dialects.circ import CIRC
from ercc.dialects.rnn import RNN
from ercc.dialects.sched import SCHED

TOLERANCE = 1e-5


def parse(text: str) -> ModuleOp:
    """Parses IR text with the dialects lowered kernels use."""
    ctx = Context()
    for dialect in (builtin.Builtin, func.Func, arith.Arith, RNN, CIRC, SCHED):
        ctx.load_dialect(dialect)
    module = Parser(ctx, text).parse_module()
    module.verify()
    return module


def dense(values: np.ndarray) -> str:
    """An MLIR dense literal holding exactly the float32 `values`."""

    def fmt(a: np.ndarray) -> str:
        if a.ndim == 0:
            return repr(float(a))
        return "[" + ", ".join(fmt(x) for x in a) + "]"

    return f"dense<{fmt(np.asarray(values, dtype=np.float32))}>"


def tensor(shape: tuple[int, ...]) -> str:
    """The MLIR tensor type of an f32 array of `shape`."""
    return f"tensor<{'x'.join(map(str, shape))}{'x' if shape else ''}f32>"
