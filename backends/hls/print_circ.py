"""Printing `circ` ops: block-circulant constants and products, FFTs, the frequency-domain MAC.

A spectrum array holds, per block, Re/Im of k/2 + 1 bins; weights are
stored packed, k values per block (`_packed_spectra`). Unrolled readers get
their banks from `read_partition` (printer_base.py).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from xdsl.ir import Attribute

from ercc.backends.hls import fft
from ercc.backends.hls.printer_base import HLSPrinterBase, dense_values, element_type
from ercc.dialects import circ, rnn
from ercc.dialects.fix import FixedType, raw_values
from ercc.errors import ErccError
from ercc.numerics import fft_plan
from ercc.numerics.intmath import ceil_div


def _packed_spectra(op: circ.FreqConstOp) -> np.ndarray:
    """Frequency-domain weights as k values per block: Re X[0], Re X[k/2], then Re/Im X[m] for 0 < m < k/2.

    The imaginary parts of bins 0 and k/2 are zero for a real vector and are
    not stored: (p, q, k) values, as many as the time-domain vectors.
    """
    el = op.result.type.element_type
    spectra = raw_values(op.spectra) if isinstance(el, FixedType) else dense_values(op.spectra)
    p, q, bins, _ = tuple(op.spectra.get_shape())
    spectra = spectra.reshape(p, q, bins, 2)
    k = op.result.type.block.data
    if k == 1:
        return spectra[..., 0, 0].reshape(-1)
    inner = spectra[:, :, 1 : k // 2].reshape(p, q, k - 2)
    return np.concatenate([spectra[:, :, :1, 0], spectra[:, :, -1:, 0], inner], axis=-1).reshape(-1)


class CircPrinter(HLSPrinterBase):
    """The `_emit` cases of `circ` ops (mixed into `emitter.HLSPrinter`)."""

    @HLSPrinterBase._emit.register
    def _(self, op: circ.ConstOp) -> None:
        self._constant(op, op.result, op.vectors)

    @HLSPrinterBase._emit.register
    def _(self, op: circ.FreqConstOp) -> None:
        self._constant(op, op.result, _packed_spectra(op), per_bank=op.result.type.block.data)

    @HLSPrinterBase._emit.register
    def _(self, op: circ.MatVecOp) -> None:
        wt = op.weight.type
        assert isinstance(wt, circ.BlockCirculantType)
        k, (_, q) = wt.block.data, wt.grid
        rows, cols = wt.rows.data, wt.cols.data
        w, x, y, ct = self._names[op.weight], self._names[op.input], self._array(op.result), self._ct(op.result)
        with self._loop("r", rows):
            self._line(f"{ct} acc = {self._lit(0.0, op.result)};")
            with self._loop("k", cols, inner=True):
                # Block (r/k, k/k) is defined by w with C[i, j] = w[(i - j) mod k].
                self._line(f"acc += {w}[((r / {k}) * {q} + k / {k}) * {k} + (r - k + {q * k}) % {k}] * {x}[k];")
            self._line(f"{y}[r] = acc;")

    def _fft_function(self, op: circ.RFFTOp | circ.IRFFTOp, source: Attribute, result: Attribute) -> str:
        """Name of the straight-line FFT helper for this op's types, requesting its emission once
        (a variant with LUT multipliers inside a `sched.fabric_mul` row pipeline)."""
        inverse = isinstance(op, circ.IRFFTOp)
        k = (op.input.type if inverse else op.result.type).block.data
        plan = fft_plan.build(k, inverse)
        in_ct, out_ct = self.ctype(source), self.ctype(result)
        if op.twiddle is not None:
            tw_el = op.twiddle
            stages = tuple(self.ctype(el) for el in op.stages.data)
            scaled = None
            if inverse:
                fmt = result.format
                scaled = self.ctype(FixedType.from_format(replace(fmt, int_bits=fmt.int_bits + plan.stages)))
            types = fft.FFTTypes(in_ct, out_ct, stages, self.ctype(tw_el),
                                 tuple(self.literal(w, tw_el) for w in plan.twiddles), scaled=scaled)
        elif isinstance(result, FixedType) or isinstance(source, FixedType):
            raise ErccError(f"'{op.name}' in fixed point needs the formats the quantize pass sets")
        else:
            types = fft.FFTTypes(in_ct, out_ct, (in_ct,) * (plan.stages - 1), in_ct,
                                 tuple(self.literal(w, source) for w in plan.twiddles),
                                 scale=self.literal(1.0 / k, result) if inverse else None)
        fabric = self._fabric and op.twiddle is not None
        key = (k, inverse, types, fabric)
        if key not in self._fft_functions:
            name = f"ercc_{'irfft' if inverse else 'rfft'}{k}{'_lut' if fabric else ''}_{len(self._fft_functions)}"
            self._fft_functions[key] = (name, fft.fft_function(name, plan, types, fabric))
        return self._fft_functions[key][0]

    @HLSPrinterBase._emit.register
    def _(self, op: circ.RFFTOp) -> None:
        st = op.result.type
        assert isinstance(st, circ.SpectrumType)
        k, blocks, bins = st.block.data, st.blocks.data, st.bins
        n = rnn.shape_of(op.input)[0]
        x = self._names[op.input]
        y = self._names[op.result] if op.result in self._names else self._array(op.result, per_pe=2 * bins)
        in_el = element_type(op.input.type)
        fn = self._fft_function(op, in_el, st.element_type)
        in_ct, zero = self.ctype(in_el), self.literal(0.0, in_el)
        # One FFT unit per PE, a block a cycle: the block loop is pipelined, the copies unrolled.
        with self._loop("b", blocks, inner=True):
            self._line(f"{in_ct} blk[{k}];")
            self._line("#pragma HLS array_partition variable=blk complete dim=1")
            self._line(f"{self._ct(op.result)} spec[{2 * bins}];")
            self._line("#pragma HLS array_partition variable=spec complete dim=1")
            with self._loop("m", k):
                load = f"{x}[b * {k} + m]"
                self._line(f"blk[m] = {load if n == blocks * k else f'b * {k} + m < {n} ? {load} : {zero}'};")
            self._line(f"{fn}(blk, spec);")
            with self._loop("m", 2 * bins):
                self._line(f"{y}[b * {2 * bins} + m] = spec[m];")

    @HLSPrinterBase._emit.register
    def _(self, op: circ.FreqMacOp) -> None:
        """The MAC engine: U PEs (the unroll factor), each one block column a cycle with all its bins:
        bins 0 and k/2 are real (1 multiply each), the others complex: in fixed point 3 multiplies
        (`_mac_pes`), 3k/2 - 1 a block; in float 4, 2k - 2 a block.

        The (block row, column group) loops are flattened into one pipelined loop, so
        the pipeline fills once per op, not once per block row. In fixed point the
        accumulator is exact (`accumulator`), so HLS may add the U products as a
        tree; the sum is assigned to the result type when a block row is done.
        Weights are stored packed, k values per block (`_packed_spectra`).
        """
        wt = op.weight.type
        assert isinstance(wt, circ.FreqBlockCirculantType)
        (p, q), k = wt.grid, wt.block.data
        bins = k // 2 + 1
        sched = self._schedule
        unroll = max(1, min(sched.unroll.data if sched is not None else 1, q))
        ii = sched.ii.data if sched is not None else 1
        groups = ceil_div(q, unroll)
        y = self._array(op.result, per_pe=2 * bins)
        acc = self._accumulator(op)
        label = self._fresh_label(f"{self._tag}_rb")
        self._line(f"{label}: for (int i = 0; i < {p * groups}; i++) {{")
        with self.indented():
            self._line(f"#pragma HLS pipeline II={ii}")
            self._line(f"const int r = i / {groups};")
            self._line(f"const int g = i % {groups};")
            self._mac_pes(op, acc, unroll)
            with self._loop("j", 2 * bins):
                self._line(f"if (g == {groups - 1}) {y}[r * {2 * bins} + j] = {acc}[j];")
        self._line("}")

    def _accumulator(self, op: circ.FreqMacOp) -> str:
        """Declares a MAC engine's accumulators: one block row's bins, in `accumulator`'s exact format."""
        acc_el = op.accumulator if op.accumulator is not None else op.result.type.element_type
        acc = self._fresh("acc")
        self._line(f"{self.ctype(acc_el)} {acc}[{2 * op.result.type.bins}];")
        self._line(f"#pragma HLS array_partition variable={acc} complete dim=1")
        return acc

    def _mac_pes(self, op: circ.FreqMacOp, acc: str, unroll: int, x_at: str = "") -> None:
        """One iteration of the MAC engine: block row `r`, column group `g` (C variables), U PEs;
        the input spectrum starts at `x_at` (a C expression + ) in its array."""
        wt = op.weight.type
        (_, q), k = wt.grid, wt.block.data
        bins, half = k // 2 + 1, k // 2
        w, x = self._names[op.weight], self._names[op.input]
        acc_el = op.accumulator if op.accumulator is not None else op.result.type.element_type
        with self._loop("j", 2 * bins):
            self._line(f"if (g == 0) {acc}[j] = {self.literal(0.0, acc_el)};")
        unit = self._fresh_label(f"{self._tag}_pe")
        self._line(f"{unit}: for (int u = 0; u < {unroll}; u++) {{")
        with self.indented():
            self._line(f"const int b = g * {unroll} + u;")
            guard = "" if q % unroll == 0 else f"if (b < {q}) "
            self._line(f"{guard}{{")
            with self.indented():
                self._line(f"const int wb = (r * {q} + b) * {k};")
                self._line(f"const int xb = {x_at}b * {2 * bins};")
                self._line(f"{acc}[0] += {w}[wb] * {x}[xb];")
                if k > 1:
                    self._line(f"{acc}[{2 * half}] += {w}[wb + 1] * {x}[xb + {2 * half}];")
                for m in range(1, half):
                    wr, wi = f"{w}[wb + {2 * m}]", f"{w}[wb + {2 * m + 1}]"
                    xr, xi = f"{x}[xb + {2 * m}]", f"{x}[xb + {2 * m + 1}]"
                    if op.accumulator is None:
                        self._line(f"{acc}[{2 * m}] += {wr} * {xr} - {wi} * {xi};")
                        self._line(f"{acc}[{2 * m + 1}] += {wr} * {xi} + {wi} * {xr};")
                        continue
                    # Exact fixed point: Gauss's three products (each operand pair one DSP48 with
                    # its pre-adder) give the same sums as four.
                    self._line("{")
                    with self.indented():
                        self._line(f"const auto k1 = {wr} * ({xr} + {xi});")
                        self._line(f"const auto k2 = {xr} * ({wi} - {wr});")
                        self._line(f"const auto k3 = {xi} * ({wr} + {wi});")
                        self._line(f"{acc}[{2 * m}] += k1 - k3;")
                        self._line(f"{acc}[{2 * m + 1}] += k1 + k2;")
                    self._line("}")
            self._line("}")
        self._line("}")

    @HLSPrinterBase._emit.register
    def _(self, op: circ.IRFFTOp) -> None:
        st = op.input.type
        assert isinstance(st, circ.SpectrumType)
        k, blocks, bins = st.block.data, st.blocks.data, st.bins
        rows = rnn.shape_of(op.result)[0]
        x, y = self._names[op.input], self._array(op.result, per_pe=k)
        out_el = element_type(op.result.type)
        fn = self._fft_function(op, st.element_type, out_el)
        with self._loop("b", blocks, inner=True):
            self._line(f"{self.ctype(st.element_type)} spec[{2 * bins}];")
            self._line("#pragma HLS array_partition variable=spec complete dim=1")
            self._line(f"{self.ctype(out_el)} blk[{k}];")
            self._line("#pragma HLS array_partition variable=blk complete dim=1")
            with self._loop("m", 2 * bins):
                self._line(f"spec[m] = {x}[b * {2 * bins} + m];")
            self._line(f"{fn}(spec, blk);")
            with self._loop("n", k):
                store = f"{y}[b * {k} + n] = blk[n];"
                self._line(store if rows == blocks * k else f"if (b * {k} + n < {rows}) {store}")

    # --- recurrence
