"""The `ercc` command line.

    ercc MODEL.onnx -o kernel.cpp [options]            compile to an HLS C++ kernel
    ercc simulate MODEL.onnx --inputs in.npz -o out.npz  C-simulate the kernel
    ercc admm MODEL.onnx --data train.npz -o out.onnx  ADMM block-circulant training
    ercc explore MODEL.onnx --data train.npz -o runs/NAME/  design-space exploration
    ercc export-onnx MODEL.onnx -o OUT.onnx --block-size K  the compressed model as ONNX

Exit codes: 0 success, 1 internal error (a bug in ercc; --debug shows the
traceback), 2 user error (bad model, bad input, bad option), one line on stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from ercc import __version__
from ercc.compiler import progress
from ercc.compiler.pipeline import INTERFACES, PRECISIONS, QUANT_DATAPATHS, CompileOptions
from ercc.errors import EXIT_INTERNAL, EXIT_OK, EXIT_USER, ErccError


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports bad usage as one `ercc: error:` line with exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        raise ErccError(f"{message} (see '{self.prog} --help')")


def _add_compile_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("compilation options")
    g.add_argument(
        "--block-size", type=int, default=1, metavar="K",
        help="block size of the block-circulant recurrent weights; a power of two; 1 keeps them dense (default 1)",
    )
    g.add_argument(
        "--precision", choices=PRECISIONS, default="fixed",
        help="datapath number format of the kernel: fixed, the 16-bit ap_fixed datapath of docs/fixed-point.md"
        " (default; calibrated with --calib), or float (float32 arithmetic, what onnxruntime computes)",
    )
    g.add_argument(
        "--weight-bits", type=int, default=16, metavar="W",
        help="with --precision fixed: width of every weight table, in [4, 24] (default 16)",
    )
    g.add_argument(
        "--act-bits", type=int, default=16, metavar="W",
        help="with --precision fixed: width of inputs, states and activations, in [4, 24];"
        " accumulators get W+8 bits (default 16)",
    )
    g.add_argument(
        "--segments", type=int, default=64, metavar="N",
        help="with --precision fixed: segments of the piecewise-linear activation tables, a power of two"
        " in [4, 1024] (default 64; max errors in docs/fixed-point.md)",
    )
    g.add_argument(
        "--rounding", default="AP_RND", metavar="MODE",
        help="with --precision fixed: ap_fixed quantization mode of every format (default AP_RND)",
    )
    g.add_argument(
        "--overflow", default="AP_SAT", metavar="MODE",
        help="with --precision fixed: ap_fixed overflow mode of every format (default AP_SAT)",
    )
    g.add_argument(
        "--calib", default=None, metavar="IN.npz",
        help="with --precision fixed: calibration inputs (as for 'ercc simulate --inputs'); every tensor gets"
        " the integer bits its observed range needs",
    )
    g.add_argument(
        "--requantize", action="store_true",
        help="a quantization-aware model (docs/quantized-models.md): drop its activation quantizers and let"
        " --precision fixed choose ercc's formats for its dequantized weights",
    )
    g.add_argument(
        "--quant-datapath", choices=QUANT_DATAPATHS, default=QUANT_DATAPATHS[0],
        help="a quantization-aware model (docs/quantized-models.md): compute its quantizers with integer codes,"
        " rescales and tables (default), or emulate them in float32",
    )
    g.add_argument(
        "--seq-len", type=int, default=None, metavar="T",
        help="sequence length the kernel is built for; needed when the model's is dynamic",
    )
    g.add_argument("--top", default="ercc_kernel", help="name of the kernel's top function (default ercc_kernel)")
    g.add_argument(
        "--interface", choices=INTERFACES, default="array",
        help="the top function's ports: array (ap_memory arrays, an IP inside an HLS design; default),"
        " axis (AXI-stream beats with s_axilite control, for a block design with a DMA),"
        " m_axi (an extern \"C\" Vitis kernel: m_axi pointers, s_axilite control)",
    )
    g.add_argument(
        "--batch", type=int, default=1, metavar="N",
        help="with --interface axis or m_axi: sequences one call may carry (its count port; the cost report's"
        " batch and the m_axi depth) (default 1)",
    )
    g.add_argument(
        "--device", default="xcku060", metavar="NAME",
        help="FPGA whose DSP/LUT budget the PE scheduler fills: xcku060 (default), xc7vx690t, xcu250, xczu9eg",
    )
    g.add_argument(
        "--clock-mhz", type=float, default=200.0, metavar="MHZ",
        help="target clock: frames/s in the cost report, create_clock in a project (default 200)",
    )
    g.add_argument(
        "--dsp-fraction", type=float, default=0.9, metavar="F",
        help="share of the device's DSPs, LUTs and BRAMs the PE scheduler may fill, in (0, 1] (default 0.9)",
    )
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    p.add_argument("--quiet", action="store_true", help="no progress display (shown only when stderr is a terminal)")


def _options(args: argparse.Namespace, seq_len: int | None = None) -> CompileOptions:
    """CompileOptions from the parsed flags: one flag per field (tests/test_product.py checks it)."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(CompileOptions) if hasattr(args, f.name)}
    if seq_len is not None:
        values["seq_len"] = seq_len
    return CompileOptions(**values)


