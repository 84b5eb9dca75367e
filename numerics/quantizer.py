"""Uniform integer quantizers as quantization-aware exporters define them (Brevitas, QONNX, ONNX Q/DQ).

A quantizer maps a float32 tensor to the nearest point of an integer grid and
back: y = (clamp(round(x / scale + zero_point), lo, hi) - zero_point) * scale,
computed in float32 in exactly this order (brevitas `IntQuant`, qonnx
`quant`, onnxruntime's QuantizeLinear → DequantizeLinear). The grid is
[lo, hi] = [-2^(b-1) + narrow, 2^(b-1) - 1] when signed, [0, 2^b - 1 - narrow]
when unsigned.

ONNX's QuantizeLinear rounds before it adds its zero point z: (clamp(round(x /
scale) + z, lo, hi) - z) * scale, i.e. a zero point 0 on the grid [lo - z,
hi - z]; `offset` holds that z (it is 0 for Brevitas and QONNX).

This module is the one numpy definition: the frontend folds weight
quantizers with it, the reference executor runs `fix.quant` with it, and the
emitter prints the same float32 operations (`backends/hls/print_fix.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The rounding modes of QONNX's Quant (brevitas writes ROUND); the C expression of each.
ROUNDING_MODES = {
    "ROUND": "std::nearbyint",  # half to even (torch.round, np.rint, QuantizeLinear)
    "FLOOR": "std::floor",
    "CEIL": "std::ceil",
    "ROUND_TO_ZERO": "std::trunc",
}
MAX_BITS = 32  # brevitas' bias quantizers are 32 bits wide; float32 holds the grid's ends within 2^-24


@dataclass(frozen=True)
class Quantizer:
    """A per-tensor uniform quantizer; `scale` and `zero_point` are float32 values."""

    scale: float
    zero_point: float
    bits: int
    signed: bool
    narrow: bool
    rounding: str = "ROUND"
    offset: int = 0  # an ONNX QuantizeLinear zero point, added after rounding: shifts the grid down
    channel_scales: tuple[float, ...] | None = None  # a weight's scale per output row (then `scale` is 1)

    def problem(self) -> str | None:
        """Why ercc cannot compile this quantizer, or None."""
        if not (np.isfinite(self.scale) and self.scale > 0):
            return f"scale must be a positive finite number, got {self.scale}"
        if self.bits != int(self.bits) or not 2 <= self.bits <= MAX_BITS:
            return f"bit width must be an integer in [2, {MAX_BITS}], got {self.bits}"
        if self.zero_point != 0:
            return f"zero point {self.zero_point} is not supported (only 0: symmetric quantizers)"
        if self.offset and not self.lo + self.offset <= self.offset <= self.hi + self.offset:
            return f"zero point {self.offset} lies outside the {self.bits}-bit grid"
        if self.rounding not in ROUNDING_MODES:
            return f"rounding mode '{self.rounding}' is not supported (one of {', '.join(ROUNDING_MODES)})"
        return None

    @property
    def lo(self) -> int:
        return (-(1 << (self.bits - 1)) + int(self.narrow) if self.signed else 0) - self.offset

    @property
    def hi(self) -> int:
        return ((1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1 - int(self.narrow)) - self.offset

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Quantize and dequantize in float32."""
        return fake_quant(x, self.scale, self.zero_point, self.lo, self.hi, self.rounding)


def grid(bits: int, signed: bool, narrow: bool) -> tuple[int, int]:
    """[lo, hi] of a `bits`-bit integer grid."""
    return Quantizer(1.0, 0.0, bits, signed, narrow).lo, Quantizer(1.0, 0.0, bits, signed, narrow).hi


def grid_codes(x, scale, zero_point, lo: int, hi: int, rounding: str = "ROUND") -> np.ndarray:
    """clamp(round(x / scale + zero_point), lo, hi) in float32 (the grid points, as float32)."""
    x = np.asarray(x, dtype=np.float32)
    s, z = np.asarray(scale, dtype=np.float32), np.asarray(zero_point, dtype=np.float32)
    return np.clip(_ROUND[rounding](x / s + z), np.float32(lo), np.float32(hi))


def fake_quant(x, scale, zero_point, lo: int, hi: int, rounding: str = "ROUND") -> np.ndarray:
    """(clamp(round(x / scale + zero_point), lo, hi) - zero_point) * scale in float32; scale and
    zero_point may be arrays broadcasting against x (per-channel weight quantizers)."""
    s, z = np.asarray(scale, dtype=np.float32), np.asarray(zero_point, dtype=np.float32)
    return ((grid_codes(x, scale, zero_point, lo, hi, rounding) - z) * s).astype(np.float32)


_ROUND = {"ROUND": np.rint, "FLOOR": np.floor, "CEIL": np.ceil, "ROUND_TO_ZERO": np.trunc}

