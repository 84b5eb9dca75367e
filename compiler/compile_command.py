"""The compile command's product options: --emit, IR printing, custom pipelines, --config, projects.

Kept apart from `cli.py` so the command line stays one table of commands;
`cli._compile_command` builds the parser, calls `add_arguments` and hands
the parsed arguments to `run`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from ercc.compiler.errors import EXIT_OK, ErccError

EMIT_STAGES = ("onnx", "rnn", "cells", "circ", "freq", "scheduled", "cpp")
# Keys a --config file may set besides CompileOptions' fields.
_PROJECT_KEYS = ("part", "pass_pipeline", "load_pass_plugin", "report")


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output and inspection")
    g.add_argument(
        "--emit", choices=EMIT_STAGES, default=None,
        help="print the IR at this stage instead of writing a kernel: onnx (the loaded model), rnn (imported),"
        " cells (one rnn.scan per direction), circ (block-circulant weights), freq (FFT form),"
        " scheduled (with pipeline/unroll attributes), cpp (the kernel); to stdout, or to -o",
    )
    g.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass to stderr")
    g.add_argument(
        "--pass-pipeline", default=None, metavar="SPEC",
        help="run this xDSL pass pipeline instead of the default one, e.g."
        " 'lower-rnn-layers,circulant-substitution{block-size=8},fft-decompose,loop-schedule'"
        " (ercc's passes, xDSL's, and those of --load-pass-plugin)",
    )
    g.add_argument(
        "--load-pass-plugin", action="append", default=None, metavar="FILE.py|MODULE",
        help="import a Python file or module and make its xDSL ModulePass classes usable in --pass-pipeline",
    )
    g.add_argument(
        "--config", default=None, metavar="FILE",
        help="a .yaml or .json file of option defaults (keys as the long options: block-size or block_size);"
        " command-line options override it",
    )
    h = p.add_argument_group("Vitis HLS project (when -o is a directory or ends with '/')")
    h.add_argument("--part", default=None, help="FPGA part for set_part (default: the --device's part)")
    g.add_argument(
        "--report", default=None, metavar="FILE.json",
        help="write ercc's cost-model ESTIMATE (cycles per frame, frames/s, DSP, BRAM, LUT, weight bytes,"
        " per layer) and the weight report as JSON, and print the estimate as a table",
    )


def _config_keys() -> set[str]:
    from ercc.compiler.pipeline import CompileOptions

    return {f.name for f in dataclasses.fields(CompileOptions)} | set(_PROJECT_KEYS)


def load_config(path: str) -> dict:
    """Option defaults from a YAML or JSON file, keys normalized to argparse dests."""
    file = Path(path)
    if not file.is_file():
        raise ErccError("config file not found", file=path)
    text = file.read_text()
    try:
        if file.suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError as e:
                raise ErccError("YAML configs need PyYAML (pip install pyyaml); or use a .json config") from e
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except ErccError:
        raise
    except Exception as e:  # noqa: BLE001 - yaml.YAMLError / json.JSONDecodeError
        raise ErccError(f"not a readable config ({' '.join(str(e).split())[:200]})", file=path) from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ErccError("a config must be a mapping of option names to values", file=path)
    known = _config_keys()
    out = {}
    for key, value in data.items():
        dest = str(key).lstrip("-").replace("-", "_")
        if dest == "layers":
            raise ErccError("per-layer options are not supported yet", file=path)
        if dest not in known:
            raise ErccError(f"unknown option '{key}' (known: {', '.join(sorted(known))})", file=path)
        out[dest] = value
    return out


def parse(p: argparse.ArgumentParser, argv) -> argparse.Namespace:
    """parse_args with the --config file's values as defaults."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config", default=None)
    known, _ = pre.parse_known_args(argv)
    if known.config:
        config = load_config(known.config)
        if "load_pass_plugin" in config and isinstance(config["load_pass_plugin"], str):
            config["load_pass_plugin"] = [config["load_pass_plugin"]]
        p.set_defaults(**config)
    return p.parse_args(argv)


def run(args: argparse.Namespace, options) -> int:
    """Compile; then print a stage, write a kernel file or write a Vitis HLS project."""
    from ercc.api import compile as compile_api, load_pass_plugin
    from ercc.compiler.output import write_text_atomically
    from ercc.compiler.project import is_project_path

    if args.output is None and args.emit is None:
        raise ErccError("-o/--output is required (a kernel .cpp, or a directory for a Vitis HLS project) unless --emit is given")
    for plugin in args.load_pass_plugin or ():
        load_pass_plugin(plugin)
    compiled = compile_api(
        args.model,
        pass_pipeline=args.pass_pipeline,
        on_stage=_print_to_stderr if args.print_ir_after_all else None,
        record_ir=args.emit is not None,
        **dataclasses.asdict(options),
    )
    if args.emit is not None:
        text = compiled.ir(args.emit)
        if args.output is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            write_text_atomically(args.output, text if text.endswith("\n") else text + "\n")
        return EXIT_OK
    if is_project_path(args.output):
        compiled.write(args.output, part=args.part)
    else:
        write_text_atomically(args.output, compiled.source)
    if args.report is not None:
        from ercc.hardware.report import format_table

        report = {**compiled.estimate, "weights": compiled.report}
        write_text_atomically(args.report, json.dumps(report, indent=2, sort_keys=True) + "\n")
        print(format_table(compiled.estimate))
    return EXIT_OK


def _print_to_stderr(name: str, text: str) -> None:
    print(f"// -----// IR Dump After {name} //----- //", file=sys.stderr)
    print(text, file=sys.stderr)
