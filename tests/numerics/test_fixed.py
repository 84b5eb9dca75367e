"""ercc.numerics.fixed against g++ and the ap_types headers: every rounding and overflow mode.

One C++ program instantiates every (source, destination) format pair under
test; it reads raw source values (or doubles) from a file and prints the raw
bits of the results, which must equal the numpy model's bit for bit.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess

import numpy as np
import pytest

from ercc.backends.hls.ap_types import find_ap_types
from ercc.backends.hls.csim import _cache_root
from ercc.numerics.fixed import (
    OVERFLOW_MODES,
    QUANTIZATION_MODES,
    FixedFormat,
    FixedFormatError,
    add,
    from_float,
    mul,
    requantize,
    sub,
    to_float,
)

RNG = np.random.default_rng(5)


def _all_modes(width: int, int_bits: int, signed: bool = True) -> list[FixedFormat]:
    return [FixedFormat(width, int_bits, signed, q, o) for q in QUANTIZATION_MODES for o in OVERFLOW_MODES]


def _raw_values(fmt: FixedFormat, n: int) -> np.ndarray:
    """Every raw value of small formats; corners plus random values otherwise."""
    if fmt.width <= 10:
        return np.arange(fmt.raw_min, fmt.raw_max + 1, dtype=np.int64)
    corners = [c for c in (fmt.raw_min, fmt.raw_min + 1, -1, 0, 1, fmt.raw_max - 1, fmt.raw_max) if c >= fmt.raw_min]
    rand = RNG.integers(fmt.raw_min, fmt.raw_max, size=n, endpoint=True)
    return np.unique(np.concatenate([np.array(corners, np.int64), rand]))


def _sign_extend(bits: np.ndarray, fmt: FixedFormat) -> np.ndarray:
    bits = bits.astype(np.int64)
    if fmt.signed:
        bits = np.where(bits >= (1 << (fmt.width - 1)), bits - (1 << fmt.width), bits)
    return bits


def _decl(fmt: FixedFormat) -> str:
    base = "ap_fixed" if fmt.signed else "ap_ufixed"
    return f"{base}<{fmt.width},{fmt.int_bits},{fmt.rnd},{fmt.sat}>"


class Harness:
    """Cases are (kind, formats, inputs); `run` compiles one program for all of them."""

    def __init__(self):
        self.cases: list[tuple[str, tuple[FixedFormat, ...], list[np.ndarray]]] = []

    def add(self, kind, formats, inputs):
        self.cases.append((kind, formats, inputs))

    def _source(self) -> str:
        lines = [
            "#include <cstdio>",
            "#include <ap_fixed.h>",
            "template <class T> void set_raw(T& v, long long raw, int w) {",
            "  v.range(w - 1, 0) = (unsigned long long)raw;",
            "}",
            "template <class T> void put(const T& v, int w) {",
            "  std::printf(\"%llu\\n\", (unsigned long long)v.range(w - 1, 0).to_uint64());",
            "}",
            "int main() {",
            "  std::setvbuf(stdout, NULL, _IONBF, 0);  // a crash names its case",
            "  int c; long n;",
            "  while (std::scanf(\"%d %ld\", &c, &n) == 2) {",
            "    switch (c) {",
        ]
        for i, (kind, fmts, _) in enumerate(self.cases):
            d = fmts[-1]
            body = [f"    case {i}: for (long j = 0; j < n; ++j) {{"]
            if kind == "conv":
                s = fmts[0]
                body += [
                    f"      long long r; std::scanf(\"%lld\", &r); {_decl(s)} a; set_raw(a, r, {s.width});",
                    f"      {_decl(d)} y = a; put(y, {d.width});",
                ]
            elif kind == "double":
                body += [f"      double x; std::scanf(\"%la\", &x); {_decl(d)} y = x; put(y, {d.width});"]
            else:
                s, t = fmts[0], fmts[1]
                op = {"add": "+", "sub": "-", "mul": "*"}[kind]
                body += [
                    "      long long r, q; std::scanf(\"%lld %lld\", &r, &q);",
                    f"      {_decl(s)} a; set_raw(a, r, {s.width}); {_decl(t)} b; set_raw(b, q, {t.width});",
                    f"      {_decl(d)} y = a {op} b; put(y, {d.width});",
                ]
            body += ["    } break;"]
            lines += body
        lines += ["    }", "  }", "  return 0;", "}"]
        return "\n".join(lines) + "\n"

    def run(self, tmp_path) -> list[np.ndarray]:
        source = self._source()
        # compiled programs are cached like csim's binaries (the test data are seeded)
        key = hashlib.sha256((source + str(find_ap_types())).encode()).hexdigest()[:24]
        directory = _cache_root(None) / f"apfixed-test-{key}"
        exe = directory / "t"
        if not exe.is_file():
            directory.mkdir(parents=True, exist_ok=True)
            src = directory / "t.cpp"
            src.write_text(source)
            tmp_exe = directory / f"t.{os.getpid()}"
            subprocess.run(
                ["g++", "-std=c++14", "-O0", "-w", f"-I{find_ap_types()}", str(src), "-o", str(tmp_exe)],
                check=True,
                capture_output=True,
            )
            os.replace(tmp_exe, exe)
        chunks = []
        for i, (kind, _, inputs) in enumerate(self.cases):
            n = len(inputs[0])
            chunks.append(f"{i} {n}")
            if kind == "double":
                chunks.append("\n".join(float(v).hex() for v in inputs[0]))
            else:
                chunks.append("\n".join(" ".join(str(int(v)) for v in row) for row in zip(*inputs)))
        (tmp_path / "in.txt").write_text("\n".join(chunks) + "\n")
        out = subprocess.run([str(exe)], input="\n".join(chunks) + "\n", capture_output=True, text=True)
        assert out.returncode == 0, f"{exe} < {tmp_path / 'in.txt'} failed: {out.stderr[-2000:]}"

        values = np.array([int(v) for v in out.stdout.split()], dtype=np.uint64)
        results, at = [], 0
        for _kind, fmts, inputs in self.cases:
            n = len(inputs[0])
            results.append(_sign_extend(values[at : at + n], fmts[-1]))
            at += n
        assert at == len(values)
        return results


def _expected(kind, fmts, inputs):
    if kind == "conv":
        return requantize(inputs[0], fmts[0].frac, fmts[1])
    if kind == "double":
        return from_float(inputs[0], fmts[0])
    fn = {"add": add, "sub": sub, "mul": mul}[kind]
    return fn(inputs[0], fmts[0], inputs[1], fmts[1], fmts[2])


def _check(h: Harness, tmp_path) -> int:
    got = h.run(tmp_path)
    total = 0
    for (kind, fmts, inputs), g in zip(h.cases, got):
        want = _expected(kind, fmts, inputs)
        bad = np.flatnonzero(want != g)
        assert bad.size == 0, (
            f"{kind} {[str(f) + ' ' + f.rnd + ' ' + f.sat for f in fmts]}: {bad.size} mismatches, first input "
            f"{[x[bad[0]] for x in inputs]} -> ap_fixed {g[bad[0]]}, numpy {want[bad[0]]}"
        )
        total += len(g)
    return total


def test_quick_every_mode(tmp_path):
    """The default run's sample: exhaustive 8/9-bit sources into every mode, doubles, + and *."""
    h = Harness()
    for s in [FixedFormat(8, 3), FixedFormat(9, 4, False)]:
        for w, i, sg in [(6, 2, True), (5, 4, False)]:
            for d in _all_modes(w, i, sg):
                h.add("conv", (s, d), [_raw_values(s, 0)])
    for d in _all_modes(8, 3):
        ties = (np.arange(-40, 40) + 0.5) * d.lsb
        x = np.concatenate([RNG.normal(0, d.max / 2, 200), ties, [0.0, 1e30, -1e30, d.max + d.lsb / 2, d.min - d.lsb / 2]])
        h.add("double", (d,), [x])
    a, b = FixedFormat(10, 2), FixedFormat(7, 5, False)
    ra = _raw_values(a, 0)
    rb = RNG.integers(b.raw_min, b.raw_max, size=len(ra), endpoint=True)
    for d in _all_modes(9, 4):
        h.add("add", (a, b, d), [ra, rb])
        h.add("mul", (a, b, d), [ra, rb])
    assert _check(h, tmp_path) > 50_000


