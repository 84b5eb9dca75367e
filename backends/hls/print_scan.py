"""Printing `rnn.scan` and `rnn.map`: the recurrence loop over time steps and the per-row map.

A step's body is printed in place, its states updated by copies or in
place; `sched.overlap` splits the loop into prologue and overlapped steps,
and `sched.row_pipeline` hands the MAC, inverse FFT and tail to
`row_loop.py`.
"""

from __future__ import annotations

from contextlib import ExitStack

from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.traits import ConstantLike

from ercc.backends.hls.printer_base import HLSPrinterBase, array_size, element_type, read_partition
from ercc.dialects import circ, rnn
from ercc.dialects.sched import STREAM, OverlapAttr, StreamAttr
from ercc.dialects.sched_rows import overlap_of, pipeline_of, reads_rows, state_spectrum, writes_rows


class ScanPrinter(HLSPrinterBase):
    """The `_emit` cases of `rnn.scan` and `rnn.map` (mixed into `emitter.HLSPrinter`)."""

    @HLSPrinterBase._emit.register
    def _(self, op: rnn.ScanOp) -> None:
        """The time loop. In a dataflow region all of it (initial states, the empty-sequence case)
        is inside the loop, so that the loop is the only process writing the states."""
        steps = rnn.shape_of(op.xs)[0]
        block = op.body.block
        if (plan := overlap_of(op)) is not None:
            self._overlapped_scan(op, plan)
            return
        states = []
        ys = self._array(op.ys)
        self._stream(op, ys)
        for arg in block.args[1:]:
            states.append(self._array(arg))
        for final, state in zip(op.finals, states):
            self._names[final] = state
        forward = state_spectrum(op)
        if forward is not None:  # two steps' spectra of the state: the row pipeline writes the next one
            self._spectra(forward.result)
        if not self._dataflow:
            self._initial_states(op, states)
        y_size = array_size(op.init[0].type)
        length = None
        if op.lengths is not None:
            # sequence_lens: static trip count T, steps t >= len only write zero rows.
            raw, length = f"{self._names[op.lengths]}[0]", self._fresh("seq_len")
            clamp = f"const int {length} = {raw} < 0 ? 0 : ({raw} > {steps} ? {steps} : {raw});"
            if not self._dataflow:
                self._line(clamp)
        with self._loop("t", steps):
            if self._dataflow:
                self._line("if (t == 0) {")
                with self.indented():
                    self._initial_states(op, states)
                self._line("}")
                if length is not None:
                    self._line(clamp)
            with ExitStack() as guard:
                if length is not None:
                    self._line(f"if (t < {length}) {{")
                    guard.enter_context(self.indented())
                step = "t"
                if op.reverse is not None:
                    last = f"{length} - 1" if length is not None else f"{steps - 1}"
                    self._line(f"const int s = {last} - t;")
                    step = "s"
                yielded = self._step(block, self._names[op.xs], step)
                sources = [self._names[v] for v in yielded.values]
                self._update_states(states, sources, [v.type for v in yielded.values])
                self._copy(ys, states[0], y_size, dst_at=f"{step} * {y_size} + ", scheduled=True)
            if length is not None:
                self._line("} else {")
                with self.indented(), self._loop("i0", y_size) as i:
                    self._line(f"{ys}[t * {y_size} + {i}] = {self._lit(0.0, op.ys)};")
                self._line("}")
                if self._dataflow:
                    self._line(f"if (t == {steps - 1}) {{")
                    with self.indented():
                        self._empty_sequence(op, states, length)
                    self._line("}")
        if length is not None and not self._dataflow:
            self._empty_sequence(op, states, length)

    def _overlapped_scan(self, op: rnn.ScanOp, plan: OverlapAttr) -> None:
        """A scan whose steps run as one loop: states written in place (read from their initial
        values at step 0), x_t read from its rows, y_t written by the tail."""
        block = op.body.block
        rp = pipeline_of(op)
        forward = state_spectrum(op)
        ys = self._array(op.ys)
        states = [self._array(arg) for arg in block.args[1:]]
        for final, state in zip(op.finals, states):
            self._names[final] = state
        self._spectra(forward.result)
        step = "s" if op.reverse is not None else "t"
        self._names[block.args[0]] = self._names[op.xs]
        self._row_at = f"{step} * {array_size(block.args[0].type)} + "
        for inner in block.ops:
            if inner.has_trait(ConstantLike):
                self.emit(inner)
        for position, value in enumerate(block.last_op.operands):
            self._names.setdefault(value, states[position])
        first = {arg: self._names[init] for arg, init in zip(block.args[1:], op.init)}
        also = ((block.last_op.operands[0], ys, f"{step} * {array_size(op.init[0].type)} + "),)
        self.emit(rp.mac, lambda _: self._overlapped_scan_rows(rp, plan, forward, step, first, also))
        self._row_at = ""

    def _spectra(self, value: SSAValue) -> None:
        """Two steps' spectra of a value (a scan's state, a map's x_t): step t's and t + 1's."""
        size = array_size(value.type)
        spectra = self._fresh(self._hint(value, "v_"))
        self._line(f"{self._ct(value)} {spectra}[{2 * size}];")
        banks = read_partition(value)
        if banks > 1:
            self._line(f"#pragma HLS array_partition variable={spectra} cyclic factor={banks} dim=1")
        self._names[value] = spectra

    def _initial_states(self, op: rnn.ScanOp, states: list[str]) -> None:
        for state, arg, init in zip(states, op.body.block.args[1:], op.init):
            self._copy(state, self._names[init], array_size(arg.type))

    def _empty_sequence(self, op: rnn.ScanOp, states: list[str], length: str) -> None:
        """onnxruntime returns zero final states for an empty sequence."""
        self._line(f"if ({length} == 0) {{")
        with self.indented():
            for state, arg in zip(states, op.body.block.args[1:]):
                with self._loop("i0", array_size(arg.type)) as i:
                    self._line(f"{state}[{i}] = {self._lit(0.0, arg)};")
        self._line("}")

    def _step(self, block: Block, xs: str, step: str) -> rnn.YieldOp:
        """One step of a map or scan body: x_t copied in from row `step` of xs (a row pipeline
        may read it there directly), then the body's ops."""
        x_size = array_size(block.args[0].type)
        rows = pipeline_of(block.parent_op())
        if rows is not None and reads_rows(block.parent_op()):
            self._names[block.args[0]] = xs
            self._row_at = f"{step} * {x_size} + "
        else:
            x = self._array(block.args[0])
            self._copy(x, xs, x_size, src_at=f"{step} * {x_size} + ", scheduled=True)
            self._row_at = ""
        inside = {rows.inverse, *rows.tail} if rows is not None else set()
        ops = list(block.ops)
        if rows is not None:  # constants first (file-scope tables): the pipeline's tail may read them
            ops.sort(key=lambda o: not o.has_trait(ConstantLike))
        forward = state_spectrum(block.parent_op())
        for inner in ops:
            if rows is not None and inner is rows.mac:
                self.emit(inner, lambda _: self._row_pipeline(rows, forward))
            elif inner is forward:  # later steps' spectra come from the row pipeline
                self._line("if (t == 0) {")
                with self.indented():
                    self.emit(inner)
                self._line("}")
            elif not isinstance(inner, rnn.YieldOp) and inner not in inside:
                self.emit(inner)
        yielded = block.last_op
        assert isinstance(yielded, rnn.YieldOp)
        return yielded

    def _stream(self, op: Operation, array: str) -> None:
        """The FIFO pragma of a process whose rows stream to the next one (`sched.stream`)."""
        stream = op.attributes.get(STREAM)
        if isinstance(stream, StreamAttr):
            self._line(f"#pragma HLS stream variable={array} depth={stream.depth.data}")

    @HLSPrinterBase._emit.register
    def _(self, op: rnn.MapOp) -> None:
        block = op.body.block
        rows = [self._array(y) for y in op.ys]
        self._stream(op, rows[0])
        if (plan := overlap_of(op)) is not None:
            self._overlapped_map(op, plan, rows)
            return
        direct = pipeline_of(op) is not None and writes_rows(op)
        with self._loop("t", rnn.shape_of(op.xs)[0]):
            if direct:  # the row pipeline's tail writes row t itself
                self._row_out = {
                    v: (row, f"t * {array_size(v.type)} + ") for row, v in zip(rows, block.last_op.operands)
                }
            yielded = self._step(block, self._names[op.xs], "t")
            self._row_out = {}
            for row, value in zip(rows, yielded.values):
                size = array_size(value.type)
                if not direct:
                    self._copy(row, self._names[value], size, dst_at=f"t * {size} + ", scheduled=True)

    def _overlapped_map(self, op: rnn.MapOp, plan: OverlapAttr, rows: list[str]) -> None:
        """A map whose steps run as one loop: x_t's FFT and tail read its rows, the tail writes the
        output rows in place."""
        block = op.body.block
        rp = pipeline_of(op)
        fft = next(o for o in block.ops if isinstance(o, circ.RFFTOp))
        xs = self._names[op.xs]
        self._spectra(fft.result)
        self._names[block.args[0]] = xs
        self._row_at = f"tt * {array_size(block.args[0].type)} + "
        self._row_out = {v: (row, f"tt * {array_size(v.type)} + ") for row, v in zip(rows, block.last_op.operands)}
        for inner in block.ops:
            if inner.has_trait(ConstantLike):
                self.emit(inner)
        steps = rnn.shape_of(op.xs)[0]
        self.emit(rp.mac, lambda _: self._overlapped_map_rows(rp, plan, fft, xs, steps))
        self._row_at, self._row_out = "", {}

    def _update_states(self, states: list[str], sources: list[str], types: list[Attribute]) -> None:
        """states[i] = sources[i]; through temporaries when one source is another state."""
        crossed = any(src in states and src != dst for src, dst in zip(sources, states))
        if crossed:
            temps = []
            for src, t in zip(sources, types):
                temps.append(self._fresh("v_next"))
                self._line(f"{self.ctype(element_type(t))} {temps[-1]}[{array_size(t)}];")
                self._copy(temps[-1], src, array_size(t), scheduled=True)
            sources = temps
        for dst, src, t in zip(states, sources, types):
            if src != dst:
                self._copy(dst, src, array_size(t), scheduled=True)
