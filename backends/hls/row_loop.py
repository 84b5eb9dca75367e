"""Printing a row pipeline (`sched.row_pipeline`): a step's MAC engine, inverse FFT and tail as one loop.

One pipelined loop walks the stacked gate weights' block rows hidden block
by hidden block (`ercc.dialects.sched_rows`): iteration i accumulates U
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
from ercc.dialects.sched import FABRIC_MUL, OverlapAttr, PartialSums
from ercc.dialects.sched_rows import RowPipeline

_SCOPED = (rnn.ActivationOp, rnn.ClampOp, fix.PWLOp)  # their element code declares locals


class RowPipelinePrinter:
    """The HLS printer's row-pipeline method (mixed into `HLSPrinter`)."""

    def _row_pipeline(self, rp: RowPipeline, forward: circ.RFFTOp | None = None) -> None:
        """`forward`: the state's FFT whose next-step spectrum the loop writes (`streamed_spectrum`)."""
        mac = rp.mac
        (p, q), k = mac.weight.type.grid, rp.block
        bins = k // 2 + 1
        sched = self._schedule
        unroll = max(1, min(sched.unroll.data if sched is not None else 1, q))
        ii = sched.ii.data if sched is not None else 1
        groups, lanes, gates = rp.groups(unroll), rp.lanes(unroll), rp.gates
        per_block = gates * groups
        self._line("// circ.freq_mac, circ.irfft and the elementwise tail: one row pipeline")
        self._fabric = FABRIC_MUL in mac.parent_op().attributes
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
        gbuf, ebuf = self._gate_buffers(rp)
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
                    self._inverse_row(rp, acc, gbuf)
                self._line("}")
            self._line("}")
            self._line(f"if (i >= {per_block}) {{")
            with self.indented():
                self._tail_lanes(rp, lanes, "i", per_block, "(hb - 1)", ebuf, outputs)
            self._line("}")
            if forward is not None:
                self._line(f"if (i >= {per_block} && i % {per_block} == {per_block - 1}) {{")
                with self.indented():
                    self._next_spectrum(rp, forward, spectrum_size)
                self._line("}")
            self._copy_gates(f"i % {per_block} == {per_block - 1}", rp, gbuf, ebuf)
        self._line("}")
        self._fabric = False

    def _overlapped_scan_rows(self, rp: RowPipeline, plan: OverlapAttr, forward: circ.RFFTOp, step: str, first: dict,
                              also: tuple) -> None:
        """A scan's steps as one loop (`overlap`): step t's iterations i < p finish its rows (the
        last column group, on the partial sums; then inverse FFT, tail, next-state FFT as in a row
        pipeline), iterations i ≥ p sum the other column groups of step t + 1's rows into
        `partial`. Step 0's products are zero (zero initial state): they are skipped."""
        mac = rp.mac
        (p, q), k, gates = mac.weight.type.grid, rp.block, rp.gates
        bins = k // 2 + 1
        sched = self._schedule
        unroll = max(1, min(sched.unroll.data if sched is not None else 1, q))
        ii = sched.ii.data if sched is not None else 1
        groups, lanes = rp.groups(unroll), rp.finishing_lanes
        lead = groups - 1
        spectra = self._names[forward.result]
        self._line("// circ.freq_mac, circ.irfft and the elementwise tail: one row pipeline over all steps")
        self._fabric = FABRIC_MUL in mac.parent_op().attributes
        acc = self._accumulator(mac)
        acc_el = mac.accumulator if mac.accumulator is not None else mac.result.type.element_type
        partial = self._fresh("partial")
        self._line(f"{self.ctype(acc_el)} {partial}[{p}][{2 * bins}];")
        layout = "array_reshape" if plan.partial_sums.data == PartialSums.RESHAPE else "array_partition"
        self._line(f"#pragma HLS {layout} variable={partial} complete dim=2")
        gbuf, ebuf = self._gate_buffers(rp)
        self._schedule = None
        label = self._fresh_label(f"{self._tag}_steps")
        self._line(f"{label}: for (int it = 0; it < {plan.total.data}; it++) {{")
        with self.indented():
            self._line(f"#pragma HLS pipeline II={ii}")
            # Written >= `overlap`'s slack iterations before read (next-state blocks; partial sums of
            # step t + 1 after step t's last read): HLS need not order them.
            for array in (spectra, partial):
                self._line(f"#pragma HLS dependence variable={array} inter false")
            self._line(f"const int t = it / {plan.step.data};")
            self._line(f"const int i = it % {plan.step.data};")
            if step != "t":
                self._line(f"const int {step} = {rnn.shape_of(rp.mac.parent_op().xs)[0] - 1} - t;")
            self._line(f"const bool fin = i < {p};")
            self._line(f"const int a = i - {p};")
            self._line(f"const int hb = fin ? i / {gates} : a / {gates * lead};")
            self._line(f"const int gt = fin ? i % {gates} : (a / {lead}) % {gates};")
            self._line(f"const int r = gt * {rp.rows_per_gate} + hb;")
            self._line(f"const int g = fin ? {groups - 1} : a % {lead};")
            self._line("if (fin) {")
            with self.indented(), self._loop("j", 2 * bins):
                self._line(f"{acc}[j] = t == 0 ? {self.literal(0.0, acc_el)} : {partial}[r][j];")
            self._line("}")
            self._line("if (!fin || t > 0) {")
            spectrum_size = 2 * rp.rows_per_gate * bins
            with self.indented():
                self._schedule = sched
                self._mac_pes(mac, acc, unroll, f"(fin ? t & 1 : (t + 1) & 1) * {spectrum_size} + ")
                self._schedule = None
            self._line("}")
            self._line("if (fin) {")
            with self.indented():
                self._inverse_row(rp, acc, gbuf)
            self._line(f"}} else if (g == {lead - 1}) {{")
            with self.indented(), self._loop("j", 2 * bins):
                self._line(f"{partial}[r][j] = {acc}[j];")
            self._line("}")
            self._line(f"const int tb = i / {gates} - 1;")
            self._line(f"if (i >= {gates} && i < {p + gates}) {{")
            with self.indented():
                self._tail_lanes(rp, lanes, "i", gates, "tb", ebuf, list(dict.fromkeys(rp.mac.parent_block().last_op.operands)),
                                 first=first, also=also)
                self._line(f"if (i % {gates} == {gates - 1}) {{")
                with self.indented():
                    self._next_spectrum(rp, forward, spectrum_size, "tb")
                self._line("}")
            self._line("}")
            self._copy_gates(f"fin && i % {gates} == {gates - 1}", rp, gbuf, ebuf)
        self._line("}")
        self._schedule, self._fabric = sched, False

    def _overlapped_map_rows(self, rp: RowPipeline, plan: OverlapAttr, fft: circ.RFFTOp, xs: str, steps: int) -> None:
        """A map's steps as one loop (`overlap`): the first iterations transform x_0, then each step's
        rows run as in a row pipeline while one FFT unit transforms x_t+1 block by block; the tail
        of a hidden block runs during the next block's rows, across steps (the last one drains)."""
        mac = rp.mac
        (_, q), k, gates = mac.weight.type.grid, rp.block, rp.gates
        bins = k // 2 + 1
        sched = self._schedule
        unroll = max(1, min(sched.unroll.data if sched is not None else 1, q))
        ii = sched.ii.data if sched is not None else 1
        groups, lanes = rp.groups(unroll), rp.lanes(unroll)
        per_block, n_rows = gates * groups, plan.step.data * steps
        x_size = rnn.shape_of(fft.input)[0]
        spectra, size = self._names[fft.result], q * 2 * bins
        in_el, spec_el = fft.input.type.get_element_type(), fft.result.type.element_type
        self._fabric = FABRIC_MUL in mac.parent_op().attributes
        fn = self._fft_function(fft, in_el, spec_el)
        self._line("// circ.rfft, circ.freq_mac, circ.irfft and the elementwise tail: one row pipeline over all steps")
        acc = self._accumulator(mac)
        gbuf, ebuf = self._gate_buffers(rp)
        self._schedule = None
        label = self._fresh_label(f"{self._tag}_steps")
        self._line(f"{label}: for (int it = 0; it < {plan.total.data}; it++) {{")
        with self.indented():
            self._line(f"#pragma HLS pipeline II={ii}")
            # x_t+1's blocks are written >= `overlap`'s slack iterations before step t + 1 reads them.
            self._line(f"#pragma HLS dependence variable={spectra} inter false")
            self._line(f"const int ri = it - {plan.prologue.data};")
            self._line(f"const int t = ri / {plan.step.data};")
            self._line(f"const int i = ri % {plan.step.data};")
            self._line(f"if (it < {q} || (ri >= 0 && i < {q} && t + 1 < {steps})) {{")
            with self.indented():
                self._line(f"const int ft = it < {q} ? 0 : t + 1;")
                self._line(f"const int fb = it < {q} ? it : i;")
                self._block_fft(fn, in_el, spec_el, k, f"{xs}[ft * {x_size} + fb * {k} + m]",
                                None if x_size % k == 0 else f"fb * {k} + m < {x_size}",
                                f"{spectra}[(ft & 1) * {size} + fb * {2 * bins} + j]")
            self._line("}")
            self._line(f"if (ri >= 0 && ri < {n_rows}) {{")
            with self.indented():
                self._line(f"const int hb = i / {per_block};")
                self._line(f"const int gt = (i / {groups}) % {gates};")
                self._line(f"const int r = gt * {rp.rows_per_gate} + hb;")
                self._line(f"const int g = i % {groups};")
                self._schedule = sched
                self._mac_pes(mac, acc, unroll, f"(t & 1) * {size} + ")
                self._schedule = None
                self._line(f"if (g == {groups - 1}) {{")
                with self.indented():
                    self._inverse_row(rp, acc, gbuf)
                self._line("}")
            self._line("}")
            self._line(f"if (ri >= {per_block}) {{")
            with self.indented():
                self._line(f"const int tb = ri / {per_block} - 1;")
                self._line(f"const int tt = tb / {rp.rows_per_gate};")
                self._line(f"const int hbt = tb % {rp.rows_per_gate};")
                self._tail_lanes(rp, lanes, "ri", per_block, "hbt", ebuf,
                                 list(dict.fromkeys(mac.parent_block().last_op.operands)))
            self._line("}")
            self._copy_gates(f"ri >= 0 && ri % {per_block} == {per_block - 1}", rp, gbuf, ebuf)
        self._line("}")
        self._schedule, self._fabric = sched, False

    def _gate_buffers(self, rp: RowPipeline) -> tuple[str, str]:
        """The gate buffer the inverse FFT fills row by row, and its copy the tail reads."""
        out_el = rp.inverse.result.type.get_element_type()
        gbuf, ebuf = self._fresh("gbuf"), self._fresh("ebuf")
        for buf in (gbuf, ebuf):
            self._line(f"{self.ctype(out_el)} {buf}[{rp.gates}][{rp.block}];")
            self._line(f"#pragma HLS array_partition variable={buf} complete dim=0")
        return gbuf, ebuf

    def _copy_gates(self, when: str, rp: RowPipeline, gbuf: str, ebuf: str) -> None:
        """When a hidden block's last row is out (`when`), the gate buffer to the tail's copy."""
        self._line(f"if ({when}) {{")
        with self.indented(), self._loop("gi", rp.gates), self._loop("m", rp.block):
            self._line(f"{ebuf}[gi][m] = {gbuf}[gi][m];")
        self._line("}")

    def _inverse_row(self, rp: RowPipeline, acc: str, gbuf: str) -> None:
        """A finished block row (gate `gt`): its sums' inverse FFT into the gate buffer."""
        k, bins = rp.block, rp.block // 2 + 1
        spec_el, out_el = rp.mac.result.type.element_type, rp.inverse.result.type.get_element_type()
        fn = self._fft_function(rp.inverse, spec_el, out_el)
        self._line(f"{self.ctype(spec_el)} spec[{2 * bins}];")
        self._line("#pragma HLS array_partition variable=spec complete dim=1")
        self._line(f"{self.ctype(out_el)} blk[{k}];")
        self._line("#pragma HLS array_partition variable=blk complete dim=1")
        with self._loop("j", 2 * bins):
            self._line(f"spec[j] = {acc}[j];")
        self._line(f"{fn}(spec, blk);")
        with self._loop("m", k):
            self._line(f"{gbuf}[gt][m] = blk[m];")

    def _tail_lanes(self, rp: RowPipeline, lanes: int, i: str, per_block: int, at: str, ebuf: str,
                    outputs: list, **tail) -> None:
        """`lanes` elements of hidden block `at` a cycle, the block's `per_block` iterations counted by `i`."""
        k, size = rp.block, rp.size
        with self._loop("l", lanes):
            self._line(f"const int lane = ({i} % {per_block}) * {lanes} + l;")
            self._line(f"const int n = {at} * {k} + lane;")
            guards = ([f"lane < {k}"] if per_block * lanes > k else []) + ([f"n < {size}"] if size % k else [])
            if guards:
                self._line(f"if ({' && '.join(guards)}) {{")
            with self.indented() if guards else nullcontext():
                self._tail(rp, ebuf, outputs, **tail)
            if guards:
                self._line("}")

    def _next_spectrum(self, rp: RowPipeline, forward: circ.RFFTOp, size: int, at: str = "(hb - 1)") -> None:
        """FFT of the state's hidden block `at` (hb − 1), just written, into the next step's half of the buffer."""
        k, bins = rp.block, rp.block // 2 + 1
        in_el, out_el = forward.input.type.get_element_type(), forward.result.type.element_type
        fn = self._fft_function(forward, in_el, out_el)
        self._block_fft(fn, in_el, out_el, k, f"{self._names[forward.input]}[{at} * {k} + m]",
                        None if rp.size % k == 0 else f"{at} * {k} + m < {rp.size}",
                        f"{self._names[forward.result]}[((t + 1) & 1) * {size} + {at} * {2 * bins} + j]")

    def _block_fft(self, fn: str, in_el, out_el, k: int, load: str, valid: str | None, store: str) -> None:
        """One block through FFT function `fn`: element m is `load` (zero where not `valid`), value j
        of its spectrum goes to `store` (C expressions in m and j)."""
        self._line(f"{self.ctype(in_el)} fblk[{k}];")
        self._line("#pragma HLS array_partition variable=fblk complete dim=1")
        self._line(f"{self.ctype(out_el)} fspec[{2 * (k // 2 + 1)}];")
        self._line("#pragma HLS array_partition variable=fspec complete dim=1")
        with self._loop("m", k):
            self._line(f"fblk[m] = {load if valid is None else f'{valid} ? {load} : {self.literal(0.0, in_el)}'};")
        self._line(f"{fn}(fblk, fspec);")
        with self._loop("j", 2 * (k // 2 + 1)):
            self._line(f"{store} = fspec[j];")

    def _tail(self, rp: RowPipeline, ebuf: str, outputs: list, first: dict | None = None,
              also: tuple = ()) -> None:
        """Element n of every tail value, as scalars; yielded ones stored into their arrays.

        `first`: states read from their initial value at step 0 (an overlapped scan
        writes no initial copy); `also`: (value, array, offset) more stores.
        """
        scalars: dict = {v: f"(t == 0 ? {init}[n] : {self._names[v]}[n])" for v, init in (first or {}).items()}
        writes: list[str] = []
        x = rp.mac.parent_block().args[0]

        scalars[rp.inverse.result] = f"{ebuf}[0][lane]"  # one gate: the rows themselves

        def element(value) -> str:
            if value in scalars:
                return scalars[value]
            return f"{self._names[value]}[{self._row_at if value is x else ''}n]"

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
                args = [element(v) for v in ([op.input] if isinstance(op, fix.PWLOp | fix.TableOp) else op.operands)]
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
        writes += [f"{array}[{at}n] = {scalars[v]};" for v, array, at in also]
        for v in outputs:
            if not isinstance(v.owner, rnn.ConcatOp):
                array, at = self._row_out.get(v, (self._names.get(v), ""))
                writes.append(f"{array}[{at}n] = {scalars[v]};")
        for line in writes:  # after every read of element n (a scan's states are written in place)
            self._line(line)
