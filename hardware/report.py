"""The cost report as a table for the terminal."""

from __future__ import annotations


def format_table(report: dict) -> str:
    """The estimate, per stage and in total, labelled as an estimate."""
    lines = [
        f"ercc cost-model ESTIMATE (not a synthesis result): {report['device']} at {report['clock_mhz']:g} MHz",
        f"{'stage':<46} {'cycles/frame':>12} {'DSP':>7} {'LUT':>9} {'mults/frame':>12}",
    ]
    for stage in report["per_layer"]:
        cycles = stage.get("cycles_per_frame", stage.get("cycles", 0))
        lines.append(
            f"{stage['stage']:<46} {cycles:>12,} {stage['dsp']:>7,} {stage['lut']:>9,}"
            f" {stage.get('mults_per_frame', 0):>12,}"
        )
    lines += [
        f"{'total':<46} {report['cycles_per_frame']:>12,} {report['dsp']:>7,} {report['lut']:>9,}"
        f" {report['mults_per_frame']:>12,}",
        f"frames/s {report['throughput_fps']:,.1f}; sequence latency {report['latency_cycles']:,} cycles;"
        f" DSP {report['dsp']:,}/{report['dsp_available']:,}; BRAM18K {report['bram18k']:,}/{report['bram18k_available']:,};"
        f" LUT {report['lut']:,}/{report['lut_available']:,}; weights {report['weight_bytes']:,} bytes",
        "stages overlap as a dataflow pipeline: a frame costs the slowest stage"
        if report.get("dataflow")
        else "stages run one after another: a frame costs their sum",
        f"DSP-bound limit {report['dsp_bound_cycles_per_frame']:,} cycles/frame"
        f" (ratio to the estimate {report['dsp_bound_ratio']:.4f})",
    ]
    if "interface" in report:
        from ercc.hardware.interface_cost import format_interface

        lines.append(format_interface(report["interface"]))
    if report.get("over_device"):
        lines.append(
            f"does NOT fit {report['device']}: {', '.join(report['over_device'])} over (the smallest schedule"
            " ercc can emit for this model: try a larger block size, fewer bits or a larger part)"
        )
    return "\n".join(lines)
