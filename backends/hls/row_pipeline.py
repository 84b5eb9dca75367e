"""Printing a row pipeline (`sched.row_pipeline`): a step's MAC engine, inverse FFT and tail as one loop.

One pipelined loop walks the stacked gate weights' block rows hidden block
by hidden block (`ercc.hardware.row_pipeline`): iteration i accumulates U
block columns of row gt·P + hb; a row's last column group also runs its
inverse FFT (one unit) into the gate buffer; during the rows of hidden block
hb the tail (activations, state update) of block hb − 1 runs, `lanes`
elements an iteration, from a copy of the gate buffer taken when block hb − 1
ended. Every value is assigned to its IR type, as the ops one after another
would: the same bits.
"""

from __future__ import annotations

from contextlib import nullcontext

from ercc.dialects import circ, fix, rnn
from ercc.hardware.row_pipeline import RowPipeline

_SCOPED = (rnn.ActivationOp, rnn.ClampOp, fix.PWLOp)  # their element code declares locals


class RowPipelinePrinter:
    """The HLS printer's row-pipeline method (mixed into `HLSPrinter`)."""

    def _row_pipeline(self, rp: RowPipeline, forward: circ.RFFTOp | None = None) -> None:
        """`forward`: the state's FFT whose next-step spectrum the loop writes (`streamed_spectrum`)."""
        mac, inverse = rp.mac, rp.inverse
        (p, q), k = mac.weight.type.grid, rp.block
        bins = k // 2 + 1
        sched = self._schedule
        unroll = max(1, min(sched.unroll.data if sched is not None else 1, q))
        ii = sched.ii.data if sched is not None else 1
        groups, lanes, gates, size = rp.groups(unroll), rp.lanes(unroll), rp.gates, rp.size
        per_block = gates * groups
        self._line("// circ.freq_mac, circ.irfft and the elementwise tail: one row pipeline")
        block = mac.parent_block()
        outputs = list(dict.fromkeys(block.last_op.operands))
        self._schedule = None
        for position, value in enumerate(block.last_op.operands):
            if value in self._names or value in self._row_out:
                continue
            if isinstance(block.parent_op(), rnn.ScanOp):
                # A scan's tail writes its states in place: element n is read (the tail's own
                # reads, the forward FFT before the loop) before it is written, at the end of the tail.
                self._names[value] = self._names[block.args[1 + position]]
                continue
            name = self._array(value)
            if lanes > 1:
                self._line(f"#pragma HLS array_partition variable={name} cyclic factor={lanes} dim=1")
        self._schedule = sched
        acc = self._accumulator(mac)
        spec_el, out_el = mac.result.type.element_type, inverse.result.type.get_element_type()
        gbuf, ebuf = self._fresh("gbuf"), self._fresh("ebuf")
        for buf in (gbuf, ebuf):
            self._line(f"{self.ctype(out_el)} {buf}[{gates}][{k}];")
            self._line(f"#pragma HLS array_partition variable={buf} complete dim=0")
        fn = self._fft_function(inverse, spec_el, out_el)
        label = self._fresh_label(f"{self._tag}_rows")
        self._line(f"{label}: for (int i = 0; i < {(p + gates) * groups}; i++) {{")
        with self.indented():
            self._line(f"#pragma HLS pipeline II={ii}")
            self._line(f"const int hb = i / {per_block};")
            self._line(f"const int gt = (i / {groups}) % {gates};")
            self._line(f"const int r = gt * {rp.rows_per_gate} + hb;")
            self._line(f"const int g = i % {groups};")
            self._line(f"if (i < {p * groups}) {{")
            spectrum_size = 2 * rp.rows_per_gate * bins
            with self.indented():
                self._mac_pes(mac, acc, unroll, f"(t & 1) * {spectrum_size} + " if forward is not None else "")
                self._line(f"if (g == {groups - 1}) {{")
                with self.indented():
                    self._line(f"{self.ctype(spec_el)} spec[{2 * bins}];")
                    self._line("#pragma HLS array_partition variable=spec complete dim=1")
                    self._line(f"{self.ctype(out_el)} blk[{k}];")
                    self._line("#pragma HLS array_partition variable=blk complete dim=1")
                    with self._loop("j", 2 * bins):
                        self._line(f"spec[j] = {acc}[j];")
                    self._line(f"{fn}(spec, blk);")
                    with self._loop("m", k):
                        self._line(f"{gbuf}[gt][m] = blk[m];")
                self._line("}")
            self._line("}")
            self._line(f"if (i >= {per_block}) {{")
            with self.indented(), self._loop("l", lanes):
                self._line(f"const int lane = (i % {per_block}) * {lanes} + l;")
                self._line(f"const int n = (hb - 1) * {k} + lane;")
                guards = ([f"lane < {k}"] if per_block * lanes > k else []) + ([f"n < {size}"] if size % k else [])
                if guards:
                    self._line(f"if ({' && '.join(guards)}) {{")
                with self.indented() if guards else nullcontext():
                    self._tail(rp, ebuf, outputs)
                if guards:
                    self._line("}")
            self._line("}")
            if forward is not None:
                self._line(f"if (i >= {per_block} && i % {per_block} == {per_block - 1}) {{")
                with self.indented():
                    self._next_spectrum(rp, forward, spectrum_size)
                self._line("}")
            self._line(f"if (i % {per_block} == {per_block - 1}) {{")
            with self.indented(), self._loop("gi", gates), self._loop("m", k):
                self._line(f"{ebuf}[gi][m] = {gbuf}[gi][m];")
            self._line("}")
        self._line("}")

    def _next_spectrum(self, rp: RowPipeline, forward: circ.RFFTOp, size: int) -> None:
        """FFT of the state's hidden block hb − 1, just written, into the next step's half of the buffer."""
        k, bins = rp.block, rp.block // 2 + 1
        in_el = forward.input.type.get_element_type()
        fn = self._fft_function(forward, in_el, forward.result.type.element_type)
        state, zero = self._names[forward.input], self.literal(0.0, in_el)
        self._line(f"{self.ctype(in_el)} fblk[{k}];")
        self._line("#pragma HLS array_partition variable=fblk complete dim=1")
        self._line(f"{self.ctype(forward.result.type.element_type)} fspec[{2 * bins}];")
        self._line("#pragma HLS array_partition variable=fspec complete dim=1")
        with self._loop("m", k):
            load = f"{state}[(hb - 1) * {k} + m]"
            self._line(f"fblk[m] = {load if rp.size % k == 0 else f'(hb - 1) * {k} + m < {rp.size} ? {load} : {zero}'};")
        self._line(f"{fn}(fblk, fspec);")
        with self._loop("j", 2 * bins):
            self._line(f"{self._names[forward.result]}[((t + 1) & 1) * {size} + (hb - 1) * {2 * bins} + j] = fspec[j];")

    def _tail(self, rp: RowPipeline, ebuf: str, outputs: list) -> None:
        """Element n of every tail value, as scalars; yielded ones stored into their arrays."""
        scalars: dict = {}
        writes: list[str] = []
        x = rp.mac.parent_block().args[0]

        scalars[rp.inverse.result] = f"{ebuf}[0][lane]"  # one gate: the rows themselves

        def element(value) -> str:
            return scalars[value] if value in scalars else f"{self._names[value]}[n]"

        for op in rp.tail:
            if isinstance(op, rnn.ConcatOp):
                array, at = self._row_out.get(op.result, (self._names.get(op.result), ""))
                writes += [f"{array}[{at}{j * rp.size} + n] = {scalars[v]};" for j, v in enumerate(op.inputs)]
                continue
            if isinstance(op, rnn.SliceOp) and op.input is rp.inverse.result:
                args = [f"{ebuf}[{rp.gate_of(op)}][lane]"]
            elif isinstance(op, rnn.SliceOp):
                offset = op.offsets.get_values()[0]
                args = [f"{self._names[x]}[{self._row_at}{f'{offset} + ' if offset else ''}n]"]
            else:
                args = [element(v) for v in ([op.input] if isinstance(op, fix.PWLOp) else op.operands)]
            result = op.results[0]
            name = self._fresh(self._hint(result, "e_"))
            self._line(f"{self._ct(result)} {name};")
            if isinstance(op, _SCOPED):
                self._line("{")
                with self.indented():
                    self._element(op, args, name)
                self._line("}")
            else:
                self._element(op, args, name)
            scalars[result] = name
        for v in outputs:
            if not isinstance(v.owner, rnn.ConcatOp):
                array, at = self._row_out.get(v, (self._names.get(v), ""))
                writes.append(f"{array}[{at}n] = {scalars[v]};")
        for line in writes:  # after every read of element n (a scan's states are written in place)
            self._line(line)
