"""How the kernel's top function talks to the chip: `--interface array | axis | m_axi`.

The datapath the emitter prints is always one function of flat arrays (inputs
first). With `array` that function is the top, with `ap_memory` ports: an IP
inside a larger HLS design. With `axis` and `m_axi` it becomes a static
`TOP_datapath`, and the top is a wrapper that moves `count` sequences per call
through on-chip buffers:

- `axis`: one `hls::stream` of AXI-stream beats per port. A frame (the last
  axis of a port: one time step's features, one output vector) is packed into
  beats of `width` bits, `per_beat` elements each, element `e` in bits
  [e·w, (e+1)·w) as its ap_fixed bit pattern (float: IEEE bits, int: two's
  complement); TLAST marks a sequence's last output beat; control is
  `s_axilite` (count and start/done), for a Vivado block design with a DMA.
- `m_axi`: an `extern "C"` Vitis kernel, one `m_axi` bundle per port
  (`offset=slave`), `s_axilite` for the pointers, the count and the return; every
  sequence is copied by a pipelined loop (a burst) into a buffer, computed, and
  copied back.

The beat type is Xilinx's `ap_axiu` when `ap_axi_sdata.h` is on the include path
(Vitis HLS's own `include/`); the open-source ap_types that C simulation uses
here (the hls4ml wheel) do not ship it, and then a struct with the same
`data`/`keep`/`strb`/`last` members stands in, so the same source simulates
with g++ and synthesizes with Vitis. `hls::stream` comes from `hls_stream.h`,
which both ship.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ercc.backends.hls.kernel import EmittedKernel, KernelPort
from ercc.numerics.intmath import ceil_div

MAX_BEAT_BITS = 512  # the widest AXI-stream beat ercc packs (AXI DMA allows up to 1024)


def element_bits(ctype: str, typedefs: dict[str, str]) -> int:
    """Bits of one port element: the ap_fixed width, 32 for float and int."""
    match = re.match(r"ap_u?fixed<(\d+)", typedefs.get(ctype, ctype))
    return int(match.group(1)) if match else 32


def kernel_typedefs(prelude: list[str]) -> dict[str, str]:
    """name → C++ type of the element typedefs in a kernel's prelude (EmittedKernel.prelude)."""
    out = {}
    for line in prelude:
        if line.startswith("typedef ") and line.endswith(";") and "ap_axiu" not in line:
            cpp, name = line[len("typedef "):-1].rsplit(" ", 1)
            out[name] = cpp
    return out


@dataclass(frozen=True)
class StreamLayout:
    """How one port's sequence travels as AXI-stream beats."""

    port: KernelPort
    bits: int  # of one element
    frame: int  # elements of one frame (the port's last axis)
    frames: int  # frames of one sequence
    width: int  # bits of one beat's TDATA (a power of two, >= 8)
    per_beat: int  # elements packed into one beat
    beats_per_frame: int

    @property
    def beats(self) -> int:
        """Beats of one sequence."""
        return self.frames * self.beats_per_frame

    @property
    def beat_type(self) -> str:
        return f"ercc_axis{self.width}_t"


