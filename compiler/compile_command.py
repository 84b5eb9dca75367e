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

from ercc.errors import EXIT_OK, ErccError

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
        " 'lower-rnn-layers,circulant-substitution{block-size=8},fft-decompose,pe-schedule'"
        " (ercc's passes, xDSL's, and those of --load-pass-plugin)",
    )
    g.add_argument(
        "--load-pass-plugin", action="append", default=None, metavar="FILE.py|MODULE",
        help="import a Python file or module and make its xDSL ModulePass classes usable in --pass-pipeline",
    )
    g.add_argument(
        "--config", default=None, metavar="FILE",
        help="a .yaml or .json file of option defaults (keys as the long options: block-size or block_size;"
        " command-line options override them) and per-layer options:"
        " 'layers: {ONNX_NODE_NAME: {block_size: 4, weight_bits: 8}}'",
    )
    h = p.add_argument_group("Vitis HLS project (when -o is a directory or ends with '/')")
    h.add_argument(
        "--part", default=None,
        help="FPGA part for set_part (default: the --device's part); a part of a --device preset"
        " (e.g. xczu9eg-ffvb1156-2-e) also selects that device",
    )
    h.description = (
        "ercc writes its own files into the directory (replacing earlier versions of them)\n"
        "and leaves every other file there alone, as hls4ml's write() does."
    )
    g.add_argument(
        "--report", default=None, metavar="FILE.json",
        help="write ercc's cost-model ESTIMATE (cycles per frame, frames/s, DSP, BRAM, LUT, weight bytes,"
        " per layer) and the weight report as JSON, and print the estimate as a table",
    )


def _config_keys() -> set[str]:
    from ercc.compiler.pipeline import CompileOptions

    return {f.name for f in dataclasses.fields(CompileOptions)} | set(_PROJECT_KEYS)


def load_config(path: str, keys: set[str] | None = None) -> dict:
    """Option defaults from a YAML or JSON file, keys normalized to argparse dests.

    `keys`: the dests a command accepts (default: the compiler's options); `ercc admm` passes its own.
    """
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
    known = keys if keys is not None else _config_keys()
    out = {}
    for key, value in data.items():
        dest = str(key).lstrip("-").replace("-", "_")
        if dest not in known:
            raise ErccError(f"unknown option '{key}' (known: {', '.join(sorted(known))})", file=path)
        out[dest] = value
    return out


def parse(p: argparse.ArgumentParser, argv, keys: set[str] | None = None) -> argparse.Namespace:
    """parse_args with the --config file's values as defaults.

    `explicit` on the result: the dests the command line or the config file set.
    """
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config", default=None)
    known, _ = pre.parse_known_args(argv)
    config: dict = {}
    if known.config:
        config = load_config(known.config, keys)
        if "load_pass_plugin" in config and isinstance(config["load_pass_plugin"], str):
            config["load_pass_plugin"] = [config["load_pass_plugin"]]
        _check_config_values(p, config, known.config)
        p.set_defaults(**config)
    args = p.parse_args(argv)
    given = {
        a.dest for a in p._actions
        for token in argv
        for flag in a.option_strings
        if token == flag or token.startswith(flag + "=")
    }
    args.explicit = given | set(config)
    return args


def _check_config_values(p: argparse.ArgumentParser, config: dict, path: str) -> None:
    """Convert and check config values as argparse checks flags, naming the file on error."""
    for action in p._actions:
        if action.dest not in config or config[action.dest] is None:
            continue
        value, flag = config[action.dest], action.option_strings[-1] if action.option_strings else action.dest
        if action.type is not None and not isinstance(value, (list, dict)):
            wrong = isinstance(value, bool) or (action.type is int and isinstance(value, float))
            try:
                if wrong:
                    raise ValueError
                value = action.type(value)
            except (TypeError, ValueError):
                kind = getattr(action.type, "__name__", "value")
                raise ErccError(f"{flag}: invalid {kind} value {value!r}", file=path) from None
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(map(str, action.choices))
            raise ErccError(f"{flag}: invalid choice {value!r} (choose from {choices})", file=path)
        config[action.dest] = value


def warn(message: str) -> None:
    print(f"ercc: warning: {message}", file=sys.stderr)


def check_options(args: argparse.Namespace, options) -> None:
    """The options valid together: fixed-point flags with --precision float are an error (exit 2)."""
    from ercc.compiler.pipeline import check_precision_options

    options.validate()
    check_precision_options(options.precision, getattr(args, "explicit", set()), options.layers)


def resolve_part(args: argparse.Namespace, options, project: bool):
    """The options with the --device that --part names, warning where --part is ignored or disagrees."""
    from ercc.hardware.devices import DEVICES

    part = getattr(args, "part", None)
    if part is None:
        return options
    if not project:
        warn(f"--part {part} only applies to a Vitis HLS project (-o DIR/); ignored")
        return options
    named = next((d for d in DEVICES.values() if part.lower().startswith(d.name)), None)
    if named is None:
        warn(
            f"--part {part} is none of ercc's device presets ({', '.join(DEVICES)}); the PE schedule and"
            f" the cost estimate use --device {options.device}'s resources"
        )
    elif named.name != options.device:
        if "device" in getattr(args, "explicit", set()):
            warn(
                f"--part {part} is a {named.name} part but --device is {options.device}; the PE schedule"
                f" and the cost estimate use {options.device}'s resources"
            )
        else:
            return dataclasses.replace(options, device=named.name)
    return options


def run(args: argparse.Namespace, options) -> int:
    """Compile; then print a stage, write a kernel file or write a Vitis HLS project."""
    from ercc.api import compile as compile_api
    from ercc.api import load_pass_plugin
    from ercc.compiler.output import write_text_atomically
    from ercc.compiler.project import output_kind

    if args.output is None and args.emit is None:
        raise ErccError("-o/--output is required (a kernel .cpp, or a directory for a Vitis HLS project) unless --emit is given")
    kind = output_kind(args.output) if args.emit is None else "ir"
    if args.emit in ("circ", "freq") and options.max_block_size == 1 and args.pass_pipeline is None:
        raise ErccError(
            f"--emit {args.emit} needs --block-size K > 1 (at block size 1 the weights stay dense and"
            " there is no circulant stage); --emit cells or scheduled show the dense IR"
        )
    check_options(args, options)
    options = resolve_part(args, options, project=kind == "project")
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
        if args.emit not in compiled.stages:
            raise ErccError(
                f"--emit {args.emit}: the pipeline has no such stage (it has: {', '.join(compiled.stages)})"
            )
        text = compiled.ir(args.emit)
        if args.output is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            write_text_atomically(args.output, text if text.endswith("\n") else text + "\n")
        return EXIT_OK
    if kind == "project":
        compiled.write(args.output, project=True, part=args.part)
    else:
        compiled.write(args.output, project=False)
    if args.report is not None:
        from ercc.hardware.report import format_table

        report = {**compiled.estimate, "weights": compiled.report}
        if options.precision == "fixed":
            from ercc.compiler.quant_report import format_quantization_table, quantization_report

            report["quantization"] = quantization_report(args.model, options)
        write_text_atomically(args.report, json.dumps(report, indent=2, sort_keys=True) + "\n")
        print(format_table(compiled.estimate))
        if "quantization" in report:
            print(format_quantization_table(report["quantization"]))
    return EXIT_OK


def _print_to_stderr(name: str, text: str) -> None:
    print(f"// -----// IR Dump After {name} //----- //", file=sys.stderr)
    print(text, file=sys.stderr)
