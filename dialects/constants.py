"""Bytes-backed dense constants: numpy in, numpy out, never Python lists.

xDSL's `DenseIntOrFPElementsAttr` stores raw little-endian bytes; building it
from `ndarray.tobytes()` and reading it with `np.frombuffer` keeps large
weights at memcpy speed.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import BytesAttr, DenseIntOrFPElementsAttr, TensorType, f32
from xdsl.ir import Operation, SSAValue


def dense_attr(array: np.ndarray) -> DenseIntOrFPElementsAttr:
    """A float32 dense attribute holding `array`, with its shape."""
    array = np.asarray(array, dtype="<f4")
    return DenseIntOrFPElementsAttr(TensorType(f32, array.shape), BytesAttr(array.tobytes()))


def dense_constant(array: np.ndarray) -> arith.ConstantOp:
    """An `arith.constant` of the float32 tensor `array`."""
    return arith.ConstantOp(dense_attr(array))


def dense_values(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The attribute's values as a read-only float32 array of its shape."""
    shape = tuple(attr.get_shape())
    data = np.frombuffer(attr.data.data, dtype="<f4")
    if data.size == 1 and np.prod(shape, dtype=int) != 1:
        return np.broadcast_to(data, shape)
    return data.reshape(shape)


def constant_value(value: SSAValue) -> np.ndarray | None:
    """The array a value holds if it comes from an `arith.constant` dense tensor, else None."""
    op: Operation | None = value.owner if isinstance(value.owner, Operation) else None
    if isinstance(op, arith.ConstantOp) and isinstance(op.value, DenseIntOrFPElementsAttr):
        return dense_values(op.value)
    return None