def stream_layout(port: KernelPort, typedefs: dict[str, str]) -> StreamLayout:
    bits = element_bits(port.ctype, typedefs)
    frame = port.shape[-1] if port.shape else 1
    width = min(MAX_BEAT_BITS, max(8, 1 << math.ceil(math.log2(frame * bits))))
    per_beat = max(1, min(frame, width // bits))
    return StreamLayout(port, bits, frame, port.size // frame, width, per_beat, ceil_div(frame, per_beat))


@dataclass(frozen=True)
class PortTransfer:
    """What moving one port's sequence takes, for the cost model's interface section
    (the cost model's interface_cost module, which reads these fields and imports nothing from here)."""

    name: str
    direction: str  # "in" or "out"
    bits: int  # of one element
    size: int  # elements of one sequence
    beats: int  # AXI-stream beats of one sequence (axis)
    beat_bits: int  # bits of one beat's TDATA (axis)


def port_transfers(kernel: EmittedKernel) -> list[PortTransfer]:
    """The kernel's ports, inputs then outputs, as the interface cost model needs them."""
    typedefs = kernel_typedefs(kernel.prelude)
    out = []
    for i, p in enumerate(kernel.inputs + kernel.outputs):
        layout = stream_layout(p, typedefs)
        direction = "in" if i < len(kernel.inputs) else "out"
        out.append(PortTransfer(p.name, direction, layout.bits, p.size, layout.beats, layout.width))
    return out


def is_float(port: KernelPort, typedefs: dict[str, str]) -> bool:
    return typedefs.get(port.ctype, port.ctype) == "float"


def includes(kind: str) -> list[str]:
    return ["#include <ap_int.h>", "#include <hls_stream.h>"] if kind == "axis" else []


def beat_types(layouts: list[StreamLayout]) -> list[str]:
    """The AXI-stream beat types: ap_axiu with Vitis's ap_axi_sdata.h, else a stand-in with its members."""
    widths = sorted({layout.width for layout in layouts})
    lines = [
        "// AXI-stream beats: ap_axiu (ap_axi_sdata.h, Vitis HLS); without that header (the open-source",
        "// ap_types used for C simulation) a struct with the same data/keep/strb/last members.",
        "#if __has_include(<ap_axi_sdata.h>)",
        "#include <ap_axi_sdata.h>",
        *(f"typedef ap_axiu<{w}, 0, 0, 0> ercc_axis{w}_t;" for w in widths),
        "#else",
        *(
            f"struct ercc_axis{w}_t {{ ap_uint<{w}> data; ap_uint<{max(1, w // 8)}> keep;"
            f" ap_uint<{max(1, w // 8)}> strb; ap_uint<1> last; }};"
            for w in widths
        ),
        "#endif",
    ]
    return lines


BIT_CASTS = [
    "// float <-> IEEE-754 bits in a stream beat",
    "static inline float ercc_float_of(ap_uint<32> bits) {",
    "  union { unsigned int u; float f; } c;",
    "  c.u = (unsigned int)bits;",
    "  return c.f;",
    "}",
    "static inline ap_uint<32> ercc_bits_of(float value) {",
    "  union { unsigned int u; float f; } c;",
    "  c.f = value;",
    "  return ap_uint<32>(c.u);",
    "}",
]


def unpack(layout: StreamLayout, typedefs: dict[str, str], beat: str, dst: str, at: str) -> str:
    """C++ statement: element `at` of the beat's data → `dst` (a port element)."""
    lo = f"{at} * {layout.bits}"
    bits = f"{beat}.data.range({lo} + {layout.bits - 1}, {lo})"
    if is_float(layout.port, typedefs):
        return f"{dst} = ercc_float_of({bits});"
    if layout.port.ctype == "int":
        return f"{dst} = (int)(ap_int<32>)(ap_uint<32>){bits};"
    return f"{dst}.range({layout.bits - 1}, 0) = {bits};"


def pack(layout: StreamLayout, typedefs: dict[str, str], beat: str, src: str, at: str) -> str:
    """C++ statement: `src` (a port element) → element `at` of the beat's data."""
    lo = f"{at} * {layout.bits}"
    bits = f"{beat}.data.range({lo} + {layout.bits - 1}, {lo})"
    if is_float(layout.port, typedefs):
        return f"{bits} = ercc_bits_of({src});"
    if layout.port.ctype == "int":
        return f"{bits} = (ap_uint<32>)(ap_int<32>){src};"
    return f"{bits} = {src}.range({layout.bits - 1}, 0);"


def stream_read_loop(layout: StreamLayout, typedefs: dict[str, str], stream: str, buf: str, label: str,
                     indent: str, on_last: str = "") -> list[str]:
    """Loops reading one sequence of `layout`'s beats from `stream` into the flat array `buf`.

    `on_last`: a statement run where TLAST differs from the end of the sequence (the kernel ignores
    its input's TLAST; the testbench checks its outputs').
    """
    lt, n = layout.beat_type, layout.per_beat
    last = f"(f == {layout.frames - 1} && b == {layout.beats_per_frame - 1})"
    return _beat_loops(layout, label, indent, [
        f"const {lt} beat = {stream}.read();",
        *([f"if ((int)beat.last != ({last} ? 1 : 0)) {on_last}"] if on_last else []),
    ], [
        f"const int j = f * {layout.frame} + b * {n} + e;",
        f"if (b * {n} + e < {layout.frame}) {unpack(layout, typedefs, 'beat', f'{buf}[j]', 'e')}",
    ], [])


def stream_write_loop(layout: StreamLayout, typedefs: dict[str, str], stream: str, buf: str, label: str,
                      indent: str) -> list[str]:
    """Loops writing one sequence of `buf` to `stream` as beats, TLAST on the sequence's last beat."""
    lt, n = layout.beat_type, layout.per_beat
    return _beat_loops(layout, label, indent, [
        f"{lt} beat;",
        "beat.data = 0;",
        "beat.keep = -1;",
        "beat.strb = -1;",
        f"beat.last = (f == {layout.frames - 1} && b == {layout.beats_per_frame - 1}) ? 1 : 0;",
    ], [
        f"const int j = f * {layout.frame} + b * {n} + e;",
        f"if (b * {n} + e < {layout.frame}) {pack(layout, typedefs, 'beat', f'{buf}[j]', 'e')}",
    ], [f"{stream}.write(beat);"])


def _beat_loops(layout: StreamLayout, label: str, indent: str, before: list[str], element: list[str],
                after: list[str]) -> list[str]:
    i2, i3, i4 = indent + "  ", indent + "    ", indent + "      "
    return [
        f"{indent}{label}_f: for (int f = 0; f < {layout.frames}; f++) {{",
        f"{i2}{label}_b: for (int b = 0; b < {layout.beats_per_frame}; b++) {{",
        f"{i3}#pragma HLS pipeline II=1",
        *(i3 + s for s in before),
        f"{i3}{label}_e: for (int e = 0; e < {layout.per_beat}; e++) {{",
        f"{i4}#pragma HLS unroll",
        *(i4 + s for s in element),
        f"{i3}}}",
        *(i3 + s for s in after),
        f"{i2}}}",
        f"{indent}}}",
    ]


@dataclass(frozen=True)
class TopFunction:
    """What the emitter adds for an interface: includes, types, array pragmas, the wrapper and its prototype."""

    kind: str
    top: str
    entry: str  # the datapath function (flat arrays) the C-simulation driver calls
    includes: list[str]
    types: list[str]
    datapath_pragmas: list[str]  # array: the top's INTERFACE pragmas
    wrapper: list[str]  # axis/m_axi: the top function
    prototype: str  # the top's declaration, for TOP.h


def array_params(inputs: list[KernelPort], outputs: list[KernelPort]) -> list[tuple[str, KernelPort]]:
    ports = [("input", p) for p in inputs] + [("output", p) for p in outputs]
    return [(f"{'const ' if kind == 'input' else ''}{p.ctype} {p.c_name}[{p.size}]", p) for kind, p in ports]


def top_function(kind: str, top: str, inputs: list[KernelPort], outputs: list[KernelPort],
                 typedefs: dict[str, str], batch: int = 1, count: str = "count",
                 datapath: str | None = None) -> TopFunction:
    """The top function of `kind` around the flat-array datapath.

    `count` and `datapath` (default TOP_datapath) are names no port or table of the kernel takes.
    """
    ports = inputs + outputs
    if kind == "array":
        params = array_params(inputs, outputs)
        pragmas = [f"#pragma HLS INTERFACE ap_memory port={p.c_name}" for p in ports]
        pragmas.append("#pragma HLS INTERFACE ap_ctrl_hs port=return")
        proto = _prototype(f"void {top}", [(d, f"{p.name}: {list(p.shape)}") for d, p in params])
        return TopFunction(kind, top, top, [], [], pragmas, [], proto)
    entry = datapath or f"{top}_datapath"
    call = f"    {entry}({', '.join(f'buf_{p.c_name}' for p in ports)});"
    buffers = [f"  {p.ctype} buf_{p.c_name}[{p.size}];" for p in ports]
    seq = [f"  {kind}_seq: for (int s = 0; s < {count}; s++) {{", f"    #pragma HLS loop_tripcount min=1 max={batch}"]
    if kind == "axis":
        layouts = [stream_layout(p, typedefs) for p in ports]
        params = [
            (f"hls::stream<{lt.beat_type}>& {lt.port.c_name}",
             f"{lt.port.name}: {list(lt.port.shape)} as {lt.beats} beat{'s' if lt.beats != 1 else ''} of {lt.width} bits"
             f" ({lt.per_beat} x {lt.bits}-bit elements)")
            for lt in layouts
        ] + [(f"int {count}", "sequences in this call")]
        pragmas = [f"  #pragma HLS INTERFACE axis port={p.c_name}" for p in ports]
        pragmas += [f"  #pragma HLS INTERFACE s_axilite port={count}", "  #pragma HLS INTERFACE s_axilite port=return"]
        body = [*pragmas, *buffers, *seq]
        for lt in layouts[: len(inputs)]:
            body += stream_read_loop(lt, typedefs, lt.port.c_name, f"buf_{lt.port.c_name}", f"axis_in_{lt.port.c_name}", "    ")
        body.append(call)
        for lt in layouts[len(inputs):]:
            body += stream_write_loop(lt, typedefs, lt.port.c_name, f"buf_{lt.port.c_name}", f"axis_out_{lt.port.c_name}", "    ")
        types = beat_types(layouts) + ([""] + BIT_CASTS if any(is_float(p, typedefs) for p in ports) else [])
        inc = includes(kind)
        head = f"void {top}"
    elif kind == "m_axi":
        params = [
            (f"{'const ' if i < len(inputs) else ''}{p.ctype}* {p.c_name}", f"{p.name}: {p.size} elements a sequence")
            for i, p in enumerate(ports)
        ] + [(f"int {count}", "sequences in this call")]
        pragmas = [
            f"  #pragma HLS INTERFACE m_axi port={p.c_name} offset=slave bundle=gmem{i}"
            f" depth={p.size * batch} max_read_burst_length=256 max_write_burst_length=256"
            for i, p in enumerate(ports)
        ]
        pragmas += [f"  #pragma HLS INTERFACE s_axilite port={p}" for p in [*(q.c_name for q in ports), count, "return"]]
        body = [*pragmas, *buffers, *seq]
        for i, p in enumerate(ports):
            if i == len(inputs):
                body.append(call)
            src, dst = (f"{p.c_name}[s * {p.size} + j]", f"buf_{p.c_name}[j]")
            if i >= len(inputs):
                src, dst = dst, src
            body += [
                f"    m_axi_{'load' if i < len(inputs) else 'store'}_{p.c_name}: for (int j = 0; j < {p.size}; j++) {{",
                "      #pragma HLS pipeline II=1",
                f"      {dst} = {src};",
                "    }",
            ]
        inc, types, head = [], [], f'extern "C" void {top}'
    else:
        raise ValueError(f"unknown interface {kind!r}")
    body.append("  }")
    proto = _prototype(head, params)
    return TopFunction(kind, top, entry, inc, types, [], [proto[: -len(";")] + " {", *body, "}"], proto)


def _prototype(head: str, params: list[tuple[str, str]]) -> str:
    lines = [f"{head}("]
    for i, (decl, comment) in enumerate(params):
        sep = "," if i < len(params) - 1 else ""
        lines.append(f"    {decl}{sep}  // {comment}")
    return "\n".join(lines) + "\n);"