def _compile_command(argv: Sequence[str]) -> int:
    from ercc.compiler import compile_command

    p = _OneLineParser(
        prog="ercc",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Compile an ONNX recurrent network (LSTM, GRU, RNN) into a Vitis-HLS-style C++ kernel\n"
            "with block-circulant recurrent weights.\n\n"
            "  ercc model.onnx -o kernel.cpp --block-size 8     one self-contained kernel file\n"
            "  ercc model.onnx -o prj/ --block-size 8           a Vitis HLS project (make -C prj csim)\n"
            "  ercc model.onnx --emit circ --block-size 8       print the IR after a stage\n"
            "  ercc simulate model.onnx --inputs in.npz -o out.npz --block-size 8\n"
            "  ercc export-onnx model.onnx -o model_bc8.onnx --block-size 8\n"
            "  ercc model.onnx -o prj/ --config ercc.yaml         options, and per-layer ones, from a file\n"
            "\nPython: import ercc; m = ercc.compile('model.onnx', block_size=8); m.predict({...})"
        ),
        epilog="Other commands: 'ercc simulate --help', 'ercc export-onnx --help', 'ercc admm --help'. Tutorial: docs/tutorial.md.",
    )
    p.add_argument("model", help="the ONNX model (.onnx)")
    p.add_argument(
        "-o", "--output", default=None,
        help="the kernel file to write (.cpp, .cc or .cxx), or a directory (existing, or ending in '/') for a"
        " Vitis HLS project, where ercc (re)writes its own files and leaves any others alone;"
        " with --emit, the file for the IR",
    )
    p.add_argument("--version", action="version", version=f"ercc {__version__}")
    _add_compile_options(p)
    compile_command.add_arguments(p)
    args = compile_command.parse(p, argv)
    return _located(args.model, lambda: compile_command.run(args, _options(args)))


def _simulate_command(argv: Sequence[str]) -> int:
    p = _OneLineParser(
        prog="ercc simulate",
        description=(
            "Compile the kernel, build it with g++ and a generated driver, run it on the arrays of"
            " --inputs (keyed by graph input name; a batch > 1 runs the kernel once per sequence) and"
            " write the graph outputs, keyed by output name, with the shapes onnxruntime gives."
        ),
    )
    p.add_argument("model", help="the ONNX model (.onnx)")
    p.add_argument("--inputs", required=True, help=".npz file with one array per graph input")
    p.add_argument("-o", "--output", required=True, help=".npz file to write the outputs to")
    p.add_argument(
        "--engine", choices=("csim", "reference"), default="csim",
        help="csim: g++ C simulation (default); reference: the numpy executor of the final IR"
        " (bit-exact with csim in fixed point)",
    )
    _add_compile_options(p)
    p.add_argument(
        "--config", default=None, metavar="FILE",
        help="a .yaml or .json file of option defaults and per-layer options, as for compiling",
    )
    from ercc.compiler import compile_command

    args = compile_command.parse(p, argv)
    options = _options(args)
    _located(args.model, lambda: compile_command.check_options(args, options))
    from ercc.compiler.simulate import simulate_files

    _located(args.model, lambda: simulate_files(args.model, args.inputs, args.output, options, engine=args.engine))
    return EXIT_OK


