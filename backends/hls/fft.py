"""C++ text of an in-place radix-2 FFT of one fixed length, with constant tables.

The kernel's `circ.rfft` / `circ.irfft` call `ercc_fft<k>(re, im)` once per
block. Every stage is its own loop with constant bounds, strides and twiddle
indices, so HLS sees static structure only; twiddles and the bit-reversal
permutation are file-scope constant tables computed here in float64.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def fft_function_name(k: int) -> str:
    """The helper computing a length-k FFT in place."""
    return f"ercc_fft{k}"


def _bit_reversal(k: int) -> list[int]:
    """rev[i] = i with its log2(k) bits reversed."""
    bits = k.bit_length() - 1
    return [int(format(i, f"0{bits}b")[::-1], 2) if bits else 0 for i in range(k)]


def _table(decl: str, values: list[str]) -> list[str]:
    """A static const array definition, 8 values per line."""
    rows = [", ".join(values[i : i + 8]) for i in range(0, len(values), 8)]
    body = ",\n".join(f"    {row}" for row in rows)
    return [f"{decl} = {{", body, "};"]


def fft_helper(k: int, ctype: str, literal: Callable[[float], str]) -> str:
    """Tables and function `ercc_fft<k>(ctype re[k], ctype im[k])`: forward DFT in place.

    `literal` prints one constant of `ctype` (the emitter's single literal path).
    """
    fn = fft_function_name(k)
    if k == 1:
        return "\n".join(
            [
                "// Length-1 FFT: the identity.",
                f"static void {fn}({ctype} re[1], {ctype} im[1]) {{",
                "  (void)re;",
                "  (void)im;",
                "}",
            ]
        )
    half = k // 2
    angles = -2.0 * np.pi * np.arange(half) / k
    lines = [f"// Twiddles exp(-2*pi*i*m/{k}) and bit reversal for the length-{k} FFT."]
    lines += _table(f"static const {ctype} {fn}_wr[{half}]", [literal(v) for v in np.cos(angles)])
    lines += _table(f"static const {ctype} {fn}_wi[{half}]", [literal(v) for v in np.sin(angles)])
    lines += _table(f"static const int {fn}_rev[{k}]", [str(r) for r in _bit_reversal(k)])
    lines += [
        "",
        f"// In-place iterative radix-2 FFT of length {k} (decimation in time).",
        f"static void {fn}({ctype} re[{k}], {ctype} im[{k}]) {{",
        f"  {fn}_permute: for (int i = 0; i < {k}; i++) {{",
        f"    const int j = {fn}_rev[i];",
        "    if (i < j) {",
        f"      const {ctype} tr = re[i];",
        f"      const {ctype} ti = im[i];",
        "      re[i] = re[j];",
        "      im[i] = im[j];",
        "      re[j] = tr;",
        "      im[j] = ti;",
        "    }",
        "  }",
    ]
    span = 1
    stage = 0
    while span < k:
        stride = k // (2 * span)  # twiddle index step at this stage
        lines += [
            f"  {fn}_stage{stage}: for (int b = 0; b < {half}; b++) {{",
            f"    const int pos = b % {span};",
            f"    const int i0 = (b / {span}) * {2 * span} + pos;",
            f"    const int i1 = i0 + {span};",
            f"    const {ctype} wr = {fn}_wr[pos * {stride}];",
            f"    const {ctype} wi = {fn}_wi[pos * {stride}];",
            f"    const {ctype} tr = wr * re[i1] - wi * im[i1];",
            f"    const {ctype} ti = wr * im[i1] + wi * re[i1];",
            "    re[i1] = re[i0] - tr;",
            "    im[i1] = im[i0] - ti;",
            "    re[i0] = re[i0] + tr;",
            "    im[i0] = im[i0] + ti;",
            "  }",
        ]
        span *= 2
        stage += 1
    lines.append("}")
    return "\n".join(lines)
