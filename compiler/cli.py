"""The `ercc` command line.

    ercc MODEL.onnx -o kernel.cpp [options]            compile to an HLS C++ kernel
    ercc simulate MODEL.onnx --inputs in.npz -o out.npz  C-simulate the kernel
    ercc admm MODEL.onnx --data train.npz -o out.onnx  ADMM block-circulant training

Exit codes: 0 success, 1 internal error (a bug in ercc; --debug shows the
traceback), 2 user error (bad model, bad input, bad option), one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence

from ercc import __version__
from ercc.compiler.errors import EXIT_INTERNAL, EXIT_OK, EXIT_USER, ErccError
from ercc.compiler.pipeline import PRECISIONS, CompileOptions


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
        "--precision", choices=PRECISIONS, default="float",
        help="datapath number format of the kernel (default float)",
    )
    g.add_argument(
        "--seq-len", type=int, default=None, metavar="T",
        help="sequence length the kernel is built for; needed when the model's is dynamic",
    )
    g.add_argument("--top", default="ercc_kernel", help="name of the kernel's top function (default ercc_kernel)")
    g.add_argument(
        "--max-unroll", type=int, default=8, metavar="N",
        help="largest unroll factor the scheduler gives a reduction loop (default 8)",
    )
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")


def _options(args: argparse.Namespace, seq_len: int | None = None) -> CompileOptions:
    return CompileOptions(
        block_size=args.block_size,
        precision=args.precision,
        seq_len=seq_len if seq_len is not None else args.seq_len,
        top=args.top,
        max_unroll=args.max_unroll,
    )


def _compile_command(argv: Sequence[str]) -> int:
    p = _OneLineParser(
        prog="ercc",
        description="Compile an ONNX recurrent network (LSTM) into a Vitis-HLS-style C++ kernel.",
        epilog="Other commands: 'ercc simulate --help', 'ercc admm --help'.",
    )
    p.add_argument("model", help="the ONNX model (.onnx)")
    p.add_argument("-o", "--output", required=True, help="the kernel file to write (.cpp)")
    p.add_argument("--version", action="version", version=f"ercc {__version__}")
    _add_compile_options(p)
    args = p.parse_args(argv)
    from ercc.compiler.output import write_text_atomically
    from ercc.compiler.pipeline import compile_model

    _, kernel = _located(args.model, lambda: compile_model(args.model, _options(args)))
    write_text_atomically(args.output, kernel.source)
    return EXIT_OK


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
    _add_compile_options(p)
    args = p.parse_args(argv)
    from ercc.compiler.simulate import simulate_files

    _located(args.model, lambda: simulate_files(args.model, args.inputs, args.output, _options(args)))
    return EXIT_OK


def _admm_command(argv: Sequence[str]) -> int:
    try:
        from ercc.training.cli import admm_command
    except ImportError as e:
        raise ErccError(f"'ercc admm' needs the training extra: pip install 'ercc[train]' ({e})") from e
    return admm_command(list(argv))


def _located(path: str, run: Callable):
    """Run a step on a model file, naming the file in any user error it raises."""
    try:
        return run()
    except ErccError as e:
        raise e.with_file(path)


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "simulate": _simulate_command,
    "admm": _admm_command,
    "compile": _compile_command,
}


def run(argv: Sequence[str]) -> int:
    """Dispatch to a command; map errors to exit codes and one-line messages."""
    debug = "--debug" in argv
    command = COMMANDS.get(argv[0], None) if argv else None
    try:
        return command(argv[1:]) if command else _compile_command(argv)
    except ErccError as e:
        print(f"ercc: error: {e}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("ercc: interrupted", file=sys.stderr)
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


def main() -> None:
    sys.exit(run(sys.argv[1:]))
