"""The values ercc's reference computes with, and ap_fixed's arithmetic on them.

A value is a float32 array or a `Fixed` (int64 raw integers and their
`FixedFormat`); `Wide` is an exact intermediate (ap_fixed's full-precision
operator result) that exists only until it is stored. A destination is a
`FixedFormat`, or None for float32. This module is pure arithmetic: the
interpreters (`ercc.interpreters`) map IR types to destinations and call it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ercc.numerics.fixed import FixedFormat, from_float, requantize, to_float


@dataclass(frozen=True)
class Fixed:
    """Raw int64 values of a fixed-point format."""

    raw: np.ndarray
    fmt: FixedFormat

    def reshape(self, *shape) -> Fixed:
        return Fixed(self.raw.reshape(*shape), self.fmt)


@dataclass(frozen=True)
class Wide:
    """An exact intermediate: raw * 2**-frac."""

    raw: np.ndarray
    frac: int


Value = np.ndarray | Fixed
Dest = FixedFormat | None


def assign(v: Value, fmt: Dest) -> Value:
    """`dst = v`: quantization into fmt, or the float32 cast (fmt None)."""
    if fmt is not None:
        if isinstance(v, Fixed):
            return Fixed(requantize(v.raw, v.fmt.frac, fmt), fmt)
        return Fixed(from_float(np.asarray(v, dtype=np.float32).astype(np.float64), fmt), fmt)
    return (to_float(v.raw, v.fmt) if isinstance(v, Fixed) else np.asarray(v)).astype(np.float32)


def store(v, fmt: Dest) -> Value:
    """Assignment of an exact intermediate (or a value) to fmt."""
    if isinstance(v, Wide):
        return Fixed(requantize(v.raw, v.frac, fmt), fmt)
    return assign(v, fmt)


def _raw(v) -> tuple[np.ndarray, int] | None:
    """(raw int64, frac) of a fixed or exact value; None for float."""
    if isinstance(v, Fixed):
        return v.raw, v.fmt.frac
    if isinstance(v, Wide):
        return v.raw, v.frac
    return None


def exact(a, b, op: str):
    """Exact a op b for op in '+', '-', '*' (a `Wide` for fixed operands, float32 otherwise).

    Called for every product and sum of the reference: no intermediate objects.
    """
    ra, rb = _raw(a), _raw(b)
    if ra is not None and rb is not None:
        (x, fa), (y, fb) = ra, rb
        if op == "*":
            return Wide(x * y, fa + fb)
        f = max(fa, fb)
        if fa != f:
            x = x << (f - fa)
        if fb != f:
            y = y << (f - fb)
        return Wide(x + y if op == "+" else x - y, f)
    if ra is not None or rb is not None:
        raise ValueError("the reference executor cannot mix float and fixed operands")
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return (a * b if op == "*" else a + b if op == "+" else a - b).astype(np.float32)


def take(v: Value, idx) -> Value:
    return Fixed(v.raw[idx], v.fmt) if isinstance(v, Fixed) else v[idx]


def scalar(value: float, fmt: Dest) -> Value:
    if fmt is not None:
        return Fixed(from_float(np.float64(value), fmt), fmt)
    return np.float32(value)


def shape(v: Value) -> tuple[int, ...]:
    return (v.raw if isinstance(v, Fixed) else v).shape


def where(c: np.ndarray, a: Value, b: Value) -> Value:
    if isinstance(a, Fixed):
        assert isinstance(b, Fixed) and a.fmt == b.fmt
        return Fixed(np.where(c, a.raw, b.raw), a.fmt)
    return np.where(c, a, b).astype(np.float32)


def less(a: Value, b: Value) -> np.ndarray:
    """a < b exactly (ap_fixed comparisons are exact across formats)."""
    d = exact(a, b, "-")
    return (d.raw if isinstance(d, Wide) else d) < 0


def broadcast(v: Value, to: tuple[int, ...]) -> Value:
    if isinstance(v, Fixed):
        return Fixed(np.broadcast_to(v.raw, to), v.fmt)
    return np.broadcast_to(np.asarray(v, dtype=np.float32), to)


def transpose(v: Value, perm=None) -> Value:
    return Fixed(np.transpose(v.raw, perm), v.fmt) if isinstance(v, Fixed) else np.transpose(v, perm)


def concatenate(parts: list[Value], axis: int) -> Value:
    if isinstance(parts[0], Fixed):
        return Fixed(np.concatenate([p.raw for p in parts], axis=axis), parts[0].fmt)
    return np.concatenate(parts, axis=axis)


def stack(parts: list[Value]) -> Value:
    if isinstance(parts[0], Fixed):
        return Fixed(np.stack([p.raw for p in parts]), parts[0].fmt)
    return np.stack(parts)


def dot(a: Value, b: Value, fmt: Dest) -> Value:
    """(R, K) @ (K, N) with acc = 0; acc += a[:, k] * b[k, :] stored into fmt at every step."""
    rows, depth = shape(a)
    n = shape(b)[1]
    acc = broadcast(store(scalar(0.0, fmt), fmt), (rows, n))
    for k in range(depth):
        prod = exact(take(a, (slice(None), slice(k, k + 1))), take(b, (slice(k, k + 1), slice(None))), "*")
        acc = store(exact(acc, prod, "+"), fmt)
    return acc


def to_f32(v: Value) -> np.ndarray:
    """A result as the C driver returns it: float32."""
    return to_float(v.raw, v.fmt).astype(np.float32) if isinstance(v, Fixed) else v