@pytest.mark.slow
def test_requantize_every_mode(tmp_path):
    """Narrowing and widening conversions, every destination mode, exhaustive 8/9-bit sources."""
    h = Harness()
    sources = [FixedFormat(8, 3), FixedFormat(9, 4, False), FixedFormat(20, 6), FixedFormat(16, 16)]
    dests = [(6, 2, True), (5, 4, False), (12, 3, True), (4, 0, True), (6, 6, True), (3, 3, False), (1, 1, True)]
    for s in sources:
        for w, i, sg in dests:
            for d in _all_modes(w, i, sg):
                h.add("conv", (s, d), [_raw_values(s, 400)])
    assert _check(h, tmp_path) > 100_000


@pytest.mark.slow
def test_from_double_every_mode(tmp_path):
    """Doubles: random, exact ties at the destination's half LSB, huge values, tiny values."""
    h = Harness()
    for w, i, sg in [(8, 3, True), (7, 7, False), (16, 6, True), (10, 0, True), (6, 6, True)]:
        for d in _all_modes(w, i, sg):
            lsb = d.lsb
            ties = (np.arange(-40, 40) + 0.5) * lsb
            x = np.concatenate(
                [
                    RNG.normal(0, d.max / 2 + lsb, 300),
                    RNG.uniform(-4 * d.max - 1, 4 * d.max + 1, 100),
                    ties,
                    ties * 2**d.width,
                    [0.0, -0.0, 1e-30, -1e-30, 1e30, -1e30, d.max, d.min, d.max + lsb / 2, d.min - lsb / 2],
                ]
            )
            h.add("double", (d,), [x])
    assert _check(h, tmp_path) > 10_000


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["add", "sub", "mul"])
def test_arithmetic(kind, tmp_path):
    """a op b assigned to a narrower destination, mixed formats and signedness."""
    h = Harness()
    pairs = [
        (FixedFormat(8, 3), FixedFormat(8, 3)),
        (FixedFormat(10, 2), FixedFormat(7, 5, False)),
        (FixedFormat(16, 6, True, "AP_RND", "AP_SAT"), FixedFormat(12, 1)),
        (FixedFormat(24, 8), FixedFormat(24, 2)),
    ]
    for a, b in pairs:
        for d in _all_modes(9, 4) + _all_modes(16, 6) + [FixedFormat(40, 12)]:
            n = 300
            ra = np.concatenate([_raw_values(a, n)[:n], [a.raw_min, a.raw_max]])
            rb = np.concatenate([RNG.integers(b.raw_min, b.raw_max, size=len(ra) - 2, endpoint=True), [b.raw_min, b.raw_max]])
            h.add(kind, (a, b, d), [ra, rb])
    assert _check(h, tmp_path) > 10_000