def _admm_command(argv: Sequence[str]) -> int:
    try:
        from ercc.training.cli import admm_command
    except ImportError as e:
        raise ErccError(f"'ercc admm' needs the training extra: pip install 'ercc[train]' ({e})") from e
    return admm_command(list(argv))


def _explore_command(argv: Sequence[str]) -> int:
    try:
        from ercc.exploration.cli import explore_command
    except ImportError as e:
        raise ErccError(f"'ercc explore' needs the explore and train extras: pip install 'ercc[explore,train]' ({e})") from e
    return explore_command(list(argv))


def _located(path: str, run: Callable):
    """Run a step on a model file, naming the file in any user error it raises."""
    try:
        return run()
    except ErccError as e:
        e.with_file(path)
        raise


def _export_onnx_command(argv: Sequence[str]) -> int:
    p = _OneLineParser(
        prog="ercc export-onnx",
        description=(
            "Write the compressed model as standard ONNX: the W and R of every LSTM/GRU/RNN node"
            " replaced by their block-circulant projection, so onnxruntime computes what a"
            " --block-size K kernel computes (in float). With --precision fixed the recurrent weights"
            " are also fake-quantized: integers in ercc's weight formats + DequantizeLinear."
        ),
    )
    p.add_argument("model", help="the ONNX model (.onnx)")
    p.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    p.add_argument("--block-size", type=int, default=1, metavar="K", help="block size (a power of two; default 1)")
    p.add_argument(
        "--precision", choices=PRECISIONS, default="float",
        help="float (default here, unlike compiling: onnxruntime runs the float model as it is) or fixed:"
        " fake-quantize W, R, B (and P) as the --precision fixed kernel stores them",
    )
    fixed = "with --precision fixed:"
    p.add_argument("--weight-bits", type=int, default=16, metavar="W", help=f"{fixed} weight width, in [4, 24] (default 16)")
    p.add_argument("--act-bits", type=int, default=16, metavar="W", help=f"{fixed} checked as for compiling; activations stay float")
    p.add_argument("--rounding", default="AP_RND", metavar="MODE", help=f"{fixed} ap_fixed quantization mode (default AP_RND)")
    p.add_argument("--overflow", default="AP_SAT", metavar="MODE", help=f"{fixed} ap_fixed overflow mode (default AP_SAT)")
    p.add_argument(
        "--config", default=None, metavar="FILE",
        help="a .yaml or .json file of these options, and per-layer block_size / weight_bits under 'layers'",
    )
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    from ercc.compiler import compile_command

    args = compile_command.parse(p, argv)
    options = _options(args)
    _located(args.model, lambda: compile_command.check_options(args, options))
    from ercc.compiler.export_onnx import describe, export_files

    _located(args.model, lambda: export_files(args.model, args.output, options))
    if not args.quiet:
        print(f"wrote {args.output} ({describe(options)})")
    return EXIT_OK


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "simulate": _simulate_command,
    "export-onnx": _export_onnx_command,
    "admm": _admm_command,
    "explore": _explore_command,
    "compile": _compile_command,
}


def run(argv: Sequence[str]) -> int:
    """Dispatch to a command; map errors to exit codes and one-line messages."""
    debug = "--debug" in argv
    progress.set_quiet("--quiet" in argv)
    command = COMMANDS.get(argv[0], None) if argv else None
    try:
        return command(argv[1:]) if command else _compile_command(argv)
    except ErccError as e:
        print(f"ercc: error: {e}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("ercc: interrupted", file=sys.stderr)
        return EXIT_USER
    except BrokenPipeError:
        _drop_stdout()
        return EXIT_USER
    except Exception as e:  # noqa: BLE001 - the last line of defence: a bug, reported as such
        if debug:
            traceback.print_exc()
        detail = " ".join(str(e).split())[:300]
        print(
            f"ercc: internal error: {type(e).__name__}: {detail} "
            "(this is a bug in ercc; rerun with --debug and report the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _drop_stdout() -> None:
    """The reader of stdout went away (`ercc ... | head`): like any Unix filter, stop quietly."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main() -> None:
    code = run(sys.argv[1:])
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _drop_stdout()
    sys.exit(code)
