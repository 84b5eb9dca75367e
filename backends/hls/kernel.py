"""What the HLS emitter hands to its users: the C++ source and the top function's ports."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class KernelPort:
    """One array parameter of the top function.

    `name` is the ONNX name, `c_name` the C parameter, `shape` the logical
    (row-major) shape of the flat array and `ctype` its element type as the
    kernel spells it (a typedef defined in the kernel source).
    """

    name: str
    c_name: str
    shape: tuple[int, ...]
    ctype: str

    @property
    def size(self) -> int:
        """Number of elements of the flat C array."""
        return math.prod(self.shape)


@dataclass(frozen=True)
class EmittedKernel:
    """A self-contained HLS C++ kernel: `void top(const in..., out...)`, inputs first."""

    source: str
    top: str
    inputs: list[KernelPort]
    outputs: list[KernelPort]
    entry: str = ""  # the flat-array datapath function (the top itself with --interface array)
    interface: str = "array"  # array | axis | m_axi (backends/hls/interface.py)
    batch: int = 1  # axis/m_axi: the sequences a call carries at most (tripcount, m_axi depth)
    prelude: list[str] = field(default_factory=list)  # includes and types the top's declaration needs
    prototype: str = ""  # the top function's declaration

    def __post_init__(self) -> None:
        if not self.entry:
            object.__setattr__(self, "entry", self.top)