@pytest.mark.slow
def test_random_formats(tmp_path):
    """Random source/destination pairs over widths 1..24 and all modes."""
    h = Harness()
    for _ in range(150):
        ws, wd = RNG.integers(1, 25, size=2)
        s = FixedFormat(int(ws), int(RNG.integers(0, ws + 1)), bool(RNG.integers(2)))
        d = FixedFormat(
            int(wd),
            int(RNG.integers(0, wd + 1)),
            bool(RNG.integers(2)),
            str(RNG.choice(QUANTIZATION_MODES)),
            str(RNG.choice(OVERFLOW_MODES)),
        )
        h.add("conv", (s, d), [_raw_values(s, 200)])
    assert _check(h, tmp_path) > 10_000


def test_format_helpers():
    f = FixedFormat(16, 6, True, "AP_RND", "AP_SAT")
    assert f.cpp() == "ap_fixed<16,6,AP_RND,AP_SAT>"
    assert FixedFormat(8, 2, False, "AP_RND").cpp() == "ap_ufixed<8,2,AP_RND>"
    assert FixedFormat(8, 2).cpp() == "ap_fixed<8,2>"
    assert (f.min, f.max, f.lsb) == (-32.0, 32 - 2**-10, 2**-10)
    assert np.array_equal(to_float(from_float([0.3, -100.0], f), f), [307 / 1024, -32.0])
    for bad in [(0, 0), (8, 9), (8, -1), (8, 3, True, "AP_ROUND"), (8, 3, True, "AP_RND", "SAT"), (80, 3)]:
        with pytest.raises(FixedFormatError):
            FixedFormat(*bad)
    with pytest.raises(FixedFormatError):
        from_float([np.nan], f)
    assert list(itertools.islice(QUANTIZATION_MODES, 1)) == ["AP_TRN"]
