"""What the HLS emitter hands to its users: the C++ source and the top function's ports."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePath

from ercc.backends.hls.weights import WeightTables, header_name


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
    """An HLS C++ kernel: `void top(const in..., out...)`, inputs first.

    `source` includes the weights header `weights_file` (text `weights`: the
    constant `tables`, `weights.py`) when the kernel has tables; both files
    together are the whole kernel.
    """

    source: str
    top: str
    inputs: list[KernelPort]
    outputs: list[KernelPort]
    tables: WeightTables = field(default_factory=WeightTables)
    entry: str = ""  # the flat-array datapath function (the top itself with --interface array)
    interface: str = "array"  # array | axis | m_axi (backends/hls/interface.py)
    batch: int = 1  # axis/m_axi: the sequences a call carries at most (tripcount, m_axi depth)
    prelude: list[str] = field(default_factory=list)  # includes and types the top's declaration needs
    prototype: str = ""  # the top function's declaration


    @property
    def weights_file(self) -> str:
        return header_name(self.top) if self.tables else ""

    @cached_property
    def weights(self) -> str:
        """The weights header's text (made on first use: C simulation does not need it)."""
        return self.tables.header(self.top) if self.tables else ""

    def single_file(self) -> str:
        """The kernel as one translation unit: the weights header's text in place of its #include."""
        if not self.weights_file:
            return self.source
        include = f'#include "{self.weights_file}"  // the constant tables\n'
        return self.source.replace(include, self.weights, 1)

    def files(self, kernel_file: str) -> dict[str, str]:
        """File name -> text of the kernel as `kernel_file` (a name) and its weights header beside it,
        `STEM_weights.h` (kernels written side by side keep their own), in the order to write them: a
        kernel file never exists without its header."""
        if not self.weights_file:
            return {kernel_file: self.source}
        header = f"{PurePath(kernel_file).stem}_weights.h"
        source = self.source.replace(f'#include "{self.weights_file}"', f'#include "{header}"', 1)
        return {header: self.weights, kernel_file: source}

    def __post_init__(self) -> None:
        if not self.entry:
            object.__setattr__(self, "entry", self.top)
