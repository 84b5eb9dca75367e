"""The weights header: every constant table of a kernel as plain C data, outside the kernel source.

g++ compiles an array of `ap_fixed` initializers as one constructor call per
element in a static-initialization function: at the 13 M weights of the
ESE/C-LSTM LSTM that is 33 MB of C++ on which g++ ran 172 s, reached 15.5 GB
and crashed. Plain integer arrays are data (.rodata), which g++ reads about
as fast as it reads text. So a fixed-point table is stored as its raw W-bit
two's-complement integers in the smallest C integer type holding W bits
(`int16_t` for 16-bit weights) and the kernel reads element i into the
`ap_fixed` type bit for bit through `ercc_rom` (its raw value `V`, free wiring
in hardware: the table is still a ROM). Float tables are `float` arrays and
integer tables (sequence lengths) `int` arrays, read directly.

The header is named after the top function (`TOP_weights.h`; written beside a
kernel file `K.cpp` it is `K_weights.h`) and included by the kernel after its typedefs; the kernel source's size does not depend on
the number of weights. That header is what a project and synthesis compile.
ercc's own C simulation (`csim.py`, `sharedlib.py`) compiles the same kernel
against `csim_header` instead: the same arrays without initializers, filled at
run time from `data()` (hls4ml reads its weights from files outside synthesis
likewise), so g++ never parses the values: its time and memory no longer grow
with the weights (docs/results.md has the figures).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ercc.numerics.fixed import FixedFormat

__all__ = ["ROM_TEMPLATE", "WeightTables", "header_name", "storage_type"]

_VALUES_PER_LINE = 16

# Reads a raw table as the fixed-point type T. One definition in every kernel that has fixed-point tables.
ROM_TEMPLATE = """\
// A fixed-point table stored as raw integers R in the weights header: element i is BITS[i]
// read into T bit for bit (a ROM of W-bit words in hardware). T's raw value V takes the low W
// bits, as .range() would, without building a range reference (reads 1.7x faster in C simulation).
template <class T, class R, const R* BITS>
struct ercc_rom {
  T operator[](int i) const {
#pragma HLS inline
    T v;
    v.V = BITS[i];
    return v;
  }
};"""


def header_name(top: str) -> str:
    """The weights header's file name, as the kernel includes it."""
    return f"{top}_weights.h"


def storage_type(fmt: FixedFormat) -> str:
    """The smallest C integer type holding a format's raw values."""
    for bits in (8, 16, 32, 64):
        if fmt.width <= bits:
            return f"{'' if fmt.signed else 'u'}int{bits}_t"
    raise ValueError(f"a constant table of {fmt} (wider than 64 bits) has no C integer storage type")


def _int_literals(raw: np.ndarray, ctype: str) -> list[str]:
    """Decimal literals of raw integers; INT64_MIN cannot be written as a literal."""
    text = [str(v) for v in np.asarray(raw).ravel().tolist()]
    if ctype == "int64_t":
        lowest = str(-(2**63))
        text = ["INT64_MIN" if t == lowest else t for t in text]
    return text


_DTYPES = {"float": "<f4", "int": "<i4", **{f"{u}int{b}_t": f"<{u or 'i'}{b // 8}" for u in ("", "u") for b in (8, 16, 32, 64)}}


@dataclass(frozen=True)
class _Table:
    storage: str  # the array's name in the header
    ctype: str  # its C element type
    values: np.ndarray  # flat, of the C type's numpy dtype
    literals: Callable[[np.ndarray], list[str]] | None = None  # C literals of the values (float tables)

    def text(self) -> list[str]:
        """The C literals, made only when a header is written (not for C simulation)."""
        return self.literals(self.values) if self.literals is not None else _int_literals(self.values, self.ctype)


@dataclass
class WeightTables:
    """The tables of one kernel, in emission order, and the kernel-side declarations that read them."""

    _tables: list[_Table] = field(default_factory=list)
    _roms: list[str] = field(default_factory=list)

    def add_fixed(self, name: str, storage: str, raw: np.ndarray, fmt: FixedFormat, kernel_type: str) -> None:
        """A fixed-point table of raw values: `storage` in the header, read as `name[i]` of `kernel_type`."""
        ctype = storage_type(fmt)
        self._tables.append(_Table(storage, ctype, np.asarray(raw).ravel().astype(_DTYPES[ctype])))
        self._roms.append(f"static const ercc_rom<{kernel_type}, {ctype}, {storage}> {name} = {{}};")

    def add_plain(
        self, name: str, ctype: str, values: np.ndarray, literals: Callable[[np.ndarray], list[str]] | None = None
    ) -> None:
        """A `float` (with the function printing its C literals) or `int` table, read directly as `name[i]`."""
        self._tables.append(_Table(name, ctype, np.asarray(values).ravel().astype(_DTYPES[ctype]), literals))

    def __bool__(self) -> bool:
        return bool(self._tables)

    def kernel_declarations(self) -> list[str]:
        """What the kernel prints after including the header: `ercc_rom` and one reader per fixed table."""
        return [ROM_TEMPLATE, "", *self._roms] if self._roms else []

    def header(self, top: str) -> str:
        """The weights header's text (deterministic: same tables, same bytes)."""
        guard = f"ERCC_{top.upper()}_WEIGHTS_H"
        count = sum(t.values.size for t in self._tables)
        out = [
            f"// Generated by ercc: the constant tables of the HLS kernel {top} ({count} values). Do not edit.",
            "// Fixed-point tables hold raw two's-complement bit patterns; the kernel reads them as ap_fixed.",
            f"#ifndef {guard}",
            f"#define {guard}",
            "",
            "#include <stdint.h>",
        ]
        if any(t.ctype == "float" for t in self._tables):
            out.append("#include <cmath>  // NAN, INFINITY")
        for t in self._tables:
            lits = t.text()
            rows = [", ".join(lits[i : i + _VALUES_PER_LINE]) for i in range(0, len(lits), _VALUES_PER_LINE)]
            body = ",\n".join(f"    {row}" for row in rows)
            out += ["", f"static const {t.ctype} {t.storage}[{len(lits)}] = {{\n{body}\n}};"]
        out += ["", f"#endif  // {guard}", ""]
        return "\n".join(out)

    def csim_header(self, top: str) -> str:
        """The header ercc's C simulation compiles: the arrays, and `ercc_load_weights` filling them
        from the file `data()` wrote (0 when it read exactly that much, else non-zero)."""
        guard = f"ERCC_{top.upper()}_WEIGHTS_H"
        out = [
            f"// Generated by ercc: the constant tables of {top} for C simulation, read at run time",
            "// from the binary file ercc writes (each table's little-endian values, in this order).",
            f"#ifndef {guard}",
            f"#define {guard}",
            "",
            "#include <stdint.h>",
            "#include <cstdio>",
            "",
            *(f"static {t.ctype} {t.storage}[{t.values.size}];" for t in self._tables),
            "",
            "static int ercc_load_weights(const char* path) {",
            '  FILE* f = std::fopen(path, "rb");',
            "  if (!f) return 1;",
            "  bool ok = true;",
            *(f"  ok = ok && std::fread({t.storage}, sizeof({t.storage}), 1, f) == 1;" for t in self._tables),
            "  ok = ok && std::fgetc(f) == EOF;",
            "  std::fclose(f);",
            "  return ok ? 0 : 2;",
            "}",
            "",
            f"#endif  // {guard}",
            "",
        ]
        return "\n".join(out)

    def data(self) -> bytes:
        """Every table's values as `csim_header`'s loader reads them."""
        return b"".join(t.values.tobytes() for t in self._tables)
