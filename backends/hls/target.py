"""The `hls-cpp` xDSL target: `xdsl-opt -t hls-cpp` prints the kernel's C++ source as one stream
(the weights header's tables in place of its #include)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target

from ercc.backends.hls.emitter import emit_hls


@dataclass(frozen=True)
class HLSTarget(Target):
    """Writes the Vitis-HLS-style C++ kernel of a lowered module."""

    name = "hls-cpp"
    interface: str = "array"  # `-t 'hls-cpp{interface=axis batch=4}'`: the top function's ports
    batch: int = 1

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        output.write(emit_hls(module, interface=self.interface, batch=self.batch).single_file())
