"""FPGA device presets: the resource budget the PE scheduler works within.

Counts are the vendors' published totals for each part (DSP slices, 18 Kb
block RAMs, CLB LUTs and flip-flops).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Device:
    name: str
    part: str
    family: str
    dsp: int
    bram18k: int
    lut: int
    ff: int


DEVICES: dict[str, Device] = {
    d.name: d
    for d in (
        Device("xcku060", "xcku060-ffva1156-2-e", "Kintex UltraScale", 2760, 2160, 331680, 663360),
        Device("xc7vx690t", "xc7vx690tffg1761-2", "Virtex-7", 3600, 2940, 433200, 866400),
        Device("xcu250", "xcu250-figd2104-2L-e", "Alveo U250 (Virtex UltraScale+)", 12288, 5376, 1728000, 3456000),
        Device("xczu9eg", "xczu9eg-ffvb1156-2-e", "Zynq UltraScale+", 2520, 1824, 274080, 548160),
    )
}


def device(name: str) -> Device:
    """The preset named `name`; KeyError lists the known ones."""
    try:
        return DEVICES[name]
    except KeyError:
        raise KeyError(f"unknown device '{name}' (known: {', '.join(DEVICES)})") from None
