"""What the top function's interface costs: transfer cycles, batched throughput, added resources.

ESTIMATES, like the rest of the cost model. The datapath estimate
(`cost_model.estimate`) prices one sequence once its inputs are in on-chip
arrays; the wrappers of `backends/hls/interface.py` move each sequence in,
compute it, and move it out, one after another, `count` sequences per call
(the ports as the backend describes them, `port_transfers`):

- `array`: the caller's memories are the ports; nothing is moved; one sequence a call;
- `axis`: one beat per cycle (the read and write loops are pipelined at II 1),
  `beats` per port and sequence;
- `m_axi`: one element per cycle in bursts, plus `BURST_LATENCY` cycles per
  burst (one burst per port and sequence) for the round trip to DDR/HBM.

An axis/m_axi call costs `CALL_OVERHEAD` cycles of `s_axilite` register
writes and start/done handshakes, paid once per batch. Added resources are typical
UltraScale figures for the adapters Vitis HLS generates (an `s_axilite` slave,
one `m_axi` master per bundle with its burst FIFOs, an `axis` register slice
per stream), plus the on-chip buffers of one sequence per port.
"""

from __future__ import annotations

from ercc.hardware.memory import array_brams

BURST_LATENCY = 64  # cycles from a burst request to its first beat (Vitis m_axi `latency` default)
CALL_OVERHEAD = 20  # cycles to write the s_axilite registers and see ap_start/ap_done
S_AXILITE_LUT = 150  # the slave's address decoder and handshake
S_AXILITE_LUT_PER_REGISTER = 20  # per 32-bit register (count, each 64-bit pointer: two)
M_AXI_LUT = 1200  # one master: read/write channels, burst counters
M_AXI_BRAM18K = 1  # its burst FIFO (read for inputs, write for outputs)


def interface_cost(kind: str, batch: int, ports: list, estimate: dict) -> dict:
    """The `interface` section of the cost report: `kind` (array, axis, m_axi) moving `batch`
    sequences a call through `ports` (inputs then outputs, each with `name`, `direction`, `bits`
    and `size` of one sequence, and `beats` and `beat_bits` as an AXI stream: the backend's
    `port_transfers`), around the datapath `estimate`."""
    n = batch
    transfers, lut, bram = [], 0, 0
    for p in ports:
        if kind == "axis":
            cycles, width = p.beats, p.beat_bits
            lut += width // 8
        elif kind == "m_axi":
            cycles, width = p.size + BURST_LATENCY, p.bits
            lut += M_AXI_LUT
            bram += M_AXI_BRAM18K
        else:
            cycles, width = 0, p.bits
        if kind != "array":
            bram += array_brams(p.size, p.bits, 1)  # the wrapper's buffer of one sequence
        transfers.append({"port": p.name, "direction": p.direction, "bus_bits": width, "cycles_per_sequence": cycles})
    if kind != "array":
        registers = 1 + (2 * len(ports) if kind == "m_axi" else 0)  # count, and 64-bit pointers
        lut += S_AXILITE_LUT + S_AXILITE_LUT_PER_REGISTER * registers
    load = sum(t["cycles_per_sequence"] for t in transfers if t["direction"] == "in")
    store = sum(t["cycles_per_sequence"] for t in transfers if t["direction"] == "out")
    sequence = load + estimate["latency_cycles"] + store
    overhead = 0 if kind == "array" else CALL_OVERHEAD  # array: the caller's FSM drives ap_start itself
    call = overhead + n * sequence
    clock = estimate["clock_mhz"] * 1e6
    T = estimate["sequence_length"]
    return {
        "interface": kind,
        "batch": n,
        "transfers": transfers,
        "load_cycles_per_sequence": load,
        "store_cycles_per_sequence": store,
        "latency_cycles_one_sequence": overhead + sequence,
        "latency_us_one_sequence": (overhead + sequence) / clock * 1e6,
        "cycles_per_call": call,
        "frames_per_s_back_to_back": n * T * clock / call if call else 0.0,
        "sequences_per_s_back_to_back": n * clock / call if call else 0.0,
        "adds": {"lut": lut, "bram18k": bram, "dsp": 0},
        "adds_what": _adds(kind, len(ports)),
    }


def _adds(kind: str, ports: int) -> str:
    if kind == "array":
        return "nothing: ap_memory ports are the caller's memories, ap_ctrl_hs two wires"
    if kind == "axis":
        return f"an s_axilite slave (count, start/done), {ports} AXI-stream register slices, one sequence buffer per port"
    return f"an s_axilite slave (pointers, count, start/done), {ports} m_axi masters with burst FIFOs, one sequence buffer per port"


def format_interface(section: dict) -> str:
    """Two lines for the terminal table."""
    s = section
    return (
        f"interface {s['interface']}, batch {s['batch']}: {s['frames_per_s_back_to_back']:,.1f} frames/s back to back;"
        f" one sequence {s['latency_cycles_one_sequence']:,} cycles ({s['latency_us_one_sequence']:.2f} us),"
        f" transfers {s['load_cycles_per_sequence']:,} in + {s['store_cycles_per_sequence']:,} out cycles\n"
        f"interface adds LUT {s['adds']['lut']:,}, BRAM18K {s['adds']['bram18k']:,}: {s['adds_what']}"
    )


