"""IR types as destinations of `ercc.numerics.values`: the only place the interpreters read element types.

A tensor of `!fix.fixed` stores into its `FixedFormat`, a tensor of f32 into
float32 (None); anything else the reference cannot hold.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import Float32Type, TensorType
from xdsl.ir import Attribute

from ercc.dialects.fix import FixedType
from ercc.errors import ErccError
from ercc.numerics import values
from ercc.numerics.values import Dest, Value


def element_dest(el: Attribute) -> Dest:
    """The destination of element type el."""
    if isinstance(el, FixedType):
        return el.format
    if isinstance(el, Float32Type):
        return None
    raise ErccError(f"the reference executor does not support element type {el}")


def dest(t: Attribute) -> Dest:
    """The destination of tensor type t."""
    if not isinstance(t, TensorType):
        raise ErccError(f"the reference executor cannot hold values of type {t}")
    return element_dest(t.get_element_type())


def assign(v: Value, t: Attribute) -> Value:
    """`dst = v` with dst of tensor type t."""
    return values.assign(v, dest(t))


def store(v, t: Attribute) -> Value:
    """An exact intermediate (or a value) assigned to tensor type t."""
    return values.store(v, dest(t))


def scalar(value: float, t: Attribute) -> Value:
    """A constant of t's element type."""
    return values.scalar(value, dest(t))


def kernel_input(x: np.ndarray, t: Attribute) -> Value:
    """A kernel input as the C driver passes it: float32, assigned to the port type."""
    return assign(np.asarray(x, dtype=np.float32).reshape(tuple(t.get_shape())), t)
