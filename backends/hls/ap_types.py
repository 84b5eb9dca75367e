"""Locating the Xilinx arbitrary-precision headers (ap_fixed.h, ap_int.h) for C simulation.

Vitis HLS ships them under `$XILINX_HLS/include`; without Vitis, the hls4ml
wheel carries the open-source copy. We only point the compiler at them: the
headers are never copied into the repository.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from ercc.errors import ErccError

_HEADER = "ap_fixed.h"


def _from_vitis() -> Path | None:
    """`$XILINX_HLS/include`, when it exists and holds the headers."""
    root = os.environ.get("XILINX_HLS")
    if not root:
        return None
    include = Path(root) / "include"
    return include if (include / _HEADER).is_file() else None


def _from_hls4ml() -> Path | None:
    """The copy inside the installed hls4ml package, found without importing it (slow)."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        include = Path(location) / "templates" / "vivado" / "ap_types"
        if (include / _HEADER).is_file():
            return include
    return None


def find_ap_types() -> Path:
    """The directory to pass as `-I` so that `#include <ap_fixed.h>` compiles."""
    found = _from_vitis() or _from_hls4ml()
    if found is None:
        raise ErccError(
            "cannot find the Xilinx ap_types headers (ap_fixed.h) for C simulation: "
            "install hls4ml (pip install hls4ml) or set XILINX_HLS to a Vitis HLS installation"
        )
    return found
